#pragma once
// sphinxbase's log, routed. By default pocketsphinx prints its whole configuration and a few
// hundred lines per utterance on stderr; here INFO and WARN lines are dropped, and the last ERROR
// line of each thread is kept so that a failing call can say why in one line. With
// PALIMPSEST_SPEECH_LOG=1 in the environment every line goes to stderr (for debugging).

#include <string>

namespace palimpsest {

// Installs the routing (process-wide, idempotent, thread-safe). Call before any sphinx call.
void route_sphinx_log();

// The last ERROR/FATAL line logged on this thread since the previous call ("" when none); clears it.
std::string take_sphinx_error();

// sphinxbase answers some broken inputs (a corrupt acoustic model file) with E_FATAL: it logs the
// message, then exit()s the process. While a guard lives on a thread, such a message throws
// SpeechError from the log callback instead, which unwinds through sphinxbase's C frames (Debian
// builds them with unwind tables) before exit() is reached. What the failed call had allocated
// leaks, so guard only calls whose failure is final (loading a model). Without a guard, the fatal
// line is printed on stderr, so the process does not end without a word.
class SphinxFatalGuard {
 public:
  SphinxFatalGuard();
  ~SphinxFatalGuard();
  SphinxFatalGuard(const SphinxFatalGuard&) = delete;
  SphinxFatalGuard& operator=(const SphinxFatalGuard&) = delete;

 private:
  bool previous_;
};

}  // namespace palimpsest
