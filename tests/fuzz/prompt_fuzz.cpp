// Prompt syntax: "(word:1.3)" weights, "--neg" tails, [[record: 12]]. Weights come out finite.
#include <cmath>
#include <cstdint>
#include <string_view>

#include "retrieval/timeline/prompt.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const palimpsest::Prompt prompt = palimpsest::parse_prompt(text);
    for (const palimpsest::PromptTerm& term : prompt.terms)
      if (!std::isfinite(term.weight)) __builtin_trap();
  } catch (const palimpsest::Error&) {
  }
  try {
    for (std::int64_t id : palimpsest::parse_record_ids(text))
      if (id < 1) __builtin_trap();
  } catch (const std::invalid_argument&) {
  }
  palimpsest::collapse_whitespace(text);
  return 0;
}
