// `palimpsest model fetch` against a local HTTP server (cpp-httplib on loopback, a random port)
// serving the fixture files: a clean download, resume after a cut connection (automatically and
// across runs), a wrong SHA-256 refused with the partial deleted, 404, a stalled server and a
// closed port each one clear line, the mirror, and fetch + import end to end.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "indexer/clip/model_fetch.h"
#include "indexer/clip/model_store.h"
#include "indexer/files/content_hash.h"
#include "tests/common/test_support.h"
#include "tests/clip/model_test_support.h"

namespace palimpsest {
namespace {

namespace fs = std::filesystem;
using testing::one_line;
using testing::TempDir;

enum class Mode { normal, cut_first, stall };

// Serves files by name at /<name> (and /models/<sha>/<name>), with Range support from httplib.
class FileServer {
 public:
  FileServer() {
    server_.Get(R"(/.*)", [this](const httplib::Request& req, httplib::Response& res) {
      std::string name = req.path.substr(req.path.rfind('/') + 1);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        requests_.push_back({req.path, req.get_header_value("Range")});
      }
      const auto it = files_.find(name);
      if (it == files_.end()) {
        res.status = 404;
        res.set_content("no such file", "text/plain");
        return;
      }
      const std::string& body = it->second;
      const int served = served_[name]++;
      if (mode_ == Mode::cut_first && served == 0) {
        // Announce the whole file, send the first half, then drop the connection.
        res.set_content_provider(body.size(), "application/octet-stream",
                                 [&body](std::size_t offset, std::size_t, httplib::DataSink& sink) {
                                   const std::size_t half = body.size() / 2;
                                   if (offset < half) sink.write(body.data() + offset, half - offset);
                                   return offset < half;
                                 });
        return;
      }
      if (mode_ == Mode::stall) {
        res.set_content_provider(body.size(), "application/octet-stream",
                                 [this, &body](std::size_t offset, std::size_t, httplib::DataSink& sink) {
                                   if (offset == 0) {
                                     sink.write(body.data(), 100);
                                     return true;
                                   }
                                   while (!stopping_ && sink.is_writable()) {
                                     std::this_thread::sleep_for(std::chrono::milliseconds(20));
                                   }
                                   return false;
                                 });
        return;
      }
      res.set_content(body, "application/octet-stream");  // httplib answers Range with 206
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() before the loop runs would be lost (and the destructor's join would wait forever).
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FileServer() {
    stopping_ = true;
    server_.stop();
    thread_.join();
  }

  void add(const std::string& name, std::string bytes) { files_[name] = std::move(bytes); }
  void set_mode(Mode mode) { mode_ = mode; }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string url(const std::string& name) const { return base() + "/" + name; }
  struct Seen {
    std::string path, range;
  };
  std::vector<Seen> requests() {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::map<std::string, std::string> files_;
  std::map<std::string, int> served_;
  std::atomic<Mode> mode_{Mode::normal};
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::vector<Seen> requests_;
};

class ClipFetchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clip_ = testing::clip_fixtures();
    ASSERT_TRUE(fs::is_directory(clip_));
    vocab_ = testing::read_file(clip_ / "bpe_simple_vocab_16e6.txt.gz");
    server_.add("bpe_simple_vocab_16e6.txt.gz", vocab_);
    vocab_sha_ = sha256_file(clip_ / "bpe_simple_vocab_16e6.txt.gz");
    options_.connect_timeout_s = 5;
    options_.low_speed_time_s = 2;
  }
  fs::path clip_;
  std::string vocab_, vocab_sha_;
  TempDir tmp_;
  FileServer server_;
  FetchOptions options_;
};

TEST_F(ClipFetchTest, CleanDownloadIsVerifiedAndReported) {
  std::vector<FetchProgress> reports;
  options_.progress = [&](const FetchProgress& p) { reports.push_back(p); };
  const fs::path dest = tmp_ / "dl" / "vocab.gz";
  const FetchResult r = download_file(server_.url("bpe_simple_vocab_16e6.txt.gz"), vocab_sha_, dest, options_);
  EXPECT_EQ(r.bytes, vocab_.size());
  EXPECT_EQ(r.resumed_from, 0u);
  EXPECT_FALSE(r.cached);
  EXPECT_EQ(testing::read_file(dest), vocab_);
  EXPECT_FALSE(fs::exists(dest.string() + ".partial"));
  ASSERT_FALSE(reports.empty());
  EXPECT_TRUE(reports.back().done);
  EXPECT_EQ(reports.back().bytes, vocab_.size());
  // A second fetch finds the verified file and downloads nothing.
  const auto before = server_.requests().size();
  EXPECT_TRUE(download_file(server_.url("bpe_simple_vocab_16e6.txt.gz"), vocab_sha_, dest, options_).cached);
  EXPECT_EQ(server_.requests().size(), before);
}

TEST_F(ClipFetchTest, ACutConnectionIsResumedWithARangeRequest) {
  server_.set_mode(Mode::cut_first);
  std::vector<std::string> notes;
  options_.note = [&](const std::string& line) { notes.push_back(line); };
  const fs::path dest = tmp_ / "vocab.gz";
  const FetchResult r = download_file(server_.url("bpe_simple_vocab_16e6.txt.gz"), vocab_sha_, dest, options_);
  EXPECT_EQ(testing::read_file(dest), vocab_);
  const auto seen = server_.requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_TRUE(seen[0].range.empty());
  EXPECT_EQ(seen[1].range, "bytes=" + std::to_string(vocab_.size() / 2) + "-");
  ASSERT_FALSE(notes.empty());
  EXPECT_NE(notes.back().find("resuming from byte " + std::to_string(vocab_.size() / 2)), std::string::npos)
      << notes.back();
  EXPECT_EQ(r.bytes, vocab_.size());
}

TEST_F(ClipFetchTest, APartialDownloadIsResumedByTheNextRun) {
  server_.set_mode(Mode::cut_first);
  options_.attempts = 1;
  const fs::path dest = tmp_ / "vocab.gz";
  try {
    download_file(server_.url("bpe_simple_vocab_16e6.txt.gz"), vocab_sha_, dest, options_);
    FAIL() << "a cut connection with one attempt succeeded";
  } catch (const FetchError& e) {
    EXPECT_NE(std::string(e.what()).find("run again to resume"), std::string::npos) << e.what();
    EXPECT_TRUE(one_line(e.what()));
  }
  EXPECT_EQ(fs::file_size(dest.string() + ".partial"), vocab_.size() / 2);
  server_.set_mode(Mode::normal);
  const FetchResult r = download_file(server_.url("bpe_simple_vocab_16e6.txt.gz"), vocab_sha_, dest, options_);
  EXPECT_EQ(r.resumed_from, vocab_.size() / 2);
  EXPECT_EQ(testing::read_file(dest), vocab_);
  EXPECT_EQ(server_.requests().back().range, "bytes=" + std::to_string(vocab_.size() / 2) + "-");
}

TEST_F(ClipFetchTest, AWrongSha256IsRefusedAndThePartialDeleted) {
  const fs::path dest = tmp_ / "vocab.gz";
  const std::string wrong(64, 'a');
  try {
    download_file(server_.url("bpe_simple_vocab_16e6.txt.gz"), wrong, dest, options_);
    FAIL() << "a file with the wrong SHA-256 was accepted";
  } catch (const FetchError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("SHA-256 mismatch (expected " + wrong + ", got " + vocab_sha_ + ")"), std::string::npos) << what;
    EXPECT_NE(what.find("deleted"), std::string::npos);
    EXPECT_TRUE(one_line(what));
  }
  EXPECT_FALSE(fs::exists(dest));
  EXPECT_FALSE(fs::exists(dest.string() + ".partial"));
  EXPECT_THROW(download_file(server_.url("x"), "12ab", dest, options_), FetchError);  // not a SHA-256
}

TEST_F(ClipFetchTest, NotFoundIsOneLine) {
  try {
    download_file(server_.url("ViT-B-99.pt"), vocab_sha_, tmp_ / "x.pt", options_);
    FAIL() << "a 404 was accepted";
  } catch (const FetchError& e) {
    EXPECT_NE(std::string(e.what()).find("GET " + server_.url("ViT-B-99.pt") + ": HTTP 404"), std::string::npos)
        << e.what();
    EXPECT_TRUE(one_line(e.what()));
  }
  EXPECT_FALSE(fs::exists(tmp_ / "x.pt.partial"));
}

TEST_F(ClipFetchTest, AStalledServerTimesOutWithOneLine) {
  server_.set_mode(Mode::stall);
  options_.low_speed_time_s = 1;
  try {
    download_file(server_.url("bpe_simple_vocab_16e6.txt.gz"), vocab_sha_, tmp_ / "v.gz", options_);
    FAIL() << "a stalled transfer succeeded";
  } catch (const FetchError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("timed out: less than 1024 bytes/s for 1 s"), std::string::npos) << what;
    EXPECT_TRUE(one_line(what));
  }
  // What arrived is kept for the next run.
  EXPECT_EQ(fs::file_size(tmp_ / "v.gz.partial"), 100u);
}

TEST_F(ClipFetchTest, AClosedPortIsOneLine) {
  // A port the kernel just handed out and that is closed again: nothing listens there.
  int port = 0;
  {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    socklen_t length = sizeof address;
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
    port = ntohs(address.sin_port);
    ::close(fd);
  }
  try {
    download_file("http://127.0.0.1:" + std::to_string(port) + "/v.gz", vocab_sha_, tmp_ / "v.gz", options_);
    FAIL() << "a closed port was accepted";
  } catch (const FetchError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot connect"), std::string::npos) << e.what();
    EXPECT_TRUE(one_line(e.what()));
  }
}

TEST_F(ClipFetchTest, TheMirrorKeepsTheFileName) {
  EXPECT_EQ(mirrored_url("https://openaipublic.azureedge.net/clip/models/abc/ViT-B-32.pt", "http://m.local/clip/"),
            "http://m.local/clip/ViT-B-32.pt");
  EXPECT_EQ(mirrored_url("https://x/y/file.gz?download=1", ""), "https://x/y/file.gz?download=1");
  EXPECT_EQ(url_file_name("https://x/y/file.gz?download=1"), "file.gz");
  const fs::path catalog = tmp_ / "c.db";
  options_.mirror = server_.base();
  const fs::path vocab = fetch_clip_vocabulary(catalog, options_);
  EXPECT_EQ(vocab, download_folder(catalog) / "bpe_simple_vocab_16e6.txt.gz");
  EXPECT_EQ(sha256_file(vocab), vocab_sha_);
  EXPECT_EQ(server_.requests().back().path, "/bpe_simple_vocab_16e6.txt.gz");
}

TEST_F(ClipFetchTest, TheKnownTableCarriesOpenAisPublishedHashes) {
  for (const char* name : {"ViT-B-32", "ViT-B/16", "vit-l-14", kClipVocabularyName}) {
    const KnownCheckpoint* k = find_known_checkpoint(name);
    ASSERT_NE(k, nullptr) << name;
    EXPECT_EQ(k->sha256.size(), 64u);
    if (!k->vocabulary) {
      // OpenAI's URLs carry the file's SHA-256 as their last folder (clip/clip.py checks it so).
      const std::string folder = k->url.substr(0, k->url.rfind('/'));
      EXPECT_EQ(folder.substr(folder.rfind('/') + 1), k->sha256) << k->url;
    }
  }
  // The vocabulary's hash is the fixture's (the same file openai/CLIP ships).
  EXPECT_EQ(find_known_checkpoint(kClipVocabularyName)->sha256, vocab_sha_);
  EXPECT_EQ(find_known_checkpoint("RN50"), nullptr);
}

TEST_F(ClipFetchTest, FetchAndImportThroughAMirrorFromTheCommandLine) {
  server_.add("tiny_vit_p8.jit.pt", testing::read_file(clip_ / "tiny_vit_p8.jit.pt"));
  const std::string sha = sha256_file(clip_ / "tiny_vit_p8.jit.pt");
  const fs::path catalog = tmp_ / "c.db";
  // The URL's host does not exist: the mirror replaces it, the file name is kept, and the
  // vocabulary comes from the same mirror.
  const auto r = testing::run_palimpsest({"--db", catalog.string(), "model", "fetch",
                                          "https://models.invalid/some/path/tiny_vit_p8.jit.pt",
                                          "--sha256", sha, "--name", "tiny", "--mirror", server_.base(),
                                          "--precision", "fp32"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Imported tiny"), std::string::npos) << r.out;
  const fs::path model = model_store_folder(catalog) / "tiny";
  EXPECT_GE(testing::worst_fixture_cosine(model, testing::read_expected_clip(clip_)), 0.9999);
  const auto j = testing::read_json_file(model / "model.json");
  EXPECT_EQ(j["source"]["url"], "https://models.invalid/some/path/tiny_vit_p8.jit.pt");
  // The checkpoint download is removed once imported; the vocabulary stays cached.
  EXPECT_FALSE(fs::exists(download_folder(catalog) / "tiny_vit_p8.jit.pt"));
  EXPECT_TRUE(fs::exists(download_folder(catalog) / "bpe_simple_vocab_16e6.txt.gz"));
  // Piped: plain progress lines, no terminal control characters.
  EXPECT_NE(r.err.find("tiny_vit_p8.jit.pt ["), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\r'), std::string::npos);
}

TEST_F(ClipFetchTest, AUrlNeedsItsSha256AndUnknownNamesAreListed) {
  const fs::path catalog = tmp_ / "c.db";
  FetchModelRequest request;
  request.name_or_url = server_.url("bpe_simple_vocab_16e6.txt.gz");
  try {
    fetch_model(catalog, request);
    FAIL() << "a URL without --sha256 was fetched";
  } catch (const FetchError& e) {
    EXPECT_NE(std::string(e.what()).find("--sha256"), std::string::npos) << e.what();
  }
  request.name_or_url = "ViT-Z-1";
  try {
    fetch_model(catalog, request);
    FAIL() << "an unknown name was fetched";
  } catch (const FetchError& e) {
    EXPECT_NE(std::string(e.what()).find("ViT-B-32, ViT-B-16, ViT-L-14"), std::string::npos) << e.what();
  }
  const auto r = testing::run_palimpsest({"--db", catalog.string(), "model", "fetch", "--list"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af/ViT-B-32.pt"),
            std::string::npos);
}

}  // namespace
}  // namespace palimpsest
