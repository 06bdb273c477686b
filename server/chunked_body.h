#pragma once
// Decodes a chunked request body (RFC 9112 section 7.1) as its bytes arrive, with a limit on the
// decoded size, so that an over-limit body is refused at the limit instead of being buffered whole
// (internal to server/). Chunk extensions are ignored, trailer fields are read and dropped; a
// chunk-size or trailer line is at most 4 KiB, the trailer section at most 16 KiB.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "server/request_head.h"

namespace palimpsest::server {

class ChunkedDecoder {
 public:
  explicit ChunkedDecoder(std::uint64_t max_body_bytes) : max_body_(max_body_bytes) {}

  // Consumes bytes from the front of `input`; returns how many (the rest belongs to the next
  // request once done()). Decoded data is appended to body().
  std::size_t feed(std::string_view input);
  bool done() const { return state_ == State::done; }
  // Set when the body is malformed (400) or over the limit (413); feed() consumes nothing more.
  const std::optional<HttpRefusal>& refusal() const { return refusal_; }
  std::string& body() { return body_; }

 private:
  enum class State { size_line, data, data_crlf, trailer, done };
  std::uint64_t max_body_;
  State state_ = State::size_line;
  std::string line_;
  std::uint64_t remaining_ = 0;  // of the current chunk
  std::size_t trailer_bytes_ = 0;
  std::string body_;
  std::optional<HttpRefusal> refusal_;

  void fail(int status, const std::string& code, const std::string& message);
  void size_line_done();
};

}  // namespace palimpsest::server
