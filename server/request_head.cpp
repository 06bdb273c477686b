#include "server/request_head.h"

#include <algorithm>
#include <cctype>

#include "indexer/text/printable.h"

namespace palimpsest::server {
namespace {

HttpRefusal make_refusal(int status, std::string code, std::string message) {
  return HttpRefusal{status, std::move(code), std::move(message), {}};
}

// RFC 9110 token characters (method and field names).
bool is_tchar(char c) {
  if (std::isalnum(static_cast<unsigned char>(c))) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Control characters other than horizontal tab may not appear in a field value or the target.
bool has_control(std::string_view s, bool allow_tab) {
  return std::any_of(s.begin(), s.end(), [allow_tab](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && !(allow_tab && c == '\t')) || u == 0x7f;
  });
}

// The comma-separated elements of a field value, trimmed and lower-cased.
std::vector<std::string> list_elements(std::string_view value) {
  std::vector<std::string> out;
  while (true) {
    const auto comma = value.find(',');
    std::string_view element = trim(value.substr(0, comma));
    if (!element.empty()) {
      std::string lower(element);
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.push_back(std::move(lower));
    }
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace

std::string log_safe(std::string_view text, std::size_t max_chars) { return printable_excerpt(text, max_chars); }

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string RequestHead::field(std::string_view name) const {
  for (const auto& [key, value] : fields)
    if (equal_ignoring_case(key, name)) return value;
  return {};
}

std::size_t RequestHead::field_count(std::string_view name) const {
  return static_cast<std::size_t>(std::count_if(fields.begin(), fields.end(), [name](const auto& f) {
    return equal_ignoring_case(f.first, name);
  }));
}

void HeadScanner::reset() {
  scanned_ = 0;
  line_start_ = 0;
  lines_ = 0;
  refusal_.reset();
}

std::optional<std::size_t> HeadScanner::scan(std::string_view buffer) {
  if (refusal_) return std::nullopt;
  auto line_too_long = [this] {
    refusal_ = lines_ == 0 ? make_refusal(414, "uri_too_long", "the request line is longer than " +
                                                              std::to_string(limits_.max_line_bytes) + " bytes")
                           : make_refusal(431, "header_fields_too_large", "a header field is longer than " +
                                                                         std::to_string(limits_.max_line_bytes) + " bytes");
  };
  for (std::size_t i = scanned_; i < buffer.size(); ++i) {
    if (buffer[i] != '\n') continue;
    if (i == 0 || buffer[i - 1] != '\r') {
      refusal_ = make_refusal(400, "bad_request", "request lines must end with CRLF");
      return std::nullopt;
    }
    // buffer[i - 1] is '\r', so it is part of this line (the previous line ended with '\n').
    const std::size_t length = i - 1 - line_start_;
    if (length > limits_.max_line_bytes) {
      line_too_long();
      return std::nullopt;
    }
    line_start_ = i + 1;
    if (length == 0) {
      // RFC 9112 2.2: empty lines before the request line are ignored.
      if (lines_ == 0) continue;
      scanned_ = i + 1;
      if (scanned_ > limits_.max_head_bytes) break;
      return scanned_;
    }
    if (++lines_ > limits_.max_header_fields + 1) {
      refusal_ = make_refusal(431, "header_fields_too_large",
                         "more than " + std::to_string(limits_.max_header_fields) + " header fields");
      return std::nullopt;
    }
  }
  scanned_ = buffer.size();
  if (scanned_ - line_start_ > limits_.max_line_bytes + 1) {
    line_too_long();
    return std::nullopt;
  }
  if (scanned_ > limits_.max_head_bytes) {
    refusal_ = make_refusal(431, "header_fields_too_large",
                       "the request head is larger than " + std::to_string(limits_.max_head_bytes) + " bytes");
  }
  return std::nullopt;
}

std::variant<RequestHead, HttpRefusal> parse_request_head(std::string_view head, const HeadLimits& limits) {
  auto bad = [](std::string message) { return make_refusal(400, "bad_request", std::move(message)); };
  // Leading empty lines were tolerated by the scanner.
  while (head.substr(0, 2) == "\r\n") head.remove_prefix(2);
  std::vector<std::string_view> lines;
  while (!head.empty()) {
    const auto end = head.find("\r\n");
    if (end == std::string_view::npos) return bad("the request head does not end with an empty line");
    if (end == 0) break;
    lines.push_back(head.substr(0, end));
    head.remove_prefix(end + 2);
  }
  if (lines.empty()) return bad("no request line");

  RequestHead r;
  const std::string_view line = lines.front();
  const auto sp1 = line.find(' ');
  const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
    return bad("the request line must be METHOD TARGET VERSION");
  r.method = std::string(line.substr(0, sp1));
  r.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
  r.version = std::string(line.substr(sp2 + 1));
  if (!is_token(r.method)) return bad("the method is not a token");
  if (r.target.empty() || has_control(r.target, false)) return bad("the request target is empty or has control characters");
  if (r.version.rfind("HTTP/", 0) != 0) return bad("the request line does not end with an HTTP version");
  if (r.version != "HTTP/1.1" && r.version != "HTTP/1.0")
    return make_refusal(505, "http_version_not_supported", "only HTTP/1.0 and HTTP/1.1 are served");

  for (std::size_t i = 1; i < lines.size(); ++i) {
    const std::string_view f = lines[i];
    if (f.front() == ' ' || f.front() == '\t') return bad("folded header lines are not accepted");
    const auto colon = f.find(':');
    if (colon == std::string_view::npos) return bad("a header line has no colon");
    const std::string_view name = f.substr(0, colon);
    if (!is_token(name)) return bad("a header field name is not a token (or has space before the colon)");
    const std::string_view value = trim(f.substr(colon + 1));
    if (has_control(value, true)) return bad("a header field value has control characters");
    if (equal_ignoring_case(name, "Range") && value.size() > kMaxRangeBytes) continue;  // see the header
    r.fields.emplace_back(std::string(name), std::string(value));
  }

  const bool http11 = r.version == "HTTP/1.1";
  const std::size_t hosts = r.field_count("Host");
  if (hosts > 1) return bad("more than one Host header field");
  if (http11 && hosts == 0) return bad("an HTTP/1.1 request needs a Host header field");

  const std::size_t lengths = r.field_count("Content-Length");
  const std::size_t codings = r.field_count("Transfer-Encoding");
  if (lengths > 1) return bad("more than one Content-Length header field");
  if (lengths && codings) return bad("both Content-Length and Transfer-Encoding: the body's length is ambiguous");
  if (lengths) {
    const std::string value = r.field("Content-Length");
    if (value.empty() || value.size() > 19 ||
        !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return bad("Content-Length must be a decimal number");
    r.content_length = std::stoull(value);
    r.framing = BodyFraming::length;
    if (r.content_length > limits.max_body_bytes) {
      HttpRefusal too_large = make_refusal(413, "payload_too_large", "the request body is larger than " +
                                                                      std::to_string(limits.max_body_bytes) + " bytes");
      too_large.pending_body = r.content_length;  // dropped after the answer, so the client can read it
      return too_large;
    }
    if (r.content_length == 0) r.framing = BodyFraming::none;
  }
  if (codings) {
    if (!http11) return bad("Transfer-Encoding in an HTTP/1.0 request");
    const auto elements = list_elements(r.field("Transfer-Encoding"));
    if (codings > 1 || elements.size() != 1 || elements.front() != "chunked")
      return make_refusal(501, "not_implemented", "the only transfer coding accepted is chunked");
    r.framing = BodyFraming::chunked;
  }

  r.keep_alive = http11;
  for (const auto& [key, value] : r.fields) {
    if (!equal_ignoring_case(key, "Connection")) continue;
    for (const std::string& option : list_elements(value)) {
      if (option == "close") r.keep_alive = false;
      if (option == "keep-alive" && !http11) r.keep_alive = true;
    }
  }
  if (r.field_count("Expect")) {
    const auto elements = list_elements(r.field("Expect"));
    if (r.field_count("Expect") > 1 || elements.size() != 1 || elements.front() != "100-continue")
      return make_refusal(417, "expectation_failed", "the only expectation met is 100-continue");
    r.expects_continue = http11;
  }
  return r;
}

}  // namespace palimpsest::server
