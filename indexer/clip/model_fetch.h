#pragma once
// `palimpsest model fetch`: downloads a checkpoint with libcurl and imports it.
//
// - A built-in table of well-known public checkpoints (OpenAI's ViT CLIP releases, by the URLs
//   and SHA-256 published in openai/CLIP's clip/clip.py, whose URL path carries the SHA-256) and
//   the CLIP BPE vocabulary; any other file by URL with its SHA-256.
// - Downloads go to `<store>/.downloads/<file>.partial` and are resumed from the partial's size
//   (an HTTP Range request; a server that ignores it starts the file again); a connection cut
//   mid-body is resumed automatically (`attempts`). The whole file is checked against its SHA-256
//   before it is renamed into place: a mismatch deletes the partial and says so.
// - A mirror replaces the URL's base and keeps the file name: `--mirror URL` or
//   $PALIMPSEST_MODEL_MIRROR, for air-gapped sites (an http(s):// or file:// base).
// - Connect and low-speed timeouts, HTTP errors and network failures are one FetchError line
//   naming the URL.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "indexer/clip/clip_error.h"
#include "indexer/clip/model_import.h"

namespace palimpsest {

class FetchError : public ClipError {
 public:
  using ClipError::ClipError;
};

struct KnownCheckpoint {
  std::string name;         // "ViT-B-32"
  std::string alias;        // "ViT-B/32" (OpenAI's spelling)
  std::string url;
  std::string sha256;
  std::string description;
  std::string licence;
  bool vocabulary = false;  // the CLIP BPE vocabulary (fetched, not imported)
};

inline constexpr char kClipVocabularyName[] = "clip-bpe-vocab";

const std::vector<KnownCheckpoint>& known_checkpoints();
// By name or alias, case-insensitive; nullptr when unknown.
const KnownCheckpoint* find_known_checkpoint(const std::string& name);

// The URL with its base replaced by `mirror` (the file name kept); `url` when mirror is empty.
std::string mirrored_url(const std::string& url, const std::string& mirror);
// The last path segment of a URL, without query or fragment.
std::string url_file_name(const std::string& url);

struct FetchProgress {
  std::uint64_t bytes = 0;         // of the whole file, including a resumed part
  std::uint64_t total = 0;         // 0 when the server does not say
  std::uint64_t resumed_from = 0;  // bytes that were already there
  double bytes_per_s = 0;          // of this session
  bool done = false;
};

struct FetchOptions {
  std::string mirror;              // "" = $PALIMPSEST_MODEL_MIRROR when set
  long connect_timeout_s = 30;
  long low_speed_time_s = 60;      // give up after this long below low_speed_bytes_per_s
  long low_speed_bytes_per_s = 1024;
  int attempts = 3;                // tries for a connection that breaks mid-transfer
  std::function<void(const FetchProgress&)> progress;  // at most ~10 times a second, and at the end
  std::function<void(const std::string&)> note;        // one line: resuming, retrying, cached
};

struct FetchResult {
  std::filesystem::path file;
  std::string url;                 // after the mirror
  std::uint64_t bytes = 0;
  std::uint64_t resumed_from = 0;  // bytes a previous partial download contributed
  bool cached = false;             // the file was already there with the right SHA-256
};

// Downloads `url` (after the mirror) to `dest`, verified against `sha256` (64 hex digits).
FetchResult download_file(const std::string& url, const std::string& sha256,
                          const std::filesystem::path& dest, const FetchOptions& options);

// Where downloads for a catalog's store go: `<store>/.downloads/`.
std::filesystem::path download_folder(const std::filesystem::path& catalog_path);

// The CLIP BPE vocabulary in the download folder (fetched when not there yet).
std::filesystem::path fetch_clip_vocabulary(const std::filesystem::path& catalog_path,
                                            const FetchOptions& options);

struct FetchModelRequest {
  std::string name_or_url;   // a known name, or a URL (then sha256 is required)
  std::string sha256;        // for a URL
  FetchOptions fetch;
  ImportOptions import;      // name, precision, tokenizer...; source_url and licence are set here
  bool keep_download = false;  // keep the checkpoint in .downloads after a successful import
};

// Downloads (or finds) the checkpoint, imports it (fetching the CLIP BPE vocabulary when it
// needs one and none was given), and deletes the download unless keep_download.
ImportedModel fetch_model(const std::filesystem::path& catalog_path, const FetchModelRequest& request);

}  // namespace palimpsest
