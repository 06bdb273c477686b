#include "indexer/speech/sphinx_log.h"

#include "indexer/speech/transcriber.h"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string_view>

extern "C" {
#include <sphinxbase/err.h>
}

namespace palimpsest {
namespace {

thread_local std::string last_error;
thread_local bool fatal_throws = false;
bool forward_to_stderr = false;

// "ERROR: \"file.c\", line 12: message" -> "message", on one line of printable ASCII (messages
// about corrupt files quote the file's bytes), at most 200 characters.
std::string one_clean_line(std::string_view message) {
  if (const auto at = message.find("\", line "); at != std::string_view::npos) {
    if (const auto colon = message.find(": ", at); colon != std::string_view::npos) message.remove_prefix(colon + 2);
  }
  std::string text;
  for (char c : message) {
    if (text.size() >= 200) {
      text += "...";
      break;
    }
    const bool printable = c >= 0x20 && c < 0x7f;
    if (!printable && c != '\n' && c != '\t') continue;
    if (!printable || c == ' ') {
      if (!text.empty() && text.back() != ' ') text += ' ';
    } else {
      text += c;
    }
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

void on_sphinx_message(void* /*user_data*/, err_lvl_t level, const char* format, ...) {
  if (!forward_to_stderr && level < ERR_ERROR) return;
  char line[1024];
  va_list args;
  va_start(args, format);
  std::vsnprintf(line, sizeof line, format, args);
  va_end(args);
  if (forward_to_stderr) std::fputs(line, stderr);
  if (level >= ERR_ERROR) {
    last_error = one_clean_line(line);
    const std::string& text = last_error;
    if (level == ERR_FATAL) {
      if (fatal_throws) throw SpeechError(text);
      if (!forward_to_stderr) std::fprintf(stderr, "pocketsphinx: fatal error, exiting: %s\n", text.c_str());
    }
  }
}

}  // namespace

void route_sphinx_log() {
  static std::once_flag once;
  std::call_once(once, [] {
    const char* env = std::getenv("PALIMPSEST_SPEECH_LOG");
    forward_to_stderr = env && *env && std::string(env) != "0";
    // ps_init prints its configuration straight to the log file, not through the callback:
    // no log file at all stops that.
    err_set_logfp(nullptr);
    err_set_callback(&on_sphinx_message, nullptr);
  });
}

SphinxFatalGuard::SphinxFatalGuard() : previous_(fatal_throws) { fatal_throws = true; }
SphinxFatalGuard::~SphinxFatalGuard() { fatal_throws = previous_; }

std::string take_sphinx_error() {
  std::string error;
  error.swap(last_error);
  return error;
}

}  // namespace palimpsest
