#pragma once
// Terminal progress for long work: a single redrawn status line when stderr is a terminal,
// nothing (the caller prints plain lines) when it is piped or redirected.

#include <chrono>
#include <cstdint>
#include <string>

namespace palimpsest::cli {

class ProgressLine {
 public:
  // enabled: draw at all (e.g. stderr is a tty and --quiet/--json not given).
  explicit ProgressLine(bool enabled);
  ~ProgressLine();

  bool enabled() const { return enabled_; }
  // Redraws at most ~10 times a second unless `force`.
  void update(const std::string& text, bool force = false);
  // Erases the line so ordinary output can be printed; the next update redraws it.
  void clear();

  static bool stderr_is_terminal();

 private:
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_draw_{};
};

// "[#####.....]" of the given width for a fraction in [0, 1].
std::string progress_bar(double fraction, int width = 24);
// "1m05s", "12s", "2h03m" for an ETA.
std::string format_duration(double seconds);

}  // namespace palimpsest::cli
