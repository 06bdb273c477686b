#pragma once
// The head of an HTTP/1.x request (request line and header fields), read incrementally with limits
// and validated before anything acts on it (internal to server/). Rules:
// - The head ends at the first empty line; lines end with CRLF (a bare LF is refused).
// - Limits: the whole head, each line (the request line: 414), the number of header fields (431).
// - One Host (HTTP/1.1 requires it), at most one Content-Length (digits only), and never both
//   Content-Length and Transfer-Encoding: disagreeing framings are how requests are smuggled (400).
//   The only transfer coding accepted is a lone "chunked" (anything else: 501).
// - A declared body larger than the body limit is refused (413) before any of it is read.
// - No framing header means no body (RFC 9112 section 6.3), whatever the method.
// - A Range field longer than kMaxRangeBytes is dropped, and the file is served whole. A server may
//   ignore Range (RFC 9110 section 14.2), and this one serves the whole file for more than one
//   range anyway (http_ranges.h). cpp-httplib 0.11 parses Range with a std::regex that recurses
//   about once per character: a 24 KB field overflows an 8 MiB stack (10 KB under
//   AddressSanitizer, where the http_range_fuzz target found it). The 8 KiB line limit kept the
//   server below that on default stacks, but only by a factor of three.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "schema/limits.h"

namespace palimpsest::server {

// A refusal the connection layer answers itself: {"error": {"code", "message"}} with the status.
struct HttpRefusal {
  int status = 400;
  std::string code;
  std::string message;
  std::vector<std::pair<std::string, std::string>> headers;  // extra response headers
  std::uint64_t pending_body = 0;  // body bytes the client announced and may still be sending
};

// The longest Range field passed on: one range, "bytes=<19 digits>-<19 digits>", with room to spare.
inline constexpr std::size_t kMaxRangeBytes = 128;

// Defaults from the limits table (schema/limits.h).
struct HeadLimits {
  std::size_t max_head_bytes = served_limit(Limit::head_bytes);  // request line + header fields + the empty line
  std::size_t max_line_bytes = 8 << 10;    // any one line (cpp-httplib refuses longer ones too)
  int max_header_fields = static_cast<int>(served_limit(Limit::header_fields));
  std::uint64_t max_body_bytes = served_limit(Limit::body_bytes);  // declared or decoded body
};

enum class BodyFraming { none, length, chunked };

struct RequestHead {
  std::string method;
  std::string target;   // as sent: origin-form path and query
  std::string version;  // "HTTP/1.1" or "HTTP/1.0"
  std::vector<std::pair<std::string, std::string>> fields;  // names as sent, values trimmed
  BodyFraming framing = BodyFraming::none;
  std::uint64_t content_length = 0;  // when framing == length
  bool keep_alive = true;            // the client's wish (Connection, version)
  bool expects_continue = false;     // "Expect: 100-continue"

  // The first field of that name (case-insensitive); empty when absent.
  std::string field(std::string_view name) const;
  std::size_t field_count(std::string_view name) const;
};

// Finds the end of a request head in bytes arriving piece by piece, enforcing the size limits as it
// goes, so that a client sending an endless line or endless fields is stopped at the limit and not
// when it runs out of data. Scans each byte once.
class HeadScanner {
 public:
  explicit HeadScanner(const HeadLimits& limits) : limits_(limits) {}

  // Looks at `buffer` (the bytes received so far, a prefix of the same stream on every call).
  // Returns the size of the head (up to and including the empty line) once it is complete;
  // nullopt while more is needed. Throws nothing: a limit crossed is reported by refusal().
  std::optional<std::size_t> scan(std::string_view buffer);
  const std::optional<HttpRefusal>& refusal() const { return refusal_; }
  // Bytes seen so far (0: the client has not started a request).
  std::size_t scanned() const { return scanned_; }
  void reset();

 private:
  HeadLimits limits_;
  std::size_t scanned_ = 0;
  std::size_t line_start_ = 0;
  int lines_ = 0;
  std::optional<HttpRefusal> refusal_;
};

// Parses and validates a complete head (the bytes scan() delimited).
std::variant<RequestHead, HttpRefusal> parse_request_head(std::string_view head, const HeadLimits& limits);

// Request bytes as they may be quoted in a log line: escaped as indexer/text/printable.h says
// (controls and invalid UTF-8 as \xNN), at most `max_chars` characters of them.
std::string log_safe(std::string_view text, std::size_t max_chars = 200);

// ASCII case-insensitive equality.
bool equal_ignoring_case(std::string_view a, std::string_view b);

}  // namespace palimpsest::server
