#include "indexer/text/line_reader.h"

#include <algorithm>

namespace palimpsest {
namespace {
constexpr std::size_t kChunkBytes = 64 * 1024;
constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
}  // namespace

LineReader::LineReader(std::istream& in, std::size_t max_line_bytes)
    : source_(in.rdbuf()), max_line_bytes_(max_line_bytes), chunk_(kChunkBytes) {}

bool LineReader::fill() {
  if (source_ == nullptr) return false;
  const std::streamsize got = source_->sgetn(chunk_.data(), static_cast<std::streamsize>(chunk_.size()));
  pos_ = 0;
  end_ = got > 0 ? static_cast<std::size_t>(got) : 0;
  if (end_ == 0) source_ = nullptr;  // do not ask an exhausted stream again
  return end_ > 0;
}

void LineReader::append(const char* data, std::size_t size) {
  const std::size_t room = max_line_bytes_ - std::min(max_line_bytes_, line_.size());
  if (size > room) {
    too_long_ = true;
    size = room;
  }
  line_.append(data, size);
}

bool LineReader::next() {
  line_.clear();
  too_long_ = false;
  bool consumed = false;  // whether this line has any byte, so a final unterminated line counts
  for (;;) {
    if (pos_ == end_ && !fill()) {
      if (!consumed) return false;
      break;
    }
    if (skip_lf_) {
      skip_lf_ = false;
      if (chunk_[pos_] == '\n') {
        ++pos_;
        continue;
      }
    }
    const char* begin = chunk_.data() + pos_;
    const char* stop = chunk_.data() + end_;
    const char* eol = std::find_if(begin, stop, [](char c) { return c == '\n' || c == '\r'; });
    append(begin, static_cast<std::size_t>(eol - begin));
    consumed = true;
    if (eol == stop) {
      pos_ = end_;
      continue;
    }
    skip_lf_ = *eol == '\r';
    pos_ = static_cast<std::size_t>(eol - chunk_.data()) + 1;
    break;
  }
  ++number_;
  if (number_ == 1 && std::string_view(line_).starts_with(kUtf8Bom)) line_.erase(0, kUtf8Bom.size());
  return true;
}

}  // namespace palimpsest
