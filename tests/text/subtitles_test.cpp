#include "indexer/text/subtitles.h"

#include <gtest/gtest.h>

#include <chrono>
#include <sstream>
#include <stdexcept>

#include "indexer/text/line_reader.h"
#include "indexer/text/subtitle_cue_text.h"
#include "indexer/text/subtitle_timing.h"
#include "tests/common/test_support.h"

namespace palimpsest {
namespace {

SubtitleParseResult parse(const std::string& text, SubtitleFormat format) {
  std::istringstream in(text);
  return parse_subtitles(in, format);
}
SubtitleParseResult srt(const std::string& text) { return parse(text, SubtitleFormat::srt); }
SubtitleParseResult vtt(const std::string& text) { return parse(text, SubtitleFormat::webvtt); }

std::string describe(const SubtitleParseResult& r) {
  std::string out;
  for (const auto& p : r.problems)
    out += std::to_string(p.line) + ":" + std::to_string(p.column) + ": " + p.message + "\n";
  return out;
}

// ---- line reading ----------------------------------------------------------------------------

std::vector<std::string> read_lines(const std::string& text, std::size_t cap = kDefaultMaxLineBytes) {
  std::istringstream in(text);
  LineReader reader(in, cap);
  std::vector<std::string> lines;
  while (reader.next()) lines.emplace_back(reader.text());
  return lines;
}

TEST(SubtitleLineReader, SplitsOnEveryLineEnding) {
  EXPECT_EQ(read_lines("a\nb\r\nc\rd"), (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_EQ(read_lines("a\n\nb\n"), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(read_lines("a\r\r\nb"), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(read_lines(""), std::vector<std::string>{});
  EXPECT_EQ(read_lines("\n"), std::vector<std::string>{""});
}

TEST(SubtitleLineReader, StripsBomOnlyAtTheStart) {
  EXPECT_EQ(read_lines("\xEF\xBB\xBFhello\n\xEF\xBB\xBFx"),
            (std::vector<std::string>{"hello", "\xEF\xBB\xBFx"}));
}

TEST(SubtitleLineReader, CrLfAcrossChunkBoundaryIsOneLineEnd) {
  std::string text(64 * 1024 - 1, 'x');  // the CR is the last byte of the first chunk
  text += "\r\nnext";
  std::istringstream in(text);
  LineReader reader(in, 1 << 20);
  ASSERT_TRUE(reader.next());
  EXPECT_EQ(reader.text().size(), 64u * 1024 - 1);
  ASSERT_TRUE(reader.next());
  EXPECT_EQ(reader.text(), "next");
  EXPECT_EQ(reader.number(), 2);
  EXPECT_FALSE(reader.next());
}

TEST(SubtitleLineReader, FlagsAndTruncatesLongLines) {
  std::istringstream in(std::string(300000, 'y') + "\nshort\n");
  LineReader reader(in, 1000);
  ASSERT_TRUE(reader.next());
  EXPECT_TRUE(reader.too_long());
  EXPECT_EQ(reader.text().size(), 1000u);
  ASSERT_TRUE(reader.next());
  EXPECT_FALSE(reader.too_long());
  EXPECT_EQ(reader.text(), "short");
  EXPECT_EQ(reader.number(), 2);
}

// ---- timing lines ----------------------------------------------------------------------------

TEST(SubtitleTiming, ParsesSrtVariants) {
  auto t = parse_timing_line("00:00:01,000 --> 00:00:02,500", SubtitleFormat::srt);
  ASSERT_TRUE(t.timing) << t.error;
  EXPECT_EQ(t.timing->start_ms, 1000);
  EXPECT_EQ(t.timing->end_ms, 2500);
  EXPECT_EQ(parse_timing_line("00:00:01.000-->00:00:02.000", SubtitleFormat::srt).timing->end_ms, 2000);
  EXPECT_EQ(parse_timing_line("123:00:00,000 --> 123:00:01,000", SubtitleFormat::srt).timing->start_ms,
            123LL * 3600 * 1000);
  EXPECT_EQ(parse_timing_line("0:00:01,5 --> 0:00:02,25", SubtitleFormat::srt).timing->end_ms, 2250);
  auto coords = parse_timing_line("00:00:01,000 --> 00:00:02,000 X1:40 X2:600 Y1:20 Y2:50",
                                  SubtitleFormat::srt);
  ASSERT_TRUE(coords.timing);
  EXPECT_EQ(coords.timing->settings, "");
}

TEST(SubtitleTiming, ParsesVttVariants) {
  auto t = parse_timing_line("01:02.500 --> 01:03.000 align:start line:0%", SubtitleFormat::webvtt);
  ASSERT_TRUE(t.timing) << t.error;
  EXPECT_EQ(t.timing->start_ms, 62500);
  EXPECT_EQ(t.timing->settings, "align:start line:0%");
  EXPECT_EQ(parse_timing_line("100:00:00.000 --> 100:00:00.001", SubtitleFormat::webvtt).timing->end_ms,
            100LL * 3600 * 1000 + 1);
  EXPECT_EQ(parse_timing_line("00:01.000 --> 00:01.000", SubtitleFormat::webvtt).timing->end_ms, 1000);
}

TEST(SubtitleTiming, ReportsWhatAndWhere) {
  struct Case {
    const char* line;
    SubtitleFormat format;
    std::size_t offset;
    const char* message;
  };
  const Case cases[] = {
      {"00:00:01,000 -> 00:00:02,000", SubtitleFormat::srt, 13, "expected '-->'"},
      {"00:00:01,000 --> 00:00:02", SubtitleFormat::srt, 25, "milliseconds"},
      {"00:61:01,000 --> 00:62:02,000", SubtitleFormat::srt, 3, "minutes must be 00-59"},
      {"00:00:61,000 --> 00:00:62,000", SubtitleFormat::srt, 6, "seconds must be 00-59"},
      {"00:01,000 --> 00:02.000", SubtitleFormat::webvtt, 5, "expected '.'"},
      {"00:01.00 --> 00:02.000", SubtitleFormat::webvtt, 6, "three millisecond digits"},
      {"00:05.000 --> 00:02.000", SubtitleFormat::webvtt, 14, "before start time"},
      {"00:01.000 --> 00:02.000align:start", SubtitleFormat::webvtt, 23, "whitespace"},
      {"x --> 00:02.000", SubtitleFormat::webvtt, 0, "expected a timestamp"},
      {"00:00:01,000 --> 9999999999:00:00,000", SubtitleFormat::srt, 17, "out of range"},
  };
  for (const Case& c : cases) {
    auto t = parse_timing_line(c.line, c.format);
    EXPECT_FALSE(t.timing) << c.line;
    EXPECT_EQ(t.error_offset, c.offset) << c.line << ": " << t.error;
    EXPECT_NE(t.error.find(c.message), std::string::npos) << c.line << ": " << t.error;
  }
}

TEST(SubtitleTiming, FormatsTimes) {
  EXPECT_EQ(format_cue_time(3723004), "01:02:03.004");
  EXPECT_EQ(format_cue_time(360000000), "100:00:00.000");
}

// ---- cue text cleaning -----------------------------------------------------------------------

TEST(SubtitleText, StripsEveryKindOfTag) {
  EXPECT_EQ(clean_cue_text("<i>italic</i> and <b>bold</b> and <u>under</u>").text,
            "italic and bold and under");
  EXPECT_EQ(clean_cue_text("<c.yellow.bg_blue>coloured</c>").text, "coloured");
  EXPECT_EQ(clean_cue_text("<lang en-GB>colour</lang>").text, "colour");
  EXPECT_EQ(clean_cue_text("<ruby>漢<rt>kan</rt></ruby>").text, "漢kan");
  EXPECT_EQ(clean_cue_text("<font color=\"#ffff00\">yellow</font>").text, "yellow");
  EXPECT_EQ(clean_cue_text("{\\an8}on top").text, "on top");
  EXPECT_EQ(clean_cue_text("{\\i1}x{\\i0}").text, "x");
  EXPECT_EQ(clean_cue_text("Never <00:00:01.000>drink <00:01.500>liquid").text, "Never drink liquid");
}

TEST(SubtitleText, KeepsTheVoice) {
  auto cleaned = clean_cue_text("<v Roger Bingham>We are in New York City</v>");
  EXPECT_EQ(cleaned.text, "We are in New York City");
  EXPECT_EQ(cleaned.voice, "Roger Bingham");
  EXPECT_EQ(clean_cue_text("<v.loud Esme>Hey!").voice, "Esme");
  EXPECT_EQ(clean_cue_text("<i>no voice</i>").voice, "");
}

TEST(SubtitleText, DecodesEntities) {
  EXPECT_EQ(clean_cue_text("Fish &amp; Chips &lt;3 &gt;").text, "Fish & Chips <3 >");
  EXPECT_EQ(clean_cue_text("a&nbsp;b").text, "a\xC2\xA0" "b");
  EXPECT_EQ(clean_cue_text("&lrm;x&rlm;").text, "\xE2\x80\x8Ex\xE2\x80\x8F");
  EXPECT_EQ(clean_cue_text("&quot;q&quot; &apos;").text, "\"q\" '");
  EXPECT_EQ(clean_cue_text("caf&#233; &#x1F600;").text, "caf\xC3\xA9 \xF0\x9F\x98\x80");
  // Decoding and tag removal are one pass: escaped markup stays as text.
  EXPECT_EQ(clean_cue_text("&lt;i&gt;literal&lt;/i&gt;").text, "<i>literal</i>");
}

TEST(SubtitleText, KeepsWhatIsNotMarkup) {
  EXPECT_EQ(clean_cue_text("a < b and c > d").text, "a < b and c > d");
  EXPECT_EQ(clean_cue_text("I <3 you").text, "I <3 you");
  EXPECT_EQ(clean_cue_text("Fish & Chips; &unknown; &#xD800; &").text, "Fish & Chips; &unknown; &#xD800; &");
  EXPECT_EQ(clean_cue_text("{not an override}").text, "{not an override}");
  EXPECT_EQ(clean_cue_text("<i>unclosed").text, "unclosed");
  EXPECT_EQ(clean_cue_text("dangling <i").text, "dangling <i");
}

TEST(SubtitleText, TrimsLinesAndDropsEmptyOnes) {
  EXPECT_EQ(clean_cue_text("  - Hello  \n{\\an8}\n - Hi").text, "- Hello\n- Hi");
  EXPECT_EQ(clean_cue_text("<i></i>").text, "");
}

// ---- SubRip ----------------------------------------------------------------------------------

const char* const kSrt =
    "1\n"
    "00:00:01,000 --> 00:00:04,000\n"
    "Hello, <i>world</i>.\n"
    "\n"
    "2\n"
    "00:00:05,000 --> 00:00:07,500\n"
    "Two lines,\n"
    "of text.\n"
    "\n"
    "3\n"
    "00:00:06,000 --> 00:00:08,000\n"
    "Overlapping &amp; kept.\n";

TEST(SubtitleSrt, HappyPath) {
  auto r = srt(kSrt);
  EXPECT_EQ(r.format, SubtitleFormat::srt);
  EXPECT_TRUE(r.problems.empty()) << describe(r);
  ASSERT_EQ(r.cues.size(), 3u);
  EXPECT_EQ(r.cues[0].index, 0);
  EXPECT_EQ(r.cues[0].identifier, "1");
  EXPECT_EQ(r.cues[0].start_ms, 1000);
  EXPECT_EQ(r.cues[0].end_ms, 4000);
  EXPECT_EQ(r.cues[0].text, "Hello, world.");
  EXPECT_EQ(r.cues[0].raw_text, "Hello, <i>world</i>.");
  EXPECT_EQ(r.cues[0].settings, "");
  EXPECT_EQ(r.cues[0].line, 2);
  EXPECT_EQ(r.cues[1].text, "Two lines,\nof text.");
  EXPECT_EQ(r.cues[1].raw_text, "Two lines,\nof text.");
  EXPECT_EQ(r.cues[1].line, 6);
  EXPECT_EQ(r.cues[2].index, 2);
  EXPECT_EQ(r.cues[2].text, "Overlapping & kept.");
  EXPECT_EQ(r.cues[2].start_ms, 6000);  // overlaps the previous cue; kept as is
}

TEST(SubtitleSrt, CrLfCrAndBomGiveTheSameCues) {
  std::string crlf, cr;
  for (const char* p = kSrt; *p; ++p) {
    crlf += *p == '\n' ? std::string("\r\n") : std::string(1, *p);
    cr += *p == '\n' ? '\r' : *p;
  }
  for (const std::string& text : {crlf, cr, std::string("\xEF\xBB\xBF") + kSrt}) {
    auto r = srt(text);
    EXPECT_TRUE(r.problems.empty()) << describe(r);
    ASSERT_EQ(r.cues.size(), 3u);
    EXPECT_EQ(r.cues[0].identifier, "1");
    EXPECT_EQ(r.cues[1].raw_text, "Two lines,\nof text.");
    EXPECT_EQ(r.cues[1].line, 6);
  }
}

TEST(SubtitleSrt, LenientForms) {
  auto r = srt(
      "\n\n"
      "00:00:01.000 --> 00:00:02.000\n"  // no counter, '.' separator
      "No counter\n"
      "\n"
      "7\n"
      "120:00:00,000 --> 120:00:01,000\n"  // hours > 99
      "Long film\n"
      "8\n"                                 // no blank line before the next cue
      "120:00:02,000 --> 120:00:03,000\n"
      "Packed\n"
      "\n\n\n");
  EXPECT_TRUE(r.problems.empty()) << describe(r);
  ASSERT_EQ(r.cues.size(), 3u);
  EXPECT_EQ(r.cues[0].identifier, "");
  EXPECT_EQ(r.cues[0].text, "No counter");
  EXPECT_EQ(r.cues[0].line, 3);
  EXPECT_EQ(r.cues[1].identifier, "7");
  EXPECT_EQ(r.cues[1].start_ms, 120LL * 3600 * 1000);
  EXPECT_EQ(r.cues[1].text, "Long film");
  EXPECT_EQ(r.cues[2].identifier, "8");
  EXPECT_EQ(r.cues[2].text, "Packed");
  EXPECT_EQ(r.cues[2].line, 10);
}

TEST(SubtitleSrt, MalformedCuesAreReportedAndTheRestSurvive) {
  auto r = srt(
      "1\n"                                  // 1
      "00:00:01,000 --> 00:00:02,000\n"      // 2
      "Good one\n"                           // 3
      "\n"                                   // 4
      "2\n"                                  // 5
      "00:00:03,000 --> 00:00:0x,000\n"      // 6  bad timing
      "Bad timing\n"                         // 7
      "\n"                                   // 8
      "3\n"                                  // 9
      "00:00:05,000 --> 00:00:06,000\n"      // 10 missing text
      "\n"                                   // 11
      "this is garbage between cues\n"       // 12
      "more garbage\n"                       // 13
      "\n"                                   // 14
      "4\n"                                  // 15
      "00:00:09,000 --> 00:00:08,000\n"      // 16 end before start
      "Backwards\n"                          // 17
      "\n"                                   // 18
      "5\n"                                  // 19
      "00:00:10,000 - 00:00:11,000\n"        // 20 no arrow at all
      "No arrow\n"                           // 21
      "\n"                                   // 22
      "6\n"                                  // 23
      "\n"                                   // 24 counter alone
      "7\n"                                  // 25
      "00:00:12,000 --> 00:00:13,000\n"      // 26
      "Good two\n");                         // 27
  ASSERT_EQ(r.cues.size(), 2u) << describe(r);
  EXPECT_EQ(r.cues[0].text, "Good one");
  EXPECT_EQ(r.cues[1].text, "Good two");
  EXPECT_EQ(r.cues[1].index, 1);
  EXPECT_EQ(r.cues[1].identifier, "7");
  ASSERT_EQ(r.problems.size(), 6u) << describe(r);
  EXPECT_EQ(r.problems[0].line, 6);
  EXPECT_EQ(r.problems[0].column, 24);
  EXPECT_NE(r.problems[0].message.find("malformed cue timing"), std::string::npos);
  EXPECT_EQ(r.problems[1].line, 10);
  EXPECT_EQ(r.problems[1].message, "cue has no text");
  EXPECT_EQ(r.problems[2].line, 12);
  EXPECT_EQ(r.problems[2].message, "unexpected text outside a cue");
  EXPECT_EQ(r.problems[3].line, 16);
  EXPECT_EQ(r.problems[3].column, 18);
  EXPECT_NE(r.problems[3].message.find("end time 00:00:08.000 is before start time 00:00:09.000"),
            std::string::npos);
  EXPECT_EQ(r.problems[4].line, 20);
  EXPECT_NE(r.problems[4].message.find("timing line"), std::string::npos);
  EXPECT_EQ(r.problems[5].line, 23);
  EXPECT_EQ(r.problems[5].message, "cue number without a timing line");
}

TEST(SubtitleSrt, GarbageRightBeforeACueCostsOnlyTheGarbage) {
  auto r = srt("stray title line\n5\n00:00:01,000 --> 00:00:02,000\nText\n");
  ASSERT_EQ(r.cues.size(), 1u);
  EXPECT_EQ(r.cues[0].identifier, "5");
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].line, 1);
}

TEST(SubtitleSrt, InvalidUtf8NamesLineAndColumnAndCostsOnlyItsCue) {
  auto r = srt(
      "1\n00:00:01,000 --> 00:00:02,000\nOK\n\n"
      "2\n00:00:03,000 --> 00:00:04,000\nCaf\xC3\xA9 \xFF bad\n\n"  // line 7, column 6
      "3\n00:00:05,000 --> 00:00:06,000\nAlso OK\n");
  ASSERT_EQ(r.cues.size(), 2u);
  EXPECT_EQ(r.cues[1].text, "Also OK");
  ASSERT_EQ(r.problems.size(), 1u) << describe(r);
  EXPECT_EQ(r.problems[0].line, 7);
  EXPECT_EQ(r.problems[0].column, 6);
  EXPECT_EQ(r.problems[0].message, "invalid UTF-8");
}

TEST(SubtitleSrt, InvalidUtf8OutsideCuesIsReportedOnce) {
  auto r = srt("\xC0\xAF\n\n1\n00:00:01,000 --> 00:00:02,000\nOK\n");
  ASSERT_EQ(r.cues.size(), 1u);
  ASSERT_EQ(r.problems.size(), 1u) << describe(r);
  EXPECT_EQ(r.problems[0].line, 1);
  EXPECT_EQ(r.problems[0].column, 1);
}

TEST(SubtitleSrt, HugeLineIsAProblemNotACrash) {
  std::string text = "1\n00:00:01,000 --> 00:00:02,000\n" + std::string(200000, 'z') +
                     "\n\n2\n00:00:03,000 --> 00:00:04,000\nAfter\n";
  auto r = srt(text);
  ASSERT_EQ(r.cues.size(), 1u);
  EXPECT_EQ(r.cues[0].text, "After");
  ASSERT_EQ(r.problems.size(), 1u) << describe(r);
  EXPECT_EQ(r.problems[0].line, 3);
  EXPECT_NE(r.problems[0].message.find("longer than 65536 bytes"), std::string::npos);
}

TEST(SubtitleSrt, EmptyInputHasNoCuesAndNoProblems) {
  auto r = srt("");
  EXPECT_TRUE(r.cues.empty());
  EXPECT_TRUE(r.problems.empty());
}

// ---- WebVTT ----------------------------------------------------------------------------------

const char* const kVtt =
    "WEBVTT - This file has cues\n"                       // 1
    "Kind: captions\n"                                     // 2 header metadata
    "Language: en\n"                                       // 3
    "\n"                                                   // 4
    "STYLE\n"                                              // 5
    "::cue { color: yellow }\n"                            // 6
    "\n"                                                   // 7
    "REGION\n"                                             // 8
    "id:fred width:40%\n"                                  // 9
    "\n"                                                   // 10
    "NOTE This is a comment\n"                             // 11
    "spanning two lines\n"                                 // 12
    "\n"                                                   // 13
    "intro\n"                                              // 14
    "00:01.000 --> 00:04.000 align:start position:10%\n"  // 15
    "<v Roger Bingham>We are in <c.place>New York</c>\n"   // 16
    "&nbsp;City\n"                                         // 17
    "\n"                                                   // 18
    "NOTE\n"                                               // 19
    "another comment\n"                                    // 20
    "\n"                                                   // 21
    "01:00:05.250 --> 01:00:06.000\n"                      // 22
    "<b>Bold</b> <00:00:05.500>move\n";                    // 23

TEST(SubtitleVtt, HappyPath) {
  auto r = vtt(kVtt);
  EXPECT_EQ(r.format, SubtitleFormat::webvtt);
  EXPECT_TRUE(r.problems.empty()) << describe(r);
  ASSERT_EQ(r.cues.size(), 2u);
  const SubtitleCue& a = r.cues[0];
  EXPECT_EQ(a.identifier, "intro");
  EXPECT_EQ(a.start_ms, 1000);
  EXPECT_EQ(a.end_ms, 4000);
  EXPECT_EQ(a.settings, "align:start position:10%");
  EXPECT_EQ(a.line, 15);
  EXPECT_EQ(a.text, "We are in New York\n\xC2\xA0" "City");
  EXPECT_EQ(a.raw_text, "<v Roger Bingham>We are in <c.place>New York</c>\n&nbsp;City");
  EXPECT_EQ(a.voice, "Roger Bingham");
  const SubtitleCue& b = r.cues[1];
  EXPECT_EQ(b.index, 1);
  EXPECT_EQ(b.identifier, "");
  EXPECT_EQ(b.start_ms, 3605250);
  EXPECT_EQ(b.settings, "");
  EXPECT_EQ(b.text, "Bold move");
  EXPECT_EQ(b.line, 22);
}

TEST(SubtitleVtt, HeaderRules) {
  EXPECT_TRUE(vtt("WEBVTT\n\n00:01.000 --> 00:02.000\nx\n").problems.empty());
  EXPECT_TRUE(vtt("WEBVTT\tTab text\n\n00:01.000 --> 00:02.000\nx\n").problems.empty());
  EXPECT_TRUE(vtt("\xEF\xBB\xBFWEBVTT\r\n\r\n00:01.000 --> 00:02.000\r\nx\r\n").problems.empty());
  // A timing line right after the header ends the header, as in the W3C parser.
  auto direct = vtt("WEBVTT\n00:01.000 --> 00:02.000\nx\n");
  EXPECT_TRUE(direct.problems.empty()) << describe(direct);
  EXPECT_EQ(direct.cues.size(), 1u);

  auto missing = vtt("WEBVTTX\n\n00:01.000 --> 00:02.000\nstill read\n");
  ASSERT_EQ(missing.problems.size(), 1u) << describe(missing);
  EXPECT_EQ(missing.problems[0].line, 1);
  EXPECT_EQ(missing.problems[0].message, "missing WEBVTT header");
  ASSERT_EQ(missing.cues.size(), 1u);
  EXPECT_EQ(missing.cues[0].text, "still read");

  auto headless = vtt("00:01.000 --> 00:02.000\ncue straight away\n");
  ASSERT_EQ(headless.problems.size(), 1u) << describe(headless);
  EXPECT_EQ(headless.problems[0].message, "missing WEBVTT header");
  ASSERT_EQ(headless.cues.size(), 1u);
  EXPECT_EQ(headless.cues[0].text, "cue straight away");
}

TEST(SubtitleVtt, MalformedCuesAreReportedAndTheRestSurvive) {
  auto r = vtt(
      "WEBVTT\n"                                   // 1
      "\n"                                         // 2
      "a\n"                                        // 3
      "00:01.000 --> 00:02.000\n"                  // 4
      "first\n"                                    // 5
      "\n"                                         // 6
      "b\n"                                        // 7
      "00:03,000 --> 00:04.000\n"                  // 8  ',' is not WebVTT
      "bad separator\n"                            // 9
      "\n"                                         // 10
      "orphan identifier\n"                        // 11
      "\n"                                         // 12
      "00:05.000 --> 00:04.000\n"                  // 13 end before start
      "backwards\n"                                // 14
      "\n"                                         // 15
      "00:06.000 --> 00:07.000\n"                  // 16 no text
      "\n"                                         // 17
      "id\n"                                       // 18
      "garbage line\n"                             // 19
      "00:08.000 --> 00:09.000\n"                  // 20 the W3C parser restarts here
      "rescued\n"                                  // 21
      "\n"                                         // 22
      "STYLE\n"                                    // 23 after the first cue
      "::cue {}\n"                                 // 24
      "\n"                                         // 25
      "00:10.000 --> 00:11.000\n"                  // 26
      "last\n"                                     // 27
      "00:12.000 --> 00:13.000\n"                  // 28 no blank line before
      "packed\n");                                 // 29
  std::vector<std::string> texts;
  for (const auto& cue : r.cues) texts.push_back(cue.text);
  EXPECT_EQ(texts, (std::vector<std::string>{"first", "rescued", "last", "packed"})) << describe(r);
  ASSERT_EQ(r.problems.size(), 6u) << describe(r);
  EXPECT_EQ(r.problems[0].line, 8);
  EXPECT_EQ(r.problems[0].column, 6);
  EXPECT_EQ(r.problems[1].line, 11);
  EXPECT_NE(r.problems[1].message.find("timing line"), std::string::npos);
  EXPECT_EQ(r.problems[2].line, 13);
  EXPECT_EQ(r.problems[2].column, 15);
  EXPECT_NE(r.problems[2].message.find("before start"), std::string::npos);
  EXPECT_EQ(r.problems[3].line, 16);
  EXPECT_EQ(r.problems[3].message, "cue has no text");
  EXPECT_EQ(r.problems[4].line, 18);
  EXPECT_EQ(r.problems[5].line, 23);
  EXPECT_NE(r.problems[5].message.find("before the first cue"), std::string::npos);
}

TEST(SubtitleVtt, SpacesOnlyLineIsPayloadNotABlockEnd) {
  auto r = vtt("WEBVTT\n\n00:01.000 --> 00:02.000\nline one\n   \nline two\n");
  EXPECT_TRUE(r.problems.empty()) << describe(r);
  ASSERT_EQ(r.cues.size(), 1u);
  EXPECT_EQ(r.cues[0].text, "line one\nline two");
  EXPECT_EQ(r.cues[0].raw_text, "line one\n   \nline two");
}

TEST(SubtitleVtt, InvalidUtf8InIdentifierCostsTheCue) {
  auto r = vtt("WEBVTT\n\nid\xE2\x82\n00:01.000 --> 00:02.000\nx\n\n00:03.000 --> 00:04.000\ny\n");
  ASSERT_EQ(r.cues.size(), 1u);
  EXPECT_EQ(r.cues[0].text, "y");
  ASSERT_EQ(r.problems.size(), 1u) << describe(r);
  EXPECT_EQ(r.problems[0].line, 3);
  EXPECT_EQ(r.problems[0].column, 3);
  EXPECT_EQ(r.problems[0].message, "invalid UTF-8");
}

TEST(SubtitleVtt, NumericIdentifiersAndNoteLookalikes) {
  auto r = vtt("WEBVTT\n\n1\n00:01.000 --> 00:02.000\nx\n\nNOTES\n00:03.000 --> 00:04.000\ny\n");
  EXPECT_TRUE(r.problems.empty()) << describe(r);
  ASSERT_EQ(r.cues.size(), 2u);
  EXPECT_EQ(r.cues[0].identifier, "1");
  EXPECT_EQ(r.cues[1].identifier, "NOTES");  // "NOTES" is not a NOTE keyword
}

// ---- scale -----------------------------------------------------------------------------------

TEST(SubtitleScale, HundredThousandCuesParseQuickly) {
  std::string text;
  text.reserve(100000 * 64);
  for (int i = 0; i < 100000; ++i) {
    const std::int64_t start = static_cast<std::int64_t>(i) * 2000;
    text += std::to_string(i + 1) + "\n" + format_cue_time(start) + " --> " + format_cue_time(start + 1500) +
            "\nCue <i>number</i> " + std::to_string(i) + "\n\n";
  }
  const auto begin = std::chrono::steady_clock::now();
  auto r = srt(text);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  EXPECT_TRUE(r.problems.empty()) << describe(r).substr(0, 500);
  ASSERT_EQ(r.cues.size(), 100000u);
  EXPECT_EQ(r.cues.back().text, "Cue number 99999");
  EXPECT_EQ(r.cues.back().start_ms, 99999LL * 2000);
  EXPECT_LT(seconds, 3.0);
}

// ---- detection and files ---------------------------------------------------------------------

TEST(SubtitleDetect, ByContentThenByName) {
  EXPECT_EQ(detect_subtitle_format("WEBVTT\n\n", ".txt"), SubtitleFormat::webvtt);
  EXPECT_EQ(detect_subtitle_format("\xEF\xBB\xBFWEBVTT", ""), SubtitleFormat::webvtt);
  EXPECT_EQ(detect_subtitle_format("WEBVTT - title\r\n", ".srt"), SubtitleFormat::webvtt);
  EXPECT_EQ(detect_subtitle_format("1\r\n00:00:01,000 --> 00:00:02,000\r\nx", ""), SubtitleFormat::srt);
  EXPECT_EQ(detect_subtitle_format("\n\n00:00:01.000 --> 00:00:02.000\nx", ".vtt"), SubtitleFormat::srt);
  EXPECT_EQ(detect_subtitle_format("some notes about a film", ".SRT"), SubtitleFormat::srt);
  EXPECT_EQ(detect_subtitle_format("some notes about a film", "vtt"), SubtitleFormat::webvtt);
  EXPECT_EQ(detect_subtitle_format("some notes about a film", ".txt"), std::nullopt);
  EXPECT_EQ(detect_subtitle_format("WEBVTTX", ".txt"), std::nullopt);
  EXPECT_EQ(detect_subtitle_format(std::string("\x89PNG\r\n\x1a\n\0\0", 10), ".srt"), std::nullopt);
  EXPECT_EQ(detect_subtitle_format("", ".srt"), std::nullopt);
  EXPECT_EQ(detect_subtitle_format("  \n\n", ".vtt"), std::nullopt);
}

TEST(SubtitleFile, ParsesAndNamesTheFileOnFailure) {
  testing::TempDir dir;
  testing::write_file(dir / "film.srt", kSrt);
  EXPECT_EQ(parse_subtitles_file(dir / "film.srt").cues.size(), 3u);
  testing::write_file(dir / "film.VTT", kVtt);
  auto v = parse_subtitles_file(dir / "film.VTT");
  EXPECT_EQ(v.format, SubtitleFormat::webvtt);
  EXPECT_EQ(v.cues.size(), 2u);

  auto expect_error = [](const std::filesystem::path& path, const std::string& part) {
    try {
      parse_subtitles_file(path);
      ADD_FAILURE() << "no error for " << path;
    } catch (const std::runtime_error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(path.filename().string()), std::string::npos) << what;
      EXPECT_NE(what.find(part), std::string::npos) << what;
    }
  };
  expect_error(dir / "missing.srt", "cannot open");
  testing::write_file(dir / "picture.srt", std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16));
  expect_error(dir / "picture.srt", "not a SubRip or WebVTT");
  testing::write_file(dir / "wide.srt", std::string("\xFF\xFE" "1\0\n\0", 6));
  expect_error(dir / "wide.srt", "UTF-16");
  testing::write_file(dir / "empty.vtt", "");
  expect_error(dir / "empty.vtt", "not a SubRip or WebVTT");
  std::filesystem::create_directory(dir / "folder.srt");
  expect_error(dir / "folder.srt", "directory");
}

}  // namespace
}  // namespace palimpsest
