#include "retrieval/timeline/fountain_emphasis.h"

#include <vector>

namespace palimpsest {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }
bool is_word(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || u >= 0x80;
}

class EmphasisStripper {
 public:
  explicit EmphasisStripper(std::string_view line) : s_(line), gone_(line.size(), false), literal_(line.size(), false) {
    // An escape makes the next character literal and disappears itself.
    for (std::size_t i = 0; i + 1 < s_.size(); ++i) {
      if (s_[i] == '\\' && (s_[i + 1] == '*' || s_[i + 1] == '_')) {
        gone_[i] = true;
        literal_[i + 1] = true;
        ++i;
      }
    }
  }

  std::string run() {
    strip_pairs('*', 3);
    strip_pairs('*', 2);
    strip_pairs('*', 1);
    strip_pairs('_', 1);
    std::string out;
    out.reserve(s_.size());
    for (std::size_t i = 0; i < s_.size(); ++i)
      if (!gone_[i]) out += s_[i];
    return out;
  }

 private:
  // A run of exactly `width` live markers at i (not part of a longer run).
  bool marker_at(std::size_t i, char marker, std::size_t width) const {
    if (i + width > s_.size()) return false;
    for (std::size_t k = i; k < i + width; ++k)
      if (s_[k] != marker || gone_[k] || literal_[k]) return false;
    const auto live_marker = [&](std::size_t k) { return s_[k] == marker && !gone_[k] && !literal_[k]; };
    if (i > 0 && live_marker(i - 1)) return false;
    if (i + width < s_.size() && live_marker(i + width)) return false;
    return true;
  }

  // The nearest character before / after position i that is still there ('\0' at the edges).
  char live_before(std::size_t i) const {
    while (i > 0)
      if (!gone_[--i]) return s_[i];
    return '\0';
  }
  char live_after(std::size_t i) const {
    for (; i < s_.size(); ++i)
      if (!gone_[i]) return s_[i];
    return '\0';
  }

  bool can_open(std::size_t i, char marker, std::size_t width) const {
    const char next = live_after(i + width);
    if (next == '\0' || is_space(next)) return false;
    return marker != '_' || !is_word(live_before(i));
  }
  bool can_close(std::size_t i, char marker, std::size_t width) const {
    const char previous = live_before(i);
    if (previous == '\0' || is_space(previous)) return false;
    return marker != '_' || !is_word(live_after(i + width));
  }

  void strip_pairs(char marker, std::size_t width) {
    std::size_t i = 0;
    while (i < s_.size()) {
      if (!marker_at(i, marker, width) || !can_open(i, marker, width)) {
        ++i;
        continue;
      }
      std::size_t close = i + width + 1;  // emphasis holds at least one character
      while (close < s_.size() && !(marker_at(close, marker, width) && can_close(close, marker, width))) ++close;
      // Closers do not depend on the opener, so none after this one means none after any later
      // opener either: stop, which keeps the pass linear on hostile lines full of markers.
      if (close >= s_.size()) return;
      for (std::size_t k = 0; k < width; ++k) gone_[i + k] = gone_[close + k] = true;
      i = close + width;
    }
  }

  std::string_view s_;
  std::vector<bool> gone_;
  std::vector<bool> literal_;
};

}  // namespace

std::string strip_fountain_emphasis(std::string_view line) { return EmphasisStripper(line).run(); }

}  // namespace palimpsest
