#pragma once
// sentencepiece models (encode / decode) and training, through the sentencepiece plugin.
//
// sentencepiece cannot share a process's link namespace with libtorch (their protobuf copies
// clash), so it is used only through a plugin shared library loaded with dlmopen() into a
// namespace of its own. The plugin is looked up, in order: $PALIMPSEST_SENTENCEPIECE_PLUGIN,
// next to the running executable, then in the build folder it was built in.

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

struct pspm_processor;

namespace palimpsest {

inline constexpr const char* kSentencePiecePluginFile = "libpalimpsest_sentencepiece_plugin.so";
inline constexpr const char* kSentencePiecePluginEnv = "PALIMPSEST_SENTENCEPIECE_PLUGIN";

// The plugin file that would be loaded. Throws ClipError when none is found (naming the places
// searched) or when $PALIMPSEST_SENTENCEPIECE_PLUGIN names a missing file.
std::filesystem::path sentencepiece_plugin_path();

// A loaded sentencepiece model. Thread-safe.
class SentencePieceTokenizer {
 public:
  // Throws TokenizerError naming the file when it is missing or not a sentencepiece model, and
  // ClipError when the plugin cannot be loaded.
  static std::unique_ptr<SentencePieceTokenizer> load(const std::filesystem::path& model_file);
  ~SentencePieceTokenizer();
  SentencePieceTokenizer(const SentencePieceTokenizer&) = delete;
  SentencePieceTokenizer& operator=(const SentencePieceTokenizer&) = delete;

  std::vector<int> encode(std::string_view text) const;
  std::string decode(const std::vector<int>& ids) const;  // throws TokenizerError on a bad id
  std::string id_to_piece(int id) const;
  int piece_size() const { return piece_size_; }
  int unk_id() const { return unk_id_; }
  int bos_id() const { return bos_id_; }  // -1 when the model has none
  int eos_id() const { return eos_id_; }  // -1 when the model has none
  int pad_id() const { return pad_id_; }  // -1 when the model has none
  const std::filesystem::path& file() const { return file_; }

 private:
  SentencePieceTokenizer() = default;
  std::filesystem::path file_;
  pspm_processor* processor_ = nullptr;
  int piece_size_ = 0;
  int unk_id_ = -1, bos_id_ = -1, eos_id_ = -1, pad_id_ = -1;
};

struct SentencePieceTrainOptions {
  std::vector<std::filesystem::path> inputs;  // text files, one sentence per line
  std::filesystem::path model_prefix;         // writes <prefix>.model and <prefix>.vocab
  int vocab_size = 8000;
  std::string model_type = "unigram";         // unigram | bpe | char | word
  double character_coverage = 1.0;
  bool quiet = true;                          // silence sentencepiece's progress log
  // Any other trainer flag, e.g. {"pad_id", "0"}, {"user_defined_symbols", "<x>,<y>"}.
  std::vector<std::pair<std::string, std::string>> extra;
};

// Trains a model and returns the path of the .model file. Throws TokenizerError with
// sentencepiece's message on failure.
std::filesystem::path train_sentencepiece(const SentencePieceTrainOptions& options);

}  // namespace palimpsest
