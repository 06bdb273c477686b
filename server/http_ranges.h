#pragma once
// Serving files with Range support (internal to server/). cpp-httplib answers Range requests from
// a content provider of known length, but answers a range past the end by dropping the
// connection and slices any error body it is given; so a handler checks first and answers 416
// with the JSON error itself.

#include <httplib.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

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

// Streams an open file of `size` bytes as the response body; cpp-httplib cuts the ranges a
// request asks for out of it. Call check_ranges first.
inline void send_file_ranges(httplib::Response& res, std::shared_ptr<std::ifstream> file, std::uintmax_t size,
                             const std::string& content_type) {
  res.set_content_provider(static_cast<std::size_t>(size), content_type,
                           [file](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
                             std::vector<char> buffer(std::min<std::size_t>(length, 1 << 16));
                             file->clear();
                             file->seekg(static_cast<std::streamoff>(offset));
                             file->read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
                             const auto got = file->gcount();
                             if (got <= 0) return false;
                             sink.write(buffer.data(), static_cast<std::size_t>(got));
                             return true;
                           });
}

}  // namespace palimpsest::server
