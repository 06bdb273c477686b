#include "server/chunked_body.h"

#include <algorithm>

namespace palimpsest::server {
namespace {

constexpr std::size_t kMaxLine = 4 << 10;
constexpr std::size_t kMaxTrailer = 16 << 10;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

void ChunkedDecoder::fail(int status, const std::string& code, const std::string& message) {
  refusal_ = HttpRefusal{status, code, message, {}};
}

void ChunkedDecoder::size_line_done() {
  // chunk-size [; extensions]: hex digits, then optional whitespace and extensions (ignored).
  std::uint64_t size = 0;
  std::size_t i = 0;
  for (; i < line_.size() && hex_value(line_[i]) >= 0; ++i) {
    if (size >> 60) return fail(400, "bad_request", "a chunk size does not fit in 64 bits");
    size = size * 16 + static_cast<std::uint64_t>(hex_value(line_[i]));
  }
  if (i == 0) return fail(400, "bad_request", "a chunk does not start with its size in hexadecimal");
  while (i < line_.size() && (line_[i] == ' ' || line_[i] == '\t')) ++i;
  if (i < line_.size() && line_[i] != ';') return fail(400, "bad_request", "a chunk size line has stray characters");
  line_.clear();
  if (size == 0) {
    state_ = State::trailer;
    return;
  }
  if (size > max_body_ || body_.size() > max_body_ - size)
    return fail(413, "payload_too_large", "the request body is larger than " + std::to_string(max_body_) + " bytes");
  remaining_ = size;
  state_ = State::data;
}

std::size_t ChunkedDecoder::feed(std::string_view input) {
  std::size_t used = 0;
  while (used < input.size() && !refusal_ && state_ != State::done) {
    const char c = input[used];
    switch (state_) {
      case State::size_line:
      case State::trailer: {
        ++used;
        if (state_ == State::trailer && ++trailer_bytes_ > kMaxTrailer) {
          fail(431, "header_fields_too_large", "the chunked body's trailer is too large");
          break;
        }
        if (c != '\n') {
          if (line_.size() >= kMaxLine) {
            fail(400, "bad_request", "a chunk size or trailer line is too long");
            break;
          }
          line_.push_back(c);
          break;
        }
        if (line_.empty() || line_.back() != '\r') {
          fail(400, "bad_request", "chunk lines must end with CRLF");
          break;
        }
        line_.pop_back();
        if (state_ == State::size_line) {
          size_line_done();
        } else if (line_.empty()) {
          state_ = State::done;  // the empty line after the trailer fields
        } else {
          line_.clear();  // a trailer field: dropped
        }
        break;
      }
      case State::data: {
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, input.size() - used));
        body_.append(input.data() + used, n);
        used += n;
        remaining_ -= n;
        if (remaining_ == 0) state_ = State::data_crlf;
        break;
      }
      case State::data_crlf: {
        ++used;
        line_.push_back(c);
        if (line_.size() < 2) break;
        if (line_ != "\r\n") {
          fail(400, "bad_request", "a chunk's data is not followed by CRLF");
          break;
        }
        line_.clear();
        state_ = State::size_line;
        break;
      }
      case State::done: break;
    }
  }
  return used;
}

}  // namespace palimpsest::server
