#include "retrieval/timeline/prompt.h"

#include <gtest/gtest.h>

namespace palimpsest {
namespace {

TEST(Prompt, PlainTextPassesThrough) {
  const Prompt p = parse_prompt("A red circle over the sea.");
  EXPECT_EQ(p.search_text, "A red circle over the sea.");
  ASSERT_EQ(p.terms.size(), 1u);
  EXPECT_EQ(p.terms[0], (PromptTerm{"A red circle over the sea.", 1.0}));
  EXPECT_TRUE(p.negative_text.empty());
  EXPECT_TRUE(p.pinned_records.empty());
}

TEST(Prompt, WeightsAreStrippedAndKept) {
  const Prompt p = parse_prompt("A (red circle:1.3) over the (calm:0.8) sea");
  EXPECT_EQ(p.search_text, "A red circle over the calm sea");
  ASSERT_EQ(p.terms.size(), 5u);
  EXPECT_EQ(p.terms[0], (PromptTerm{"A", 1.0}));
  EXPECT_EQ(p.terms[1], (PromptTerm{"red circle", 1.3}));
  EXPECT_EQ(p.terms[2], (PromptTerm{"over the", 1.0}));
  EXPECT_EQ(p.terms[3], (PromptTerm{"calm", 0.8}));
  EXPECT_EQ(p.terms[4], (PromptTerm{"sea", 1.0}));
}

TEST(Prompt, WeightForms) {
  EXPECT_DOUBLE_EQ(parse_prompt("(a:2)").terms.at(0).weight, 2.0);
  EXPECT_DOUBLE_EQ(parse_prompt("(a: .5)").terms.at(0).weight, 0.5);
  EXPECT_DOUBLE_EQ(parse_prompt("(a:+1.5 )").terms.at(0).weight, 1.5);
  EXPECT_DOUBLE_EQ(parse_prompt("(a:0)").terms.at(0).weight, 0.0);
  EXPECT_DOUBLE_EQ(parse_prompt("(a:1e-1)").terms.at(0).weight, 0.1);
  // Words keep their own colons; the last one introduces the weight.
  const Prompt p = parse_prompt("(time: noon:1.2)");
  EXPECT_EQ(p.terms.at(0), (PromptTerm{"time: noon", 1.2}));
}

TEST(Prompt, ParenthesesWithoutWeightAreText) {
  EXPECT_EQ(parse_prompt("He waits (a long time).").search_text, "He waits (a long time).");
  EXPECT_EQ(parse_prompt("(time: noon) bells").search_text, "(time: noon) bells");
  EXPECT_EQ(parse_prompt("a ) stray and ( open").search_text, "a ) stray and ( open");
  EXPECT_EQ(parse_prompt(R"(\(red:1.2\) literal)").search_text, "(red:1.2) literal");
  EXPECT_EQ(parse_prompt("smile :)").search_text, "smile :)");
  EXPECT_EQ(parse_prompt(R"(wide \(ratio 16:9\))").search_text, "wide (ratio 16:9)");
  EXPECT_EQ(parse_prompt("wide (ratio 16:9)").terms.at(1), (PromptTerm{"ratio 16", 9.0}));  // the syntax's reading
  EXPECT_EQ(parse_prompt("a (b (c:1.2) d").search_text, "a (b c d");
}

TEST(Prompt, MultiLineTextCollapses) {
  const Prompt p = parse_prompt("  A red\n  (circle\tshape:1.1)\n\n over  the sea  ");
  EXPECT_EQ(p.search_text, "A red circle shape over the sea");
  EXPECT_EQ(p.terms.at(1), (PromptTerm{"circle shape", 1.1}));
}

TEST(Prompt, NegativeTail) {
  const Prompt p = parse_prompt("A quiet (sea:1.2) at night --neg city, (buildings:1.5), cars");
  EXPECT_EQ(p.search_text, "A quiet sea at night");
  EXPECT_EQ(p.negative_text, "city, buildings, cars");
  ASSERT_EQ(p.terms.size(), 3u);  // the negative's terms are not positive terms
  EXPECT_EQ(p.terms[2], (PromptTerm{"at night", 1.0}));
  EXPECT_EQ(parse_prompt("sea --neg: city").negative_text, "city");
  EXPECT_EQ(parse_prompt("--neg city").search_text, "");
  EXPECT_EQ(parse_prompt("--neg city").negative_text, "city");
  // Only a word of its own starts the tail.
  EXPECT_EQ(parse_prompt("a--neg b").negative_text, "");
  EXPECT_EQ(parse_prompt("a --negative b").negative_text, "");
}

TEST(Prompt, RecordPins) {
  const Prompt p = parse_prompt("The sea [[record: 12]] at night [[record: 15, 3 12]] [[duration: 4s]]");
  EXPECT_EQ(p.search_text, "The sea at night");
  EXPECT_EQ(p.pinned_records, (std::vector<std::int64_t>{12, 15, 3}));
  ASSERT_EQ(p.notes.size(), 3u);
  EXPECT_EQ(p.notes[2].text, "duration: 4s");
  EXPECT_EQ(p.notes[2].line, 1);
  EXPECT_EQ(p.notes[2].column, 54);
  // Notes separate words they sat between.
  EXPECT_EQ(parse_prompt("sea[[record: 1]]sky").search_text, "sea sky");
}

TEST(Prompt, RecordIdParsing) {
  EXPECT_EQ(parse_record_ids("7"), (std::vector<std::int64_t>{7}));
  EXPECT_EQ(parse_record_ids(" 7, 8 ,9 "), (std::vector<std::int64_t>{7, 8, 9}));
  EXPECT_THROW(parse_record_ids(""), std::invalid_argument);
  EXPECT_THROW(parse_record_ids("abc"), std::invalid_argument);
  EXPECT_THROW(parse_record_ids("0"), std::invalid_argument);
  EXPECT_THROW(parse_record_ids("-3"), std::invalid_argument);
  EXPECT_THROW(parse_record_ids("12x"), std::invalid_argument);
}

struct BadPrompt {
  const char* text;
  int line;
  int column;
  const char* message_part;
};

class PromptErrors : public ::testing::TestWithParam<BadPrompt> {};

TEST_P(PromptErrors, NameLineAndColumn) {
  const BadPrompt& bad = GetParam();
  try {
    parse_prompt(bad.text);
    FAIL() << "no error for " << bad.text;
  } catch (const PromptError& e) {
    EXPECT_EQ(e.line, bad.line) << e.what();
    EXPECT_EQ(e.column, bad.column) << e.what();
    EXPECT_NE(e.message.find(bad.message_part), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("column " + std::to_string(bad.column)), std::string::npos);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Malformed, PromptErrors,
    ::testing::Values(BadPrompt{"a (red:1.x) b", 1, 8, "invalid weight"},
                      BadPrompt{"a (red:) b", 1, 7, "missing weight"},
                      BadPrompt{"a (red:-1) b", 1, 8, "0 or more"},
                      BadPrompt{"a (:1.2) b", 1, 3, "needs words"},
                      BadPrompt{"a (red:1.2 b", 1, 3, "unclosed '('"},
                      BadPrompt{"x\n  (a (b:1.2):1.5)", 2, 17, "do not nest"},
                      BadPrompt{"sea [[record: 12", 1, 5, "unclosed '[['"},
                      BadPrompt{"sea\nsky [[record: twelve]]", 2, 5, "invalid record id"},
                      BadPrompt{"été (rouge:1,5)", 1, 12, "invalid weight"},
                      BadPrompt{"sea --neg (city:1..2)", 1, 17, "invalid weight"}));

}  // namespace
}  // namespace palimpsest
