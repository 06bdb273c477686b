// Deforum schedules ("0:(0.65), 48:(0.4)"): any text parses or throws ScheduleError; what parses
// prints back (to_string) to text that parses to the same schedule.
#include <cstdint>
#include <string_view>

#include "retrieval/timeline/parameters.h"
#include "retrieval/timeline/schedule.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const palimpsest::Schedule schedule = palimpsest::Schedule::parse(text, "strength");
    const palimpsest::Schedule again = palimpsest::Schedule::parse(schedule.to_string(), "strength");
    if (!(again == schedule)) __builtin_trap();
    schedule.at(0);
    schedule.at(INT64_MAX);
  } catch (const palimpsest::ScheduleError& e) {
    if (std::string_view(e.what()).size() > 400) __builtin_trap();  // quoted input is capped
  }
  // "name=value" as --schedule and notes give it.
  const std::size_t eq = text.find('=');
  if (eq != std::string_view::npos) {
    palimpsest::ParameterSet set;
    try {
      palimpsest::set_parameter(set, text.substr(0, eq), text.substr(eq + 1));
    } catch (const palimpsest::Error&) {
    }
  }
  return 0;
}
