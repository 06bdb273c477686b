#include "retrieval/timeline/schedule.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>

#include "indexer/text/utf8.h"
#include "indexer/text/printable.h"

namespace palimpsest {
namespace {

class ScheduleParser {
 public:
  ScheduleParser(std::string_view text, std::string_view parameter) : text_(text), parameter_(parameter) {}

  std::vector<ScheduleKeyframe> parse() {
    skip_spaces();
    if (at_end()) fail(pos_, "empty schedule");
    const std::size_t start = pos_;
    if (auto value = number(); value && (skip_spaces(), at_end())) return {{0, *value}};
    pos_ = start;

    struct Key {
      ScheduleKeyframe keyframe;
      std::size_t position;
    };
    std::vector<Key> keys;
    while (true) {
      skip_spaces();
      const std::size_t key_at = pos_;
      const std::int64_t frame = frame_number();
      skip_spaces();
      expect(':');
      skip_spaces();
      const bool parenthesised = consume('(');
      skip_spaces();
      const std::size_t value_at = pos_;
      const std::optional<double> value = number();
      if (!value) fail(value_at, "expected a number");
      skip_spaces();
      if (parenthesised) expect(')');
      keys.push_back({{frame, *value}, key_at});
      skip_spaces();
      if (at_end()) break;
      if (!consume(',')) fail(pos_, "expected ',' or the end of the schedule");
      skip_spaces();
      if (at_end()) break;  // a trailing comma
    }
    std::stable_sort(keys.begin(), keys.end(),
                     [](const Key& a, const Key& b) { return a.keyframe.frame < b.keyframe.frame; });
    for (std::size_t i = 1; i < keys.size(); ++i) {
      if (keys[i].keyframe.frame == keys[i - 1].keyframe.frame)
        fail(std::max(keys[i].position, keys[i - 1].position),
             "duplicate frame " + std::to_string(keys[i].keyframe.frame));
    }
    std::vector<ScheduleKeyframe> keyframes;
    keyframes.reserve(keys.size());
    for (const Key& key : keys) keyframes.push_back(key.keyframe);
    return keyframes;
  }

 private:
  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }

  void skip_spaces() {
    while (!at_end() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }

  bool consume(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }

  void expect(char c) {
    if (!consume(c)) fail(pos_, std::string("expected '") + c + "'");
  }

  std::int64_t frame_number() {
    const std::size_t start = pos_;
    if (peek() == '-') fail(start, "frame numbers must be 0 or more");
    if (peek() < '0' || peek() > '9') fail(start, "expected a frame number");
    std::int64_t frame = 0;
    const auto result = std::from_chars(text_.data() + pos_, text_.data() + text_.size(), frame);
    if (result.ec == std::errc::result_out_of_range) fail(start, "frame number out of range");
    pos_ = static_cast<std::size_t>(result.ptr - text_.data());
    if (peek() == '.' || peek() == 'e' || peek() == 'E') fail(start, "frame numbers must be whole numbers");
    return frame;
  }

  // A finite decimal number with optional sign and exponent; nullopt (position unchanged) if none.
  std::optional<double> number() {
    std::size_t at = pos_;
    const bool plus = at < text_.size() && text_[at] == '+';
    if (plus) ++at;
    // from_chars would take "inf" and "nan"; a schedule value must start like a number.
    const char first = at < text_.size() ? text_[at] : '\0';
    const char second = at + 1 < text_.size() ? text_[at + 1] : '\0';
    const bool starts_numeric = (first >= '0' && first <= '9') || first == '.' ||
                                (!plus && first == '-' && ((second >= '0' && second <= '9') || second == '.'));
    if (!starts_numeric) return std::nullopt;
    double value = 0;
    const auto result = std::from_chars(text_.data() + at, text_.data() + text_.size(), value);
    if (result.ec != std::errc() || !std::isfinite(value)) return std::nullopt;
    pos_ = static_cast<std::size_t>(result.ptr - text_.data());
    return value;
  }

  [[noreturn]] void fail(std::size_t byte_offset, std::string problem) const {
    const std::size_t position = utf8_length(text_.substr(0, std::min(byte_offset, text_.size()))) + 1;
    throw ScheduleError(std::string(parameter_), position, std::string(text_), std::move(problem));
  }

  std::string_view text_;
  std::string_view parameter_;
  std::size_t pos_ = 0;
};

// Byte offset of the 1-based character `position` of `text`.
std::size_t byte_offset(std::string_view text, std::size_t position) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size(); ++i)
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80 && ++chars == position) return i;
  return text.size();
}

// The input is quoted around the position (a schedule may be pages of keys): at most 60 characters.
std::string error_message(const std::string& parameter, std::size_t position, const std::string& input,
                          const std::string& problem) {
  std::string message = parameter.empty() ? std::string() : printable_excerpt(parameter, 40) + ": ";
  message += problem + " at position " + std::to_string(position) + " in " + quoted_excerpt(input, 60, byte_offset(input, position));
  return message;
}

}  // namespace

ScheduleError::ScheduleError(std::string parameter, std::size_t position, std::string input, std::string problem)
    : Error(error_message(parameter, position, input, problem), error_class::bad_input),
      parameter_(std::move(parameter)),
      position_(position),
      input_(std::move(input)),
      problem_(std::move(problem)) {}

std::string shortest_text(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

Schedule Schedule::constant(double value) { return Schedule(std::vector<ScheduleKeyframe>{{0, value}}); }

Schedule Schedule::parse(std::string_view text, std::string_view parameter) {
  return Schedule(ScheduleParser(text, parameter).parse());
}

Schedule Schedule::from_keyframes(std::vector<ScheduleKeyframe> keyframes) {
  if (keyframes.empty()) throw std::invalid_argument("a schedule needs at least one keyframe");
  std::stable_sort(keyframes.begin(), keyframes.end(),
                   [](const ScheduleKeyframe& a, const ScheduleKeyframe& b) { return a.frame < b.frame; });
  for (std::size_t i = 0; i < keyframes.size(); ++i) {
    if (keyframes[i].frame < 0) throw std::invalid_argument("schedule frame numbers must be 0 or more");
    if (i > 0 && keyframes[i].frame == keyframes[i - 1].frame)
      throw std::invalid_argument("duplicate schedule frame " + std::to_string(keyframes[i].frame));
  }
  return Schedule(std::move(keyframes));
}

double Schedule::at(std::int64_t frame) const {
  if (frame <= keyframes_.front().frame) return keyframes_.front().value;
  if (frame >= keyframes_.back().frame) return keyframes_.back().value;
  const auto after = std::upper_bound(keyframes_.begin(), keyframes_.end(), frame,
                                      [](std::int64_t f, const ScheduleKeyframe& k) { return f < k.frame; });
  const ScheduleKeyframe& b = *after;
  const ScheduleKeyframe& a = *(after - 1);
  const double t = static_cast<double>(frame - a.frame) / static_cast<double>(b.frame - a.frame);
  return a.value + (b.value - a.value) * t;
}

std::string Schedule::to_string() const {
  if (is_constant() && keyframes_.front().frame == 0) return shortest_text(keyframes_.front().value);
  std::string out;
  for (const ScheduleKeyframe& k : keyframes_) {
    if (!out.empty()) out += ", ";
    out += std::to_string(k.frame) + ":(" + shortest_text(k.value) + ")";
  }
  return out;
}

}  // namespace palimpsest
