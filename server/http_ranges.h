#pragma once
// Serving files with Range support (internal to server/). cpp-httplib 0.11.4 cuts ranges out of a
// content provider itself, but gets several ranges wrong (each part labelled with a total of 0 and
// open ranges as 0-18446744073709551615, with empty bodies), answers a range past the end by
// dropping the connection, and slices any error body it is given. So a handler resolves the
// ranges first (check_ranges), as RFC 9110 section 14.2 allows a server to:
// - ranges that start past the end are dropped; when none is left, 416 with a JSON body;
// - overlapping or adjacent ranges are coalesced; when one range is left it is served (206);
// - when several disjoint ranges are left, the Range field is ignored and the whole file is
//   served (200), so cpp-httplib never writes a multipart/byteranges body.

#include <httplib.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "server/api_context.h"

namespace palimpsest::server {

struct ByteRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;  // inclusive
};

enum class RangeAnswer { whole, one, unsatisfiable };

struct RangePlan {
  RangeAnswer answer = RangeAnswer::whole;
  ByteRange range;  // when answer == one
};

// cpp-httplib's parsed ranges ({first, last} with -1 for an open end; {-1, n} for the last n bytes)
// resolved against a file of `size` bytes.
inline RangePlan plan_ranges(const httplib::Ranges& ranges, std::uint64_t size) {
  if (ranges.empty()) return {};
  std::vector<ByteRange> wanted;
  for (const auto& [first, last] : ranges) {
    if (first >= 0) {
      if (static_cast<std::uint64_t>(first) >= size) continue;
      const std::uint64_t end = last < 0 || static_cast<std::uint64_t>(last) >= size ? size - 1 : static_cast<std::uint64_t>(last);
      if (end < static_cast<std::uint64_t>(first)) continue;
      wanted.push_back({static_cast<std::uint64_t>(first), end});
    } else if (last > 0 && size > 0) {  // a suffix: the last `last` bytes
      wanted.push_back({size - std::min<std::uint64_t>(static_cast<std::uint64_t>(last), size), size - 1});
    }
  }
  if (wanted.empty()) return {RangeAnswer::unsatisfiable, {}};
  std::sort(wanted.begin(), wanted.end(), [](const ByteRange& a, const ByteRange& b) { return a.first < b.first; });
  std::vector<ByteRange> merged = {wanted.front()};
  for (std::size_t i = 1; i < wanted.size(); ++i) {
    if (wanted[i].first <= merged.back().last + 1) merged.back().last = std::max(merged.back().last, wanted[i].last);
    else merged.push_back(wanted[i]);
  }
  if (merged.size() > 1) return {};
  return {RangeAnswer::one, merged.front()};
}

// Resolves the request's ranges for a `size`-byte file and leaves cpp-httplib at most one closed
// range to serve. Throws ApiError 416 (with Content-Range: bytes */size) when no range can be
// satisfied.
inline void check_ranges(const httplib::Request& req, httplib::Response& res, std::uintmax_t size) {
  const RangePlan plan = plan_ranges(req.ranges, size);
  // The request is the server's own object, handed over as const; what is left in its ranges is
  // what cpp-httplib serves.
  auto& ranges = const_cast<httplib::Request&>(req).ranges;
  ranges.clear();
  switch (plan.answer) {
    case RangeAnswer::whole: return;
    case RangeAnswer::one:
      ranges.emplace_back(static_cast<std::ptrdiff_t>(plan.range.first), static_cast<std::ptrdiff_t>(plan.range.last));
      return;
    case RangeAnswer::unsatisfiable:
      res.set_header("Content-Range", "bytes */" + std::to_string(size));
      throw ApiError{416, "range_not_satisfiable", "the file has " + std::to_string(size) + " bytes"};
  }
}

// Streams an open file of `size` bytes as the response body; cpp-httplib cuts the one range
// check_ranges left out of it. Call check_ranges first.
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
