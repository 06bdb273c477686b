#pragma once
// Range requests past the end of a file (internal to server/). cpp-httplib answers them from a
// content provider by dropping the connection, and slices any error body it is given; so a
// handler checks first and answers 416 with the JSON error itself.

#include <httplib.h>

#include <cstdint>
#include <string>

#include "server/api_context.h"

namespace palimpsest::server {

// Throws ApiError 416 (with Content-Range: bytes */size) when a requested range starts at or past
// the end of a `size`-byte file.
inline void check_ranges(const httplib::Request& req, httplib::Response& res, std::uintmax_t size) {
  for (const auto& [first, last] : req.ranges) {
    const bool past_end = first >= 0 ? static_cast<std::uintmax_t>(first) >= size : last == 0 || size == 0;
    if (!past_end) continue;
    // The request is the server's own object, handed over as const; without its ranges cpp-httplib
    // leaves the error body alone.
    const_cast<httplib::Request&>(req).ranges.clear();
    res.set_header("Content-Range", "bytes */" + std::to_string(size));
    throw ApiError{416, "range_not_satisfiable", "the file has " + std::to_string(size) + " bytes"};
  }
}

}  // namespace palimpsest::server
