// The pieces the connection layer reads requests with: the head scanner and parser, the chunked
// body decoder, the access policy and the Range plan. The same rules are exercised over real
// sockets in hostile_http_test.cpp.
#include <pthread.h>

#include <gtest/gtest.h>

#include "server/access_policy.h"
#include "server/chunked_body.h"
#include "server/http_ranges.h"
#include "server/request_head.h"

namespace palimpsest::server {
namespace {

std::variant<RequestHead, HttpRefusal> parse(const std::string& head, HeadLimits limits = {}) {
  return parse_request_head(head, limits);
}

int refusal_status(const std::variant<RequestHead, HttpRefusal>& parsed) {
  const auto* r = std::get_if<HttpRefusal>(&parsed);
  return r ? r->status : 0;
}

TEST(HeadScanner, FindsTheEndOfAHeadFedOneByteAtATime) {
  const std::string head = "GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n";
  const std::string request = head + "GET /next";  // a pipelined request follows
  HeadScanner scanner{HeadLimits{}};
  std::optional<std::size_t> end;
  for (std::size_t n = 1; n <= request.size() && !end; ++n) end = scanner.scan(std::string_view(request).substr(0, n));
  ASSERT_TRUE(end);
  EXPECT_EQ(*end, head.size());
  EXPECT_FALSE(scanner.refusal());
}

TEST(HeadScanner, LeadingEmptyLinesAreIgnored) {
  HeadScanner scanner{HeadLimits{}};
  const std::string request = "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
  ASSERT_EQ(scanner.scan(request), request.size());
  auto parsed = parse(request);
  ASSERT_TRUE(std::holds_alternative<RequestHead>(parsed));
  EXPECT_EQ(std::get<RequestHead>(parsed).target, "/");
}

TEST(HeadScanner, StopsAtEachLimitBeforeTheHeadEnds) {
  HeadLimits limits;
  limits.max_line_bytes = 100;
  limits.max_header_fields = 5;
  limits.max_head_bytes = 400;
  auto refused = [&](const std::string& bytes) {
    HeadScanner scanner(limits);
    EXPECT_FALSE(scanner.scan(bytes));
    return scanner.refusal() ? scanner.refusal()->status : 0;
  };
  // An endless request line (no newline yet): 414 as soon as it is longer than a line may be.
  EXPECT_EQ(refused("GET /" + std::string(200, 'a')), 414);
  // An endless header line.
  EXPECT_EQ(refused("GET / HTTP/1.1\r\nX-A: " + std::string(200, 'a')), 431);
  // Too many fields, each short.
  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 6; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(refused(many), 431);
  // A head over its total size made of lines within every other limit.
  HeadLimits few_bytes = limits;
  few_bytes.max_header_fields = 100;
  HeadScanner scanner(few_bytes);
  std::string big = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 8; ++i) big += "X-" + std::to_string(i) + ": " + std::string(80, 'v') + "\r\n";
  EXPECT_FALSE(scanner.scan(big));
  ASSERT_TRUE(scanner.refusal());
  EXPECT_EQ(scanner.refusal()->status, 431);
  // A bare LF.
  EXPECT_EQ(refused("GET / HTTP/1.1\nHost: a\n\n"), 400);
}

TEST(RequestHead, ParsesFramingAndConnectionOptions) {
  auto parsed = parse("POST /api/v1/films?x=1 HTTP/1.1\r\nHost: localhost:8080\r\ncontent-length:  12 \r\n"
                      "Connection: keep-alive, Close\r\nExpect: 100-continue\r\n\r\n");
  ASSERT_TRUE(std::holds_alternative<RequestHead>(parsed)) << std::get<HttpRefusal>(parsed).message;
  const RequestHead& h = std::get<RequestHead>(parsed);
  EXPECT_EQ(h.method, "POST");
  EXPECT_EQ(h.target, "/api/v1/films?x=1");
  EXPECT_EQ(h.framing, BodyFraming::length);
  EXPECT_EQ(h.content_length, 12u);
  EXPECT_FALSE(h.keep_alive);
  EXPECT_TRUE(h.expects_continue);
  EXPECT_EQ(h.field("HOST"), "localhost:8080");

  auto chunked = parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n");
  ASSERT_TRUE(std::holds_alternative<RequestHead>(chunked));
  EXPECT_EQ(std::get<RequestHead>(chunked).framing, BodyFraming::chunked);
  EXPECT_TRUE(std::get<RequestHead>(chunked).keep_alive);

  auto old = parse("GET / HTTP/1.0\r\n\r\n");  // HTTP/1.0: no Host needed, no keep-alive unless asked
  ASSERT_TRUE(std::holds_alternative<RequestHead>(old));
  EXPECT_FALSE(std::get<RequestHead>(old).keep_alive);
  EXPECT_EQ(std::get<RequestHead>(old).framing, BodyFraming::none);
  auto old_kept = parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
  EXPECT_TRUE(std::get<RequestHead>(old_kept).keep_alive);
}

TEST(RequestHead, RefusesAmbiguousFramingAndMalformedHeads) {
  HeadLimits limits;
  limits.max_body_bytes = 1000;
  const std::string ok = "POST / HTTP/1.1\r\nHost: a\r\n";
  // Request smuggling: two lengths (equal or not), a list of lengths, a length and a coding.
  EXPECT_EQ(refusal_status(parse(ok + "Content-Length: 5\r\nContent-Length: 5\r\n\r\n")), 400);
  EXPECT_EQ(refusal_status(parse(ok + "Content-Length: 5\r\nContent-Length: 6\r\n\r\n")), 400);
  EXPECT_EQ(refusal_status(parse(ok + "Content-Length: 5, 5\r\n\r\n")), 400);
  EXPECT_EQ(refusal_status(parse(ok + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n")), 400);
  EXPECT_EQ(refusal_status(parse(ok + "Content-Length: -1\r\n\r\n")), 400);
  EXPECT_EQ(refusal_status(parse(ok + "Content-Length: 99999999999999999999\r\n\r\n")), 400);
  // Codings other than a lone chunked.
  EXPECT_EQ(refusal_status(parse(ok + "Transfer-Encoding: gzip, chunked\r\n\r\n")), 501);
  EXPECT_EQ(refusal_status(parse(ok + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n")), 501);
  EXPECT_EQ(refusal_status(parse("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n")), 400);
  // A declared body over the limit, before any of it is read.
  EXPECT_EQ(refusal_status(parse(ok + "Content-Length: 1001\r\n\r\n", limits)), 413);
  EXPECT_EQ(refusal_status(parse(ok + "Content-Length: 1000\r\n\r\n", limits)), 0);
  // Host: missing in HTTP/1.1, or twice.
  EXPECT_EQ(refusal_status(parse("GET / HTTP/1.1\r\n\r\n")), 400);
  EXPECT_EQ(refusal_status(parse("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")), 400);
  // Syntax.
  EXPECT_EQ(refusal_status(parse("GET / HTTP/2.0\r\nHost: a\r\n\r\n")), 505);
  EXPECT_EQ(refusal_status(parse("GET /  HTTP/1.1\r\nHost: a\r\n\r\n")), 400);
  EXPECT_EQ(refusal_status(parse("GET / FTP/1.1\r\nHost: a\r\n\r\n")), 400);
  EXPECT_EQ(refusal_status(parse("G(T / HTTP/1.1\r\nHost: a\r\n\r\n")), 400);
  EXPECT_EQ(refusal_status(parse("GET / HTTP/1.1\r\nHost : a\r\n\r\n")), 400);
  EXPECT_EQ(refusal_status(parse("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n")), 400);
  EXPECT_EQ(refusal_status(parse("GET / HTTP/1.1\r\nHost: a\r\nX: a\x01b\r\n\r\n")), 400);
  EXPECT_EQ(refusal_status(parse("GET / HTTP/1.1\r\nHost: a\r\nExpect: something\r\n\r\n")), 417);
}

std::string chunked_body(const std::string& data, std::size_t chunk) {
  std::string out;
  for (std::size_t at = 0; at < data.size(); at += chunk) {
    const std::string piece = data.substr(at, chunk);
    char size[32];
    std::snprintf(size, sizeof size, "%zx", piece.size());
    out += std::string(size) + (at == 0 ? ";name=value" : "") + "\r\n" + piece + "\r\n";
  }
  return out + "0\r\nX-Trailer: dropped\r\n\r\n";
}

TEST(ChunkedDecoder, DecodesWholeOrByteByByteAndLeavesTheNextRequest) {
  std::string data;
  for (int i = 0; i < 5000; ++i) data.push_back(static_cast<char>(i * 7));
  const std::string wire = chunked_body(data, 777);
  const std::string next = "GET / HTTP/1.1\r\n";
  ChunkedDecoder whole(1 << 20);
  EXPECT_EQ(whole.feed(wire + next), wire.size());
  ASSERT_TRUE(whole.done());
  EXPECT_EQ(whole.body(), data);

  ChunkedDecoder bytewise(1 << 20);
  for (char c : wire) ASSERT_EQ(bytewise.feed(std::string_view(&c, 1)), 1u);
  ASSERT_TRUE(bytewise.done());
  EXPECT_FALSE(bytewise.refusal());
  EXPECT_EQ(bytewise.body(), data);
}

TEST(ChunkedDecoder, RefusesAtTheLimitAndMalformedFraming) {
  ChunkedDecoder limited(1000);
  // Chunks of 600: the second would cross the limit, and is refused before its data arrives.
  const std::size_t used = limited.feed("258\r\n" + std::string(600, 'a') + "\r\n258\r\n");
  ASSERT_TRUE(limited.refusal());
  EXPECT_EQ(limited.refusal()->status, 413);
  EXPECT_LE(limited.body().size(), 1000u);
  EXPECT_LT(used, 700u);
  // One huge declared chunk: refused from its size line alone.
  ChunkedDecoder huge(1000);
  huge.feed("FFFFFFFFFFFF\r\n");
  ASSERT_TRUE(huge.refusal());
  EXPECT_EQ(huge.refusal()->status, 413);
  for (const std::string& bad : std::vector<std::string>{"zz\r\n", "5\r\nabcdeXY", "5\nabcde\r\n", "11111111111111111111\r\n",
                                "5 x\r\nabcde\r\n", std::string(5000, '1')}) {
    ChunkedDecoder d(1 << 30);
    d.feed(bad);
    ASSERT_TRUE(d.refusal()) << bad.substr(0, 40);
    EXPECT_EQ(d.refusal()->status, 400) << bad.substr(0, 40);
  }
}

TEST(AccessPolicy, TheBearerSchemeIsCaseInsensitive) {
  EXPECT_EQ(bearer_token("Bearer abc"), "abc");
  EXPECT_EQ(bearer_token("bearer abc"), "abc");
  EXPECT_EQ(bearer_token("BEARER   abc  "), "abc");
  EXPECT_EQ(bearer_token("Basic abc"), "");
  EXPECT_EQ(bearer_token("Bearerabc"), "");
  const AccessPolicy policy("secret", /*loopback_bind=*/true);
  EXPECT_FALSE(policy.check({"DELETE", "/api/v1/films/1", "127.0.0.1", "bearer secret", ""}));
  EXPECT_FALSE(policy.check({"DELETE", "/api/v1/films/1", "127.0.0.1", "", "secret"}));
  auto refused = policy.check({"DELETE", "/api/v1/films/1", "127.0.0.1", "Bearer wrong", ""});
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401);
  EXPECT_EQ(refused->headers.at(0).first, "WWW-Authenticate");
  // Reading needs no token on loopback; image search is a read.
  EXPECT_FALSE(policy.check({"GET", "/api/v1/records", "localhost:8080", "", ""}));
  EXPECT_FALSE(policy.check({"POST", "/api/v1/search", "[::1]:80", "", ""}));
  // DNS rebinding.
  auto foreign = policy.check({"GET", "/api/v1/records", "evil.example:8080", "", ""});
  ASSERT_TRUE(foreign);
  EXPECT_EQ(foreign->status, 403);
}

TEST(AccessPolicy, APercentEncodedPathIsJudgedDecoded) {
  const AccessPolicy remote("secret", /*loopback_bind=*/false);
  const std::string target = "/%61pi/v1/records?access_token=not%20it";
  EXPECT_EQ(target_path(target), "/api/v1/records");
  EXPECT_EQ(query_parameter(target, "access_token"), "not it");
  EXPECT_EQ(query_parameter("/x?a=1&access_token=s%65cret&b", "access_token"), "secret");
  EXPECT_EQ(query_parameter("/x?b=2", "access_token"), "");
  auto refused = remote.check({"GET", target_path(target), "example.org", "", query_parameter(target, "access_token")});
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401);
  EXPECT_EQ(percent_decode("a+b%2B%u00e9%zz%", true), "a b+\xC3\xA9%zz%");
}

// cpp-httplib's Range parser recurses about once per character of the field. A field too long to be
// one range is dropped before it sees it, and the file is served whole, as for several ranges.
TEST(RequestHead, ARangeTooLongToBeOneRangeIsDropped) {
  auto parsed = parse("GET /a HTTP/1.1\r\nHost: a\r\nRange: bytes=0-99\r\n\r\n");
  ASSERT_TRUE(std::holds_alternative<RequestHead>(parsed));
  EXPECT_EQ(std::get<RequestHead>(parsed).field("Range"), "bytes=0-99");

  std::string many = "bytes=0-1";
  while (many.size() < 8000) many += ",0-1";
  auto long_range = parse("GET /a HTTP/1.1\r\nHost: a\r\nrange: " + many + "\r\nAccept: */*\r\n\r\n");
  ASSERT_TRUE(std::holds_alternative<RequestHead>(long_range)) << std::get<HttpRefusal>(long_range).message;
  const RequestHead& h = std::get<RequestHead>(long_range);
  EXPECT_EQ(h.field_count("Range"), 0u);
  EXPECT_EQ(h.field("Accept"), "*/*");  // the other fields stay

  // The longest field passed on parses on a 256 KiB thread stack (a 24 KB field overflows 8 MiB).
  std::string longest = "bytes=0-1";
  while (longest.size() + 4 <= kMaxRangeBytes) longest += ",0-1";
  struct Job {
    std::string header;
    bool parsed = false;
    std::size_t ranges = 0;
  } job{longest};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  ASSERT_EQ(pthread_attr_setstacksize(&attr, 256 << 10), 0);
  pthread_t thread;
  ASSERT_EQ(pthread_create(
                &thread, &attr,
                [](void* p) -> void* {
                  auto* j = static_cast<Job*>(p);
                  httplib::Ranges ranges;
                  j->parsed = httplib::detail::parse_range_header(j->header, ranges);
                  j->ranges = ranges.size();
                  return nullptr;
                },
                &job),
            0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
  EXPECT_TRUE(job.parsed);
  EXPECT_EQ(job.ranges, (longest.size() - 5) / 4);
}

TEST(RangePlan, CoalescesRangesOrServesTheWholeFile) {
  auto plan = [](httplib::Ranges ranges, std::uint64_t size) { return plan_ranges(ranges, size); };
  // bytes=0-,0-,0- on a 1000-byte file: one range, the whole file, labelled with its real size.
  RangePlan p = plan({{0, -1}, {0, -1}, {0, -1}}, 1000);
  ASSERT_EQ(p.answer, RangeAnswer::one);
  EXPECT_EQ(p.range.first, 0u);
  EXPECT_EQ(p.range.last, 999u);
  p = plan({{4, 11}}, 1000);
  EXPECT_EQ(p.range.first, 4u);
  EXPECT_EQ(p.range.last, 11u);
  p = plan({{-1, 10}}, 1000);  // the last 10 bytes
  EXPECT_EQ(p.range.first, 990u);
  EXPECT_EQ(p.range.last, 999u);
  p = plan({{-1, 5000}}, 1000);  // a suffix longer than the file: all of it
  EXPECT_EQ(p.range.first, 0u);
  p = plan({{990, 5000}}, 1000);  // an end past the file is cut to it
  EXPECT_EQ(p.range.last, 999u);
  p = plan({{0, 3}, {4, 7}, {2, 5}}, 1000);  // overlapping and adjacent: coalesced
  ASSERT_EQ(p.answer, RangeAnswer::one);
  EXPECT_EQ(p.range.last, 7u);
  EXPECT_EQ(plan({{0, 3}, {10, 13}}, 1000).answer, RangeAnswer::whole);  // disjoint: the whole file
  EXPECT_EQ(plan({{2000, -1}, {5, 6}}, 1000).answer, RangeAnswer::one);  // the unsatisfiable one dropped
  EXPECT_EQ(plan({{2000, -1}}, 1000).answer, RangeAnswer::unsatisfiable);
  EXPECT_EQ(plan({{-1, 0}}, 1000).answer, RangeAnswer::unsatisfiable);
  EXPECT_EQ(plan({{0, -1}}, 0).answer, RangeAnswer::unsatisfiable);
  EXPECT_EQ(plan({}, 1000).answer, RangeAnswer::whole);
}

}  // namespace
}  // namespace palimpsest::server
