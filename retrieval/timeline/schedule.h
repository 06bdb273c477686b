#pragma once
// Keyframed parameters in the schedule syntax filmmakers know from Deforum: "0:(0.65), 48:(0.4)"
// means 0.65 at frame 0, 0.4 at frame 48, linear in between, the first value held before the first
// key and the last held after the last. A bare number ("0.5") is a constant.

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>
#include "schema/error.h"

namespace palimpsest {

// A schedule that does not parse. what() reads like
// `strength: expected ':' at position 9 in "0:(0.65), 48(0.4)"`; positions are 1-based characters.
class ScheduleError : public Error {
 public:
  ScheduleError(std::string parameter, std::size_t position, std::string input, std::string problem);
  const std::string& parameter() const { return parameter_; }
  std::size_t position() const { return position_; }
  const std::string& input() const { return input_; }
  const std::string& problem() const { return problem_; }

 private:
  std::string parameter_;
  std::size_t position_;
  std::string input_;
  std::string problem_;
};

struct ScheduleKeyframe {
  std::int64_t frame = 0;
  double value = 0;
  bool operator==(const ScheduleKeyframe&) const = default;
};

class Schedule {
 public:
  Schedule() : Schedule(constant(0.0)) {}

  static Schedule constant(double value);
  // Keys must be distinct whole frame numbers >= 0 and values finite; keys may come in any order
  // (they are sorted), whitespace anywhere between tokens is fine, the parentheses around values
  // are optional, numbers may be negative or use exponents, and a trailing comma is allowed.
  // `parameter` only names the schedule in errors. Throws ScheduleError.
  static Schedule parse(std::string_view text, std::string_view parameter);
  // From keyframes in any order; throws std::invalid_argument when empty, duplicated or negative.
  static Schedule from_keyframes(std::vector<ScheduleKeyframe> keyframes);

  double at(std::int64_t frame) const;
  const std::vector<ScheduleKeyframe>& keyframes() const { return keyframes_; }
  bool is_constant() const { return keyframes_.size() == 1; }
  // Canonical text that parses back to the same schedule: "0.5", or "0:(0.65), 48:(0.4)".
  std::string to_string() const;

  bool operator==(const Schedule&) const = default;

 private:
  explicit Schedule(std::vector<ScheduleKeyframe> sorted) : keyframes_(std::move(sorted)) {}
  std::vector<ScheduleKeyframe> keyframes_;  // sorted by frame, never empty
};

// The shortest text that reads back as `value` ("0.65", "48", "1e-07"): how schedules, ranges and
// limits print numbers.
std::string shortest_text(double value);

}  // namespace palimpsest
