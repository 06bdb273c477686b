#include "indexer/clip/clip_tokenizer.h"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <system_error>

#include "indexer/clip/clip_error.h"
#include "indexer/clip/clip_text.h"
#include "indexer/clip/sentencepiece_tokenizer.h"

namespace palimpsest {
namespace fs = std::filesystem;
namespace {

// Number of merges OpenAI's SimpleTokenizer uses from the file: 49152 - 256 - 2.
constexpr std::size_t kMergeCount = 49152 - 256 - 2;
constexpr std::size_t kCacheLimit = 1 << 16;
const std::string kWordEnd = "</w>";

std::string read_gzip(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw TokenizerError(path, "BPE merges file not found");
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) throw TokenizerError(path, "cannot open the BPE merges file");
  std::string data;
  char buffer[1 << 16];
  while (true) {
    const int n = gzread(file, buffer, sizeof buffer);
    if (n < 0) {
      int code = 0;
      const std::string why = gzerror(file, &code);
      gzclose(file);
      throw TokenizerError(path, "cannot decompress the BPE merges file: " + why);
    }
    if (n == 0) break;
    data.append(buffer, static_cast<std::size_t>(n));
  }
  // A stream cut short reads as data followed by end-of-file, with the error left in gzerror.
  int code = Z_OK;
  const std::string why = gzerror(file, &code);
  gzclose(file);
  if (code != Z_OK) {
    throw TokenizerError(path, "truncated or corrupt BPE merges file: " + why);
  }
  return data;
}

// OpenAI's bytes_to_unicode(): printable Latin-1 bytes stand for themselves, the others are
// shifted to U+0100 and up. Returns the byte order of the vocabulary and each byte's character.
std::vector<int> byte_order(char32_t (&chars)[256]) {
  std::vector<int> order;
  for (int b = '!'; b <= '~'; ++b) order.push_back(b);
  for (int b = 0xA1; b <= 0xAC; ++b) order.push_back(b);
  for (int b = 0xAE; b <= 0xFF; ++b) order.push_back(b);
  std::vector<bool> printable(256, false);
  for (int b : order) printable[b] = true;
  for (int b : order) chars[b] = static_cast<char32_t>(b);
  int extra = 0;
  for (int b = 0; b < 256; ++b) {
    if (!printable[b]) {
      order.push_back(b);
      chars[b] = static_cast<char32_t>(256 + extra++);
    }
  }
  return order;
}

std::vector<std::string_view> split_lines(std::string_view data) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start <= data.size()) {
    const std::size_t end = data.find('\n', start);
    if (end == std::string_view::npos) {
      lines.push_back(data.substr(start));
      break;
    }
    lines.push_back(data.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::vector<std::string> split_whitespace(std::string_view line) {
  std::vector<std::string> parts;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    std::size_t j = i;
    while (j < line.size() && !(line[j] == ' ' || line[j] == '\t' || line[j] == '\r')) ++j;
    if (j > i) parts.emplace_back(line.substr(i, j - i));
    i = j;
  }
  return parts;
}

// UTF-8 string -> its code points as separate UTF-8 strings.
std::vector<std::string> split_code_points(const std::string& s) {
  std::vector<std::string> out;
  for (char32_t cp : clip::utf8_to_u32(s)) {
    std::string one;
    clip::append_utf8(one, cp);
    out.push_back(std::move(one));
  }
  return out;
}

TokenizedText make_row(std::vector<std::int64_t> ids, int context_length, std::int64_t pad) {
  TokenizedText row;
  row.eot = static_cast<int>(ids.size()) - 1;
  ids.resize(static_cast<std::size_t>(context_length), pad);
  row.ids = std::move(ids);
  return row;
}

void check_context_length(int context_length) {
  if (context_length < 2) {
    throw TokenizerError("context length " + std::to_string(context_length) +
                         " is too short (at least 2 tokens are needed)");
  }
}

}  // namespace

ClipBpeTokenizer::ClipBpeTokenizer(const fs::path& merges_file) {
  const std::string data = read_gzip(merges_file);
  const auto lines = split_lines(data);
  if (lines.size() < kMergeCount + 1) {
    throw TokenizerError(merges_file, "not a CLIP BPE merges file: " +
                                          std::to_string(lines.size()) + " lines, expected " +
                                          std::to_string(kMergeCount + 1) + " or more");
  }
  char32_t chars[256];
  const std::vector<int> order = byte_order(chars);
  for (int b = 0; b < 256; ++b) {
    clip::append_utf8(byte_to_symbol_[b], chars[b]);
    symbol_to_byte_[byte_to_symbol_[b]] = static_cast<unsigned char>(b);
  }
  decoder_.reserve(kVocabSize);
  for (int b : order) decoder_.push_back(byte_to_symbol_[b]);
  for (int b : order) decoder_.push_back(byte_to_symbol_[b] + kWordEnd);
  ranks_.reserve(kMergeCount);
  for (std::size_t i = 0; i < kMergeCount; ++i) {
    const auto parts = split_whitespace(lines[i + 1]);
    if (parts.size() != 2) {
      throw TokenizerError(merges_file, "not a CLIP BPE merges file: line " +
                                            std::to_string(i + 2) + " is not a pair of symbols");
    }
    ranks_.emplace(parts[0] + " " + parts[1], static_cast<int>(i));
    decoder_.push_back(parts[0] + parts[1]);
  }
  decoder_.push_back("<|startoftext|>");
  decoder_.push_back("<|endoftext|>");
  encoder_.reserve(decoder_.size());
  for (std::size_t i = 0; i < decoder_.size(); ++i) {
    encoder_.emplace(decoder_[i], static_cast<int>(i));  // first occurrence wins, as in Python
  }
}

ClipBpeTokenizer::~ClipBpeTokenizer() = default;

std::vector<std::string> ClipBpeTokenizer::bpe(const std::string& token) const {
  if (token == "<|startoftext|>" || token == "<|endoftext|>") return {token};
  std::vector<std::string> word = split_code_points(token);
  if (word.empty()) return {};
  word.back() += kWordEnd;
  while (word.size() > 1) {
    // The adjacent pair with the lowest merge rank.
    int best_rank = INT_MAX;
    std::size_t best = 0;
    for (std::size_t i = 0; i + 1 < word.size(); ++i) {
      const auto it = ranks_.find(word[i] + " " + word[i + 1]);
      if (it != ranks_.end() && it->second < best_rank) {
        best_rank = it->second;
        best = i;
      }
    }
    if (best_rank == INT_MAX) break;
    const std::string first = word[best];
    const std::string second = word[best + 1];
    // Merge every occurrence of the pair, left to right.
    std::vector<std::string> merged;
    merged.reserve(word.size());
    for (std::size_t i = 0; i < word.size();) {
      if (i + 1 < word.size() && word[i] == first && word[i + 1] == second) {
        merged.push_back(first + second);
        i += 2;
      } else {
        merged.push_back(word[i]);
        ++i;
      }
    }
    word = std::move(merged);
  }
  return word;
}

std::vector<int> ClipBpeTokenizer::encode(std::string_view text) const {
  std::vector<int> ids;
  const std::u32string cleaned = clip::clip_clean_text(text);
  for (const std::string& word : clip::clip_split_words(cleaned)) {
    std::string symbols;
    for (unsigned char b : word) symbols += byte_to_symbol_[b];
    {
      std::lock_guard lock(cache_mutex_);
      if (const auto it = cache_.find(symbols); it != cache_.end()) {
        ids.insert(ids.end(), it->second.begin(), it->second.end());
        continue;
      }
    }
    std::vector<int> word_ids;
    for (const std::string& piece : bpe(symbols)) {
      const auto it = encoder_.find(piece);
      if (it == encoder_.end()) {
        throw TokenizerError("CLIP BPE: piece '" + piece + "' is not in the vocabulary");
      }
      word_ids.push_back(it->second);
    }
    ids.insert(ids.end(), word_ids.begin(), word_ids.end());
    std::lock_guard lock(cache_mutex_);
    if (cache_.size() >= kCacheLimit) cache_.clear();
    cache_.emplace(std::move(symbols), std::move(word_ids));
  }
  return ids;
}

std::string ClipBpeTokenizer::decode(const std::vector<int>& ids) const {
  std::string symbols;
  for (int id : ids) {
    if (id < 0 || id >= static_cast<int>(decoder_.size())) {
      throw TokenizerError("CLIP BPE: id " + std::to_string(id) + " is outside the vocabulary");
    }
    symbols += decoder_[id];
  }
  std::string bytes;
  for (char32_t cp : clip::utf8_to_u32(symbols)) {
    std::string one;
    clip::append_utf8(one, cp);
    const auto it = symbol_to_byte_.find(one);
    if (it != symbol_to_byte_.end()) {
      bytes.push_back(static_cast<char>(it->second));
    } else {
      bytes += one;
    }
  }
  // "</w>" marks word ends; the symbols above never contain '<' '/' 'w' '>' as raw bytes other
  // than from real text, as in OpenAI's decode.
  std::string out;
  for (std::size_t i = 0; i < bytes.size();) {
    if (bytes.compare(i, kWordEnd.size(), kWordEnd) == 0) {
      out.push_back(' ');
      i += kWordEnd.size();
    } else {
      out.push_back(bytes[i++]);
    }
  }
  return out;
}

TokenizedText ClipBpeTokenizer::tokenize(std::string_view text, int context_length) const {
  check_context_length(context_length);
  std::vector<std::int64_t> ids;
  ids.push_back(kStartToken);
  for (int id : encode(text)) ids.push_back(id);
  ids.push_back(kEndToken);
  if (ids.size() > static_cast<std::size_t>(context_length)) {
    ids.resize(static_cast<std::size_t>(context_length));
    ids.back() = kEndToken;
  }
  return make_row(std::move(ids), context_length, 0);
}

SentencePieceTextTokenizer::SentencePieceTextTokenizer(const fs::path& model_file, bool add_bos,
                                                       bool add_eos)
    : sp_(SentencePieceTokenizer::load(model_file)), add_bos_(add_bos), add_eos_(add_eos) {
  if (add_bos_ && sp_->bos_id() < 0) {
    throw TokenizerError(model_file, "the tokenizer asks for a start token but the model has none");
  }
  if (add_eos_ && sp_->eos_id() < 0) {
    throw TokenizerError(model_file, "the tokenizer asks for an end token but the model has none");
  }
}

SentencePieceTextTokenizer::~SentencePieceTextTokenizer() = default;

int SentencePieceTextTokenizer::vocab_size() const { return sp_->piece_size(); }

TokenizedText SentencePieceTextTokenizer::tokenize(std::string_view text,
                                                   int context_length) const {
  check_context_length(context_length);
  std::vector<std::int64_t> ids;
  if (add_bos_) ids.push_back(sp_->bos_id());
  for (int id : sp_->encode(text)) ids.push_back(id);
  if (add_eos_) ids.push_back(sp_->eos_id());
  if (ids.empty()) ids.push_back(sp_->unk_id() >= 0 ? sp_->unk_id() : 0);
  if (ids.size() > static_cast<std::size_t>(context_length)) {
    const std::int64_t last = ids.back();
    ids.resize(static_cast<std::size_t>(context_length));
    if (add_eos_) ids.back() = last;
  }
  return make_row(std::move(ids), context_length, sp_->pad_id() >= 0 ? sp_->pad_id() : 0);
}

std::unique_ptr<TextTokenizer> make_text_tokenizer(const std::string& kind, const fs::path& file,
                                                   const fs::path& config_file, bool add_bos,
                                                   bool add_eos) {
  if (kind == "clip_bpe") return std::make_unique<ClipBpeTokenizer>(file);
  if (kind == "sentencepiece") {
    return std::make_unique<SentencePieceTextTokenizer>(file, add_bos, add_eos);
  }
  throw TokenizerError(config_file, "unknown tokenizer kind '" + kind +
                                        "' (expected \"clip_bpe\" or \"sentencepiece\")");
}

}  // namespace palimpsest
