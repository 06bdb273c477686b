#include "indexer/clip/model_fetch.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <system_error>

#include "indexer/clip/model_store.h"
#include "indexer/files/content_hash.h"

namespace palimpsest {
namespace fs = std::filesystem;
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

void init_curl() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

// One transfer's state, shared with libcurl's callbacks.
struct Transfer {
  CURL* curl = nullptr;
  fs::path partial;
  std::unique_ptr<std::FILE, FileCloser> out;
  std::uint64_t offset = 0;        // bytes of the partial this request continues from
  std::uint64_t written = 0;       // bytes written by this request
  bool file_scheme = false;
  long status = -1;                // HTTP status at the first body byte
  std::string error_body;          // the start of an error response
  bool write_failed = false;
  const FetchOptions* options = nullptr;
  std::chrono::steady_clock::time_point start, last_report;
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  if (t->status < 0) {
    long code = 0;
    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &code);
    t->status = code;
    const bool continues = code == 206 || (t->file_scheme && t->offset > 0);
    if (code < 400) {
      // A server that ignored the Range header sends the whole file again: start over.
      const bool restart = !continues;
      if (restart) t->offset = 0;
      t->out.reset(std::fopen(t->partial.c_str(), restart ? "wb" : "ab"));
      if (!t->out) {
        t->write_failed = true;
        return 0;
      }
    }
  }
  if (t->status >= 400) {
    if (t->error_body.size() < 200) t->error_body.append(data, std::min<size_t>(n, 200 - t->error_body.size()));
    return n;
  }
  if (std::fwrite(data, 1, n, t->out.get()) != n) {
    t->write_failed = true;
    return 0;
  }
  t->written += n;
  return n;
}

int on_progress(void* user, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  if (!t->options->progress || t->status >= 400) return 0;
  const auto clock = std::chrono::steady_clock::now();
  if (clock - t->last_report < std::chrono::milliseconds(100)) return 0;
  t->last_report = clock;
  FetchProgress p;
  p.resumed_from = t->offset;
  p.bytes = t->offset + static_cast<std::uint64_t>(std::max<curl_off_t>(now, 0));
  p.total = total > 0 ? t->offset + static_cast<std::uint64_t>(total) : 0;
  const double seconds = std::chrono::duration<double>(clock - t->start).count();
  p.bytes_per_s = seconds > 0 ? static_cast<double>(now) / seconds : 0;
  t->options->progress(p);
  return 0;
}

std::uint64_t file_size_or_zero(const fs::path& p) {
  std::error_code ec;
  const auto size = fs::file_size(p, ec);
  return ec ? 0 : size;
}

bool valid_sha256(const std::string& hex) {
  return hex.size() == 64 &&
         std::all_of(hex.begin(), hex.end(), [](unsigned char c) { return std::isxdigit(c); });
}

enum class Outcome { complete, retry, range_not_satisfiable };

// One request; throws FetchError for failures that another attempt would not fix.
Outcome request(const std::string& url, Transfer& t, const FetchOptions& options, std::string& why) {
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) throw FetchError("cannot initialise libcurl");
  t.curl = curl.get();
  t.status = -1;
  t.written = 0;
  t.error_body.clear();
  t.out.reset();
  t.start = t.last_report = std::chrono::steady_clock::now();
  char error[CURL_ERROR_SIZE] = {0};
  const std::string range = std::to_string(t.offset) + "-";
  curl_easy_setopt(t.curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(t.curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(t.curl, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(t.curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(t.curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(t.curl, CURLOPT_USERAGENT, "palimpsest-model-fetch");
  curl_easy_setopt(t.curl, CURLOPT_CONNECTTIMEOUT, options.connect_timeout_s);
  curl_easy_setopt(t.curl, CURLOPT_LOW_SPEED_TIME, options.low_speed_time_s);
  curl_easy_setopt(t.curl, CURLOPT_LOW_SPEED_LIMIT, options.low_speed_bytes_per_s);
  curl_easy_setopt(t.curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(t.curl, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(t.curl, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(t.curl, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(t.curl, CURLOPT_NOPROGRESS, 0L);
  if (t.offset > 0) curl_easy_setopt(t.curl, CURLOPT_RANGE, range.c_str());
  const CURLcode rc = curl_easy_perform(t.curl);
  long code = 0;
  curl_easy_getinfo(t.curl, CURLINFO_RESPONSE_CODE, &code);
  if (t.status < 0) t.status = code;
  if (t.out) {
    if (std::fflush(t.out.get()) != 0) t.write_failed = true;
    t.out.reset();
  }
  t.curl = nullptr;
  if (t.write_failed) {
    throw FetchError("cannot write " + t.partial.string() + " (disk full or read-only?)");
  }
  if (code == 416 && t.offset > 0) return Outcome::range_not_satisfiable;
  if (code >= 400) {
    std::string body = t.error_body;
    body.erase(std::remove_if(body.begin(), body.end(), [](unsigned char c) { return c < 32; }), body.end());
    throw FetchError("GET " + url + ": HTTP " + std::to_string(code) +
                     (body.empty() ? "" : " (" + body.substr(0, 120) + ")"));
  }
  const std::string detail = error[0] ? std::string(error) : curl_easy_strerror(rc);
  switch (rc) {
    case CURLE_OK:
      return Outcome::complete;
    case CURLE_OPERATION_TIMEDOUT:
      if (t.written == 0 && code == 0 && !t.file_scheme) {
        throw FetchError("GET " + url + ": timed out (" + detail + ")");
      }
      throw FetchError("GET " + url + ": timed out: less than " +
                       std::to_string(options.low_speed_bytes_per_s) + " bytes/s for " +
                       std::to_string(options.low_speed_time_s) + " s (" + detail +
                       "); the partial download is kept, run again to resume");
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      why = detail;
      return Outcome::retry;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
      throw FetchError("GET " + url + ": cannot connect (" + detail + ")");
    default:
      throw FetchError("GET " + url + ": " + detail);
  }
}

}  // namespace

const std::vector<KnownCheckpoint>& known_checkpoints() {
  static const std::string kOpenAi = "https://openaipublic.azureedge.net/clip/models/";
  static const std::string kLicence =
      "MIT (github.com/openai/CLIP); see OpenAI's model card for the intended uses";
  static const std::vector<KnownCheckpoint> table = {
      {"ViT-B-32", "ViT-B/32",
       kOpenAi + "40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af/ViT-B-32.pt",
       "40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af",
       "OpenAI CLIP ViT-B/32 (224 px, 512-d, 338 MB)", kLicence, false},
      {"ViT-B-16", "ViT-B/16",
       kOpenAi + "5806e77cd80f8b59890b7e101eabd078d9fb84e6937f9e85e4ecb61988df416f/ViT-B-16.pt",
       "5806e77cd80f8b59890b7e101eabd078d9fb84e6937f9e85e4ecb61988df416f",
       "OpenAI CLIP ViT-B/16 (224 px, 512-d, 335 MB)", kLicence, false},
      {"ViT-L-14", "ViT-L/14",
       kOpenAi + "b8cca3fd41ae0c99ba7e8951adf17d267cdb84cd88be6f7c2e0eca1737a03836/ViT-L-14.pt",
       "b8cca3fd41ae0c99ba7e8951adf17d267cdb84cd88be6f7c2e0eca1737a03836",
       "OpenAI CLIP ViT-L/14 (224 px, 768-d, 890 MB)", kLicence, false},
      {"ViT-L-14-336", "ViT-L/14@336px",
       kOpenAi + "3035c92b350959924f9f00213499208652fc7ea050643e8b385c2dac08641f02/ViT-L-14-336px.pt",
       "3035c92b350959924f9f00213499208652fc7ea050643e8b385c2dac08641f02",
       "OpenAI CLIP ViT-L/14 at 336 px (768-d, 891 MB)", kLicence, false},
      {kClipVocabularyName, "bpe_simple_vocab_16e6",
       "https://github.com/openai/CLIP/raw/main/clip/bpe_simple_vocab_16e6.txt.gz",
       "924691ac288e54409236115652ad4aa250f48203de50a9e4722a6ecd48d6804a",
       "the CLIP BPE vocabulary (1.3 MB), needed by checkpoints that come without a tokenizer",
       "MIT (github.com/openai/CLIP)", true},
  };
  return table;
}

const KnownCheckpoint* find_known_checkpoint(const std::string& name) {
  const std::string key = lower(name);
  for (const auto& k : known_checkpoints()) {
    if (lower(k.name) == key || lower(k.alias) == key) return &k;
  }
  return nullptr;
}

std::string url_file_name(const std::string& url) {
  std::string path = url.substr(0, url.find_first_of("?#"));
  while (!path.empty() && path.back() == '/') path.pop_back();
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string mirrored_url(const std::string& url, const std::string& mirror) {
  if (mirror.empty()) return url;
  std::string base = mirror;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/" + url_file_name(url);
}

fs::path download_folder(const fs::path& catalog_path) {
  return model_store_folder(catalog_path) / ".downloads";
}

FetchResult download_file(const std::string& original_url, const std::string& sha256_hex,
                          const fs::path& dest, const FetchOptions& options) {
  init_curl();
  const std::string sha256 = lower(sha256_hex);
  if (!valid_sha256(sha256)) {
    throw FetchError("'" + sha256_hex + "' is not a SHA-256 (64 hexadecimal digits)");
  }
  std::string mirror = options.mirror;
  if (mirror.empty()) {
    if (const char* env = std::getenv("PALIMPSEST_MODEL_MIRROR"); env && *env) mirror = env;
  }
  FetchResult result;
  result.url = mirrored_url(original_url, mirror);
  result.file = dest;
  auto note = [&](const std::string& line) {
    if (options.note) options.note(line);
  };
  std::error_code ec;
  if (fs::is_regular_file(dest, ec)) {
    if (sha256_file(dest) == sha256) {
      result.cached = true;
      result.bytes = file_size_or_zero(dest);
      note(dest.string() + " is already here (SHA-256 verified)");
      return result;
    }
    note(dest.string() + " exists with another SHA-256: downloading it again");
    fs::remove(dest, ec);
  }
  fs::create_directories(dest.parent_path(), ec);
  if (ec) throw FetchError("cannot create " + dest.parent_path().string() + ": " + ec.message());

  Transfer t;
  t.partial = dest.string() + ".partial";
  t.options = &options;
  t.file_scheme = lower(result.url).rfind("file://", 0) == 0;
  t.offset = file_size_or_zero(t.partial);
  result.resumed_from = t.offset;
  if (t.offset > 0) note("resuming " + t.partial.string() + " from byte " + std::to_string(t.offset));
  const int attempts = std::max(1, options.attempts);
  for (int attempt = 1;; ++attempt) {
    std::string why;
    const Outcome outcome = request(result.url, t, options, why);
    if (outcome == Outcome::complete || outcome == Outcome::range_not_satisfiable) break;
    if (attempt >= attempts) {
      throw FetchError("GET " + result.url + ": the connection broke " + std::to_string(attempts) +
                       " time(s) (" + why + "); " + std::to_string(file_size_or_zero(t.partial)) +
                       " bytes are kept in " + t.partial.string() + ", run again to resume");
    }
    t.offset = file_size_or_zero(t.partial);
    note("the connection broke (" + why + "): resuming from byte " + std::to_string(t.offset) +
         " (attempt " + std::to_string(attempt + 1) + " of " + std::to_string(attempts) + ")");
  }
  result.bytes = file_size_or_zero(t.partial);
  if (options.progress) {
    FetchProgress p;
    p.bytes = p.total = result.bytes;
    p.resumed_from = result.resumed_from;
    p.done = true;
    options.progress(p);
  }
  const std::string actual = sha256_file(t.partial);
  if (actual != sha256) {
    fs::remove(t.partial, ec);
    throw FetchError("GET " + result.url + ": SHA-256 mismatch (expected " + sha256 + ", got " +
                     actual + "); the download was deleted");
  }
  fs::rename(t.partial, dest, ec);
  if (ec) throw FetchError("cannot rename " + t.partial.string() + ": " + ec.message());
  return result;
}

fs::path fetch_clip_vocabulary(const fs::path& catalog_path, const FetchOptions& options) {
  const KnownCheckpoint* vocab = find_known_checkpoint(kClipVocabularyName);
  const fs::path dest = download_folder(catalog_path) / url_file_name(vocab->url);
  return download_file(vocab->url, vocab->sha256, dest, options).file;
}

ImportedModel fetch_model(const fs::path& catalog_path, const FetchModelRequest& request) {
  std::string url = request.name_or_url;
  std::string sha256 = request.sha256;
  ImportOptions import = request.import;
  const KnownCheckpoint* known = find_known_checkpoint(request.name_or_url);
  if (known) {
    if (known->vocabulary) {
      throw FetchError(known->name + " is a vocabulary, not a model: fetch_clip_vocabulary()");
    }
    url = known->url;
    sha256 = known->sha256;
    if (import.name.empty()) import.name = known->name;
    if (import.licence.empty()) import.licence = known->licence;
  } else {
    const std::string scheme = lower(url.substr(0, url.find("://") == std::string::npos ? 0 : url.find("://")));
    if (scheme != "http" && scheme != "https" && scheme != "file") {
      std::string names;
      for (const auto& k : known_checkpoints()) names += (names.empty() ? "" : ", ") + k.name;
      throw FetchError("'" + request.name_or_url + "' is neither a known checkpoint (" + names +
                       ") nor an http(s):// or file:// URL");
    }
    if (sha256.empty()) {
      throw FetchError("fetching a URL needs --sha256 HEX: every download is verified before it "
                       "is imported");
    }
  }
  if (import.source_url.empty()) import.source_url = url;
  const fs::path dest = download_folder(catalog_path) / url_file_name(url);
  const FetchResult fetched = download_file(url, sha256, dest, request.fetch);
  if (!import.clip_vocabulary && import.tokenizer.empty()) {
    const FetchOptions options = request.fetch;
    import.clip_vocabulary = [catalog_path, options] {
      return fetch_clip_vocabulary(catalog_path, options);
    };
  }
  ImportedModel model = import_model(catalog_path, fetched.file, import);
  if (!request.keep_download) {
    std::error_code ec;
    fs::remove(fetched.file, ec);
  }
  return model;
}

}  // namespace palimpsest
