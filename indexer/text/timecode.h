#pragma once
// Timestamps as people read them in titles and listings.

#include <cstdint>
#include <string>

namespace palimpsest {

// "mm:ss.mmm", or "h:mm:ss.mmm" from one hour on.
std::string format_timestamp(std::int64_t ms);

}  // namespace palimpsest
