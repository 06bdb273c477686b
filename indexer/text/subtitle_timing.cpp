#include "indexer/text/subtitle_timing.h"

#include <cstdio>

namespace palimpsest {
namespace {

// Hours beyond this many digits would overflow milliseconds; no real subtitle comes close.
constexpr std::size_t kMaxHourDigits = 9;

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\f'; }

struct Failure {
  std::size_t offset;
  std::string message;
};

class TimingScanner {
 public:
  TimingScanner(std::string_view line, SubtitleFormat format) : s_(line), format_(format) {}

  std::size_t pos() const { return pos_; }
  bool at_end() const { return pos_ >= s_.size(); }
  char peek() const { return at_end() ? '\0' : s_[pos_]; }

  void skip_blanks() {
    while (!at_end() && is_blank(s_[pos_])) ++pos_;
  }

  bool consume(std::string_view token) {
    if (s_.substr(pos_).starts_with(token)) {
      pos_ += token.size();
      return true;
    }
    return false;
  }

  std::string_view rest() const { return s_.substr(std::min(pos_, s_.size())); }

  // Reads one timestamp; on failure returns nullopt and fills `failure`.
  std::optional<std::int64_t> timestamp(Failure& failure) {
    const std::size_t start = pos_;
    std::int64_t first = 0;
    const std::size_t first_digits = digits(first, kMaxHourDigits + 1);
    if (first_digits == 0) return fail(failure, start, "expected a timestamp");
    if (first_digits > kMaxHourDigits) return fail(failure, start, "timestamp out of range");
    if (!consume(":")) return fail(failure, pos_, "expected ':' in timestamp");

    const std::size_t second_at = pos_;
    std::int64_t second = 0;
    if (digits(second, 3) != 2) return fail(failure, second_at, "expected two digits after ':'");

    std::int64_t hours = 0, minutes = first, seconds = second;
    std::size_t minutes_at = start, seconds_at = second_at;
    // Like the W3C parser: a first field that is not two digits or exceeds 59 can only be hours.
    const bool has_hours = first_digits != 2 || first > 59 || peek() == ':';
    if (has_hours) {
      if (!consume(":")) return fail(failure, pos_, "expected ':' in timestamp");
      const std::size_t third_at = pos_;
      std::int64_t third = 0;
      if (digits(third, 3) != 2) return fail(failure, third_at, "expected two digits after ':'");
      hours = first;
      minutes = second;
      seconds = third;
      minutes_at = second_at;
      seconds_at = third_at;
    }
    if (minutes > 59) return fail(failure, minutes_at, "minutes must be 00-59");
    if (seconds > 59) return fail(failure, seconds_at, "seconds must be 00-59");

    const bool srt = format_ == SubtitleFormat::srt;
    if (!consume(".") && !(srt && consume(",")))
      return fail(failure, pos_, srt ? "expected ',' or '.' before milliseconds"
                                     : "expected '.' before milliseconds");
    const std::size_t fraction_at = pos_;
    std::int64_t fraction = 0;
    const std::size_t fraction_digits = digits(fraction, 4);
    if (srt ? (fraction_digits < 1 || fraction_digits > 3) : fraction_digits != 3)
      return fail(failure, fraction_at,
                  srt ? "expected one to three millisecond digits" : "expected three millisecond digits");
    for (std::size_t d = fraction_digits; d < 3; ++d) fraction *= 10;  // ",5" is 500 ms
    return ((hours * 60 + minutes) * 60 + seconds) * 1000 + fraction;
  }

 private:
  // Reads up to `limit` digits into `value`; returns how many were read (reading stops at `limit`
  // so that a caller can tell "too many" from "just enough").
  std::size_t digits(std::int64_t& value, std::size_t limit) {
    std::size_t n = 0;
    value = 0;
    while (!at_end() && is_digit(s_[pos_]) && n < limit) {
      value = value * 10 + (s_[pos_] - '0');
      ++pos_;
      ++n;
    }
    return n;
  }

  static std::optional<std::int64_t> fail(Failure& failure, std::size_t offset, std::string message) {
    failure = {offset, std::move(message)};
    return std::nullopt;
  }

  std::string_view s_;
  SubtitleFormat format_;
  std::size_t pos_ = 0;
};

std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

TimingLineParse parse_timing_line(std::string_view line, SubtitleFormat format) {
  TimingLineParse result;
  auto fail = [&](const Failure& f) {
    result.error_offset = f.offset;
    result.error = f.message;
    return result;
  };
  TimingScanner scan(line, format);
  Failure failure;
  scan.skip_blanks();
  const auto start = scan.timestamp(failure);
  if (!start) return fail(failure);
  scan.skip_blanks();
  if (!scan.consume("-->")) return fail({scan.pos(), "expected '-->' after the start time"});
  scan.skip_blanks();
  const std::size_t end_at = scan.pos();
  const auto end = scan.timestamp(failure);
  if (!end) return fail(failure);
  if (!scan.at_end() && !is_blank(scan.peek()))
    return fail({scan.pos(), "expected whitespace after the end time"});
  if (*end < *start)
    return fail({end_at, "end time " + format_cue_time(*end) + " is before start time " +
                             format_cue_time(*start)});
  CueTiming timing{*start, *end, {}};
  if (format == SubtitleFormat::webvtt) timing.settings = std::string(trim_blanks(scan.rest()));
  result.timing = std::move(timing);
  return result;
}

std::string format_cue_time(std::int64_t ms) {
  const std::int64_t hours = ms / 3'600'000, minutes = ms / 60'000 % 60, seconds = ms / 1000 % 60;
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "%02lld:%02lld:%02lld.%03lld", static_cast<long long>(hours),
                static_cast<long long>(minutes), static_cast<long long>(seconds),
                static_cast<long long>(ms % 1000));
  return buffer;
}

}  // namespace palimpsest
