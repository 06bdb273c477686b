#pragma once
// Text tokenizers for CLIP text towers: OpenAI's byte-level BPE (bpe_simple_vocab_16e6.txt.gz)
// and sentencepiece models, behind one interface that produces context-length rows.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace palimpsest {

class SentencePieceTokenizer;

// One text as a model input row: `ids` has exactly context_length entries (padded), `eot` is the
// position whose features represent the text (the end-of-text token).
struct TokenizedText {
  std::vector<std::int64_t> ids;
  int eot = 0;
};

class TextTokenizer {
 public:
  virtual ~TextTokenizer() = default;
  virtual TokenizedText tokenize(std::string_view text, int context_length) const = 0;
  virtual std::string kind() const = 0;
  virtual int vocab_size() const = 0;
};

// OpenAI's SimpleTokenizer: 49408 ids, start 49406, end 49407. Thread-safe.
class ClipBpeTokenizer final : public TextTokenizer {
 public:
  static constexpr int kStartToken = 49406;
  static constexpr int kEndToken = 49407;
  static constexpr int kVocabSize = 49408;

  // Reads the gzip merges file. Throws TokenizerError naming the file when it is missing,
  // unreadable or not a CLIP merges list.
  explicit ClipBpeTokenizer(const std::filesystem::path& merges_file);
  ~ClipBpeTokenizer() override;

  // SimpleTokenizer.encode(text): BPE ids without start/end tokens.
  std::vector<int> encode(std::string_view text) const;
  // SimpleTokenizer.decode(ids): "</w>" word ends become spaces.
  std::string decode(const std::vector<int>& ids) const;
  // clip.tokenize(text, context_length, truncate=True): [start] + ids + [end], truncated to the
  // context length with the end token kept, zero padding; eot = position of the end token.
  TokenizedText tokenize(std::string_view text, int context_length) const override;
  std::string kind() const override { return "clip_bpe"; }
  int vocab_size() const override { return kVocabSize; }

 private:
  std::vector<std::string> bpe(const std::string& token) const;

  std::unordered_map<std::string, int> encoder_;
  std::vector<std::string> decoder_;
  std::unordered_map<std::string, int> ranks_;  // "first second" -> merge rank
  std::string byte_to_symbol_[256];             // byte -> UTF-8 of its stand-in character
  std::unordered_map<std::string, unsigned char> symbol_to_byte_;
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<int>> cache_;
};

// A sentencepiece model as a CLIP text tokenizer: ids = pieces [+ eos], truncated to the
// context length keeping the last token, padded with the model's pad id (0 when it has none);
// eot = position of the last real token.
class SentencePieceTextTokenizer final : public TextTokenizer {
 public:
  SentencePieceTextTokenizer(const std::filesystem::path& model_file, bool add_bos, bool add_eos);
  ~SentencePieceTextTokenizer() override;
  TokenizedText tokenize(std::string_view text, int context_length) const override;
  std::string kind() const override { return "sentencepiece"; }
  int vocab_size() const override;

 private:
  std::unique_ptr<SentencePieceTokenizer> sp_;
  bool add_bos_;
  bool add_eos_;
};

// Builds the tokenizer of a model.json "tokenizer" entry. `kind` is "clip_bpe" or
// "sentencepiece"; anything else throws TokenizerError naming `config_file`.
std::unique_ptr<TextTokenizer> make_text_tokenizer(const std::string& kind,
                                                   const std::filesystem::path& file,
                                                   const std::filesystem::path& config_file,
                                                   bool add_bos = false, bool add_eos = true);

}  // namespace palimpsest
