#include "retrieval/timeline/fountain.h"

#include <gtest/gtest.h>

#include <sstream>

#include "retrieval/timeline/fountain_emphasis.h"
#include "retrieval/timeline/manuscript_error.h"
#include "tests/common/test_support.h"

namespace palimpsest {
namespace {

using Type = FountainElementType;

std::vector<FountainElement> parse(const std::string& text) { return parse_fountain(text, "script.fountain"); }

std::vector<Type> types(const std::vector<FountainElement>& elements) {
  std::vector<Type> out;
  for (const auto& e : elements) out.push_back(e.type);
  return out;
}

std::string dump(const std::vector<FountainElement>& elements) {
  std::string out;
  for (const auto& e : elements)
    out += std::string(fountain_element_type_name(e.type)) + " " + std::to_string(e.line) + ":" +
           std::to_string(e.column) + " [" + e.raw_text + "] [" + e.plain_text + "]\n";
  return out;
}

// ---- the corpus: one script with every element ---------------------------------------------

const char* const kScript =
    "Title:\n"                                    // 1
    "    **BRICK & STEEL**\n"                     // 2
    "    _FULL RETIRED_\n"                        // 3
    "Credit: Written by\n"                        // 4
    "Author: Stu Maschwitz\n"                     // 5
    "Draft date: 1/20/2012\n"                     // 6
    "Contact:\n"                                  // 7
    "\tNext Level Productions\n"                  // 8
    "\t1588 Mission Dr.\n"                        // 9
    "\n"                                          // 10
    "# ACT I\n"                                   // 11
    "\n"                                          // 12
    "## Patio\n"                                  // 13
    "\n"                                          // 14
    "= Steel is introduced.\n"                    // 15
    "\n"                                          // 16
    "EXT. BRICK'S PATIO - DAY #1A#\n"             // 17
    "\n"                                          // 18
    "A gorgeous day. [[duration: 4s]]\n"          // 19
    "\n"                                          // 20
    "STEEL (O.S.) (CONT'D)\n"                     // 21
    "(beat)\n"                                    // 22
    "Beer's ready!\n"                             // 23
    "Are they *cold*?\n"                          // 24
    "\n"                                          // 25
    "BRICK ^\n"                                   // 26
    "I am **busy**.\n"                            // 27
    "\n"                                          // 28
    "CUT TO:\n"                                   // 29
    "\n"                                          // 30
    ".SNIPER SCOPE POV #7#\n"                     // 31
    "\n"                                          // 32
    "!BRICK AND STEEL\n"                          // 33
    "share a look.\n"                             // 34
    "\n"                                          // 35
    ">THE END<\n"                                 // 36
    "\n"                                          // 37
    "> FADE OUT.\n"                               // 38
    "\n"                                          // 39
    "~Willy Wonka!\n"                             // 40
    "\n"                                          // 41
    "@McCLANE\n"                                  // 42
    "Yippee ki-yay.\n"                            // 43
    "\n"                                          // 44
    "===\n"                                       // 45
    "\n"                                          // 46
    "[[record: 123]]\n";                          // 47

TEST(Fountain, EveryElementOfTheCorpus) {
  const auto e = parse(kScript);
  ASSERT_EQ(types(e), (std::vector<Type>{Type::title_page, Type::title_page, Type::title_page, Type::title_page,
                                         Type::title_page, Type::section, Type::section, Type::synopsis,
                                         Type::scene_heading, Type::action, Type::character, Type::parenthetical,
                                         Type::dialogue, Type::character, Type::dialogue, Type::transition,
                                         Type::scene_heading, Type::action, Type::centered, Type::transition,
                                         Type::lyric, Type::character, Type::dialogue, Type::page_break,
                                         Type::note}))
      << dump(e);

  EXPECT_EQ(e[0].key, "Title");
  EXPECT_EQ(e[0].raw_text, "**BRICK & STEEL**\n_FULL RETIRED_");
  EXPECT_EQ(e[0].plain_text, "BRICK & STEEL\nFULL RETIRED");
  EXPECT_EQ(e[0].line, 1);
  EXPECT_EQ(e[0].end_line, 3);
  EXPECT_EQ(e[3].key, "Draft date");
  EXPECT_EQ(e[3].plain_text, "1/20/2012");
  EXPECT_EQ(e[4].key, "Contact");
  EXPECT_EQ(e[4].plain_text, "Next Level Productions\n1588 Mission Dr.");

  EXPECT_EQ(e[5].depth, 1);
  EXPECT_EQ(e[5].plain_text, "ACT I");
  EXPECT_EQ(e[6].depth, 2);
  EXPECT_EQ(e[6].plain_text, "Patio");
  EXPECT_EQ(e[7].plain_text, "Steel is introduced.");

  EXPECT_EQ(e[8].plain_text, "EXT. BRICK'S PATIO - DAY");
  EXPECT_EQ(e[8].scene_number, "1A");
  EXPECT_EQ(e[8].line, 17);
  EXPECT_FALSE(e[8].forced);

  EXPECT_EQ(e[9].raw_text, "A gorgeous day. [[duration: 4s]]");
  EXPECT_EQ(e[9].plain_text, "A gorgeous day.");
  ASSERT_EQ(e[9].notes.size(), 1u);
  EXPECT_EQ(e[9].notes[0].text, "duration: 4s");
  EXPECT_EQ(e[9].notes[0].line, 19);
  EXPECT_EQ(e[9].notes[0].column, 17);

  EXPECT_EQ(e[10].character, "STEEL");
  EXPECT_EQ(e[10].extensions, (std::vector<std::string>{"O.S.", "CONT'D"}));
  EXPECT_EQ(e[10].plain_text, "STEEL (O.S.) (CONT'D)");
  EXPECT_TRUE(e[10].dual_dialogue);  // the first of the '^' pair
  EXPECT_EQ(e[11].plain_text, "(beat)");
  EXPECT_EQ(e[11].character, "STEEL");
  EXPECT_EQ(e[12].raw_text, "Beer's ready!\nAre they *cold*?");
  EXPECT_EQ(e[12].plain_text, "Beer's ready!\nAre they cold?");
  EXPECT_EQ(e[12].character, "STEEL");
  EXPECT_TRUE(e[12].dual_dialogue);
  EXPECT_EQ(e[12].line, 23);
  EXPECT_EQ(e[12].end_line, 24);
  EXPECT_EQ(e[13].character, "BRICK");
  EXPECT_EQ(e[13].raw_text, "BRICK");
  EXPECT_TRUE(e[13].dual_dialogue);
  EXPECT_EQ(e[14].plain_text, "I am busy.");
  EXPECT_TRUE(e[14].dual_dialogue);

  EXPECT_EQ(e[15].plain_text, "CUT TO:");
  EXPECT_FALSE(e[15].forced);
  EXPECT_EQ(e[16].plain_text, "SNIPER SCOPE POV");
  EXPECT_EQ(e[16].scene_number, "7");
  EXPECT_TRUE(e[16].forced);
  EXPECT_EQ(e[17].plain_text, "BRICK AND STEEL\nshare a look.");
  EXPECT_TRUE(e[17].forced);
  EXPECT_EQ(e[18].plain_text, "THE END");
  EXPECT_EQ(e[19].plain_text, "FADE OUT.");
  EXPECT_TRUE(e[19].forced);
  EXPECT_EQ(e[20].plain_text, "Willy Wonka!");
  EXPECT_EQ(e[21].character, "McCLANE");
  EXPECT_TRUE(e[21].forced);
  EXPECT_EQ(e[22].character, "McCLANE");
  EXPECT_FALSE(e[22].dual_dialogue);
  EXPECT_EQ(e[23].line, 45);
  EXPECT_EQ(e[23].plain_text, "");
  EXPECT_EQ(e[24].plain_text, "record: 123");
  ASSERT_EQ(e[24].notes.size(), 1u);
  EXPECT_EQ(e[24].notes[0].line, 47);
}

TEST(Fountain, ElementTypeNames) {
  EXPECT_EQ(fountain_element_type_name(Type::scene_heading), "scene_heading");
  EXPECT_EQ(fountain_element_type_name(Type::page_break), "page_break");
}

// ---- scene headings --------------------------------------------------------------------------

TEST(Fountain, SceneHeadingPrefixes) {
  for (const char* heading : {"INT. HOUSE - DAY", "EXT. HOUSE", "EST. CITY", "INT./EXT. CAR - MOVING",
                              "INT/EXT CAR", "I/E TRUCK", "int. kitchen - night", "INT HOUSE"}) {
    const auto e = parse(std::string("\n") + heading + "\n\nAction.\n");
    ASSERT_EQ(e.size(), 2u) << heading;
    EXPECT_EQ(e[0].type, Type::scene_heading) << heading;
    EXPECT_EQ(e[0].plain_text, heading);
  }
  for (const char* not_heading : {"EXTERIOR SHOT", "INTERIOR", "INT.", "ESTABLISHING"}) {
    const auto e = parse(std::string(not_heading) + "\n");
    ASSERT_EQ(e.size(), 1u) << not_heading;
    EXPECT_EQ(e[0].type, Type::action) << not_heading;
  }
}

TEST(Fountain, SceneHeadingNeedsABlankLineAfterIt) {
  const auto e = parse("INT. HOUSE - DAY\nBob enters.\n");
  ASSERT_EQ(e.size(), 1u) << dump(e);
  EXPECT_EQ(e[0].type, Type::action);  // not a character either
  EXPECT_EQ(e[0].plain_text, "INT. HOUSE - DAY\nBob enters.");
}

TEST(Fountain, IntInTheMiddleOfActionIsAction) {
  const auto e = parse("Bob looks around.\nINT. HOUSE - DAY\nHe leaves.\n\nThen INT. appears mid-line.\n");
  ASSERT_EQ(types(e), (std::vector<Type>{Type::action, Type::action})) << dump(e);
  EXPECT_EQ(e[0].plain_text, "Bob looks around.\nINT. HOUSE - DAY\nHe leaves.");
}

TEST(Fountain, ForcedSceneHeadingsAndEllipses) {
  auto e = parse(".flashback #12.3-A#\n\n...and then silence.\n");
  ASSERT_EQ(types(e), (std::vector<Type>{Type::scene_heading, Type::action})) << dump(e);
  EXPECT_EQ(e[0].plain_text, "flashback");
  EXPECT_EQ(e[0].scene_number, "12.3-A");
  EXPECT_EQ(e[1].plain_text, "...and then silence.");
  e = parse("INT. HOUSE #not a number#\n");
  EXPECT_EQ(e[0].scene_number, "");
  EXPECT_EQ(e[0].plain_text, "INT. HOUSE #not a number#");
}

// ---- action, characters, dialogue ----------------------------------------------------------

TEST(Fountain, AllCapsLineFollowedByBlankIsAction) {
  const auto e = parse("\nTHE DOOR OPENS.\n\nBOB\nHello.\n");
  ASSERT_EQ(types(e), (std::vector<Type>{Type::action, Type::character, Type::dialogue})) << dump(e);
  EXPECT_EQ(e[0].plain_text, "THE DOOR OPENS.");
}

TEST(Fountain, CharacterNeedsABlankLineBefore) {
  const auto e = parse("He turns.\nBOB\nHello.\n");
  ASSERT_EQ(types(e), (std::vector<Type>{Type::action})) << dump(e);
  EXPECT_EQ(e[0].plain_text, "He turns.\nBOB\nHello.");
}

TEST(Fountain, CharacterCueVariants) {
  auto e = parse("R2D2\nBeep.\n\nMOM (cont'd)\nDinner.\n\n  HANS (on the radio)\nAh.\n\nJOSÉ\nHola.\n");
  ASSERT_EQ(types(e), (std::vector<Type>{Type::character, Type::dialogue, Type::character, Type::dialogue,
                                         Type::character, Type::dialogue, Type::character, Type::dialogue}))
      << dump(e);
  EXPECT_EQ(e[0].character, "R2D2");
  EXPECT_EQ(e[2].character, "MOM");
  EXPECT_EQ(e[2].extensions, std::vector<std::string>{"cont'd"});
  EXPECT_EQ(e[4].character, "HANS");
  EXPECT_EQ(e[4].column, 3);  // indentation is allowed and ignored
  EXPECT_EQ(e[6].character, "JOSÉ");
  // Not cues: lower case, no letter, text after the extension.
  e = parse("Bob\nHello.\n\n1984\nA year.\n\nBOB (V.O.) SAYS\nHi.\n\nJOSé\nHola.\n");
  EXPECT_EQ(types(e), (std::vector<Type>{Type::action, Type::action, Type::action, Type::action})) << dump(e);
}

TEST(Fountain, TransitionsVersusCharacters) {
  auto e = parse("CUT TO:\n\nSMASH CUT TO:\n\nCUT TO:\nHe runs.\n\n>Fade to black.\n\nFADE OUT.\n");
  ASSERT_EQ(types(e), (std::vector<Type>{Type::transition, Type::transition, Type::action, Type::transition,
                                         Type::action}))
      << dump(e);
  EXPECT_EQ(e[1].plain_text, "SMASH CUT TO:");
  EXPECT_EQ(e[2].plain_text, "CUT TO:\nHe runs.");  // runs into text: neither transition nor cue
  EXPECT_EQ(e[3].plain_text, "Fade to black.");
  e = parse("Cut to:\n");
  EXPECT_EQ(e[0].type, Type::action);
}

TEST(Fountain, ParentheticalsLyricsAndSpacerInDialogue) {
  const auto e = parse(
      "BOB\n"            // 1
      "(quietly)\n"      // 2
      "I sing:\n"        // 3
      "~La la la\n"      // 4
      "(beat)\n"         // 5
      "First part.\n"    // 6
      "  \n"             // 7: two spaces keep the dialogue going
      "Second part.\n"); // 8
  ASSERT_EQ(types(e), (std::vector<Type>{Type::character, Type::parenthetical, Type::dialogue, Type::lyric,
                                         Type::parenthetical, Type::dialogue}))
      << dump(e);
  EXPECT_EQ(e[3].plain_text, "La la la");
  EXPECT_EQ(e[3].character, "BOB");
  EXPECT_EQ(e[5].plain_text, "First part.\n\nSecond part.");
  EXPECT_EQ(e[5].line, 6);
  EXPECT_EQ(e[5].end_line, 8);
}

TEST(Fountain, DualDialogueMarksBothSpeakers) {
  const auto e = parse("BRICK\nScrew retirement.\n\nSTEEL ^\n(shouting)\nScrew retirement.\n\nBRICK\nAlone.\n");
  ASSERT_EQ(e.size(), 7u) << dump(e);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(e[i].dual_dialogue) << i;
  EXPECT_EQ(e[2].character, "STEEL");
  EXPECT_EQ(e[2].plain_text, "STEEL");
  EXPECT_FALSE(e[5].dual_dialogue);
  EXPECT_FALSE(e[6].dual_dialogue);
}

TEST(Fountain, LeadingWhitespaceAndTabsInActionArePreserved) {
  const auto e = parse("\tTabbed in.\n    Four spaces.\nFlush.   \n");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].raw_text, "\tTabbed in.\n    Four spaces.\nFlush.");
  EXPECT_EQ(e[0].plain_text, "\tTabbed in.\n    Four spaces.\nFlush.");
  EXPECT_EQ(e[0].column, 2);
}

TEST(Fountain, CenteredPageBreakSectionsAndSynopses) {
  const auto e = parse("> THE END <\n\n=====\n\n### Deep\n\n=Short synopsis\n");
  ASSERT_EQ(types(e), (std::vector<Type>{Type::centered, Type::page_break, Type::section, Type::synopsis}))
      << dump(e);
  EXPECT_EQ(e[0].plain_text, "THE END");
  EXPECT_EQ(e[2].depth, 3);
  EXPECT_EQ(e[2].plain_text, "Deep");
  EXPECT_EQ(e[3].plain_text, "Short synopsis");
}

TEST(Fountain, UnknownSyntaxIsKeptAsAction) {
  const auto e = parse("{{weird}} <stuff> | tables |\n\n@\n\n%% nothing known\n");
  ASSERT_EQ(types(e), (std::vector<Type>{Type::action, Type::action, Type::action})) << dump(e);
  EXPECT_EQ(e[0].plain_text, "{{weird}} <stuff> | tables |");
  EXPECT_EQ(e[1].plain_text, "@");
}

// ---- emphasis --------------------------------------------------------------------------------

TEST(Fountain, EmphasisIsKeptInRawAndStrippedInPlain) {
  EXPECT_EQ(strip_fountain_emphasis("*italic* **bold** ***both*** _under_"), "italic bold both under");
  EXPECT_EQ(strip_fountain_emphasis("**bold *nested italic* bold**"), "bold nested italic bold");
  EXPECT_EQ(strip_fountain_emphasis("_**underlined bold**_"), "underlined bold");
  EXPECT_EQ(strip_fountain_emphasis("*italic **bold** italic*"), "italic bold italic");
  EXPECT_EQ(strip_fountain_emphasis("Escaped \\*star\\* and \\_under\\_"), "Escaped *star* and _under_");
  EXPECT_EQ(strip_fountain_emphasis("**\\*9765\\***"), "*9765*");
  EXPECT_EQ(strip_fountain_emphasis("5 * 3 * 2"), "5 * 3 * 2");
  EXPECT_EQ(strip_fountain_emphasis("a lone * star"), "a lone * star");
  EXPECT_EQ(strip_fountain_emphasis("snake_case_name"), "snake_case_name");
  EXPECT_EQ(strip_fountain_emphasis("unclosed *italic"), "unclosed *italic");
  EXPECT_EQ(strip_fountain_emphasis("a\\b"), "a\\b");
  const auto e = parse("He *really* means it.\n");
  EXPECT_EQ(e[0].raw_text, "He *really* means it.");
  EXPECT_EQ(e[0].plain_text, "He really means it.");
}

TEST(Fountain, EmphasisDoesNotSpanLines) {
  const auto e = parse("*Starts here\nends here*\n");
  EXPECT_EQ(e[0].plain_text, "*Starts here\nends here*");
}

TEST(Fountain, ManyMarkersStayFast) {
  const std::string line(60000, '*');
  EXPECT_EQ(strip_fountain_emphasis("x" + line), "x" + line);
  const std::string underscores(60000, '_');
  EXPECT_EQ(strip_fountain_emphasis(underscores).size(), underscores.size());
}

// ---- notes -----------------------------------------------------------------------------------

TEST(Fountain, InlineNotesAreMetadataAndLeavePlainText) {
  const auto e = parse("She walks [[slowly]] in. [[duration: 4s]] [[record: 123]]\n");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].plain_text, "She walks in.");
  ASSERT_EQ(e[0].notes.size(), 3u);
  EXPECT_EQ(e[0].notes[0].text, "slowly");
  EXPECT_EQ(e[0].notes[0].column, 11);
  EXPECT_EQ(e[0].notes[1].text, "duration: 4s");
  EXPECT_EQ(e[0].notes[2].text, "record: 123");
}

TEST(Fountain, NotesSpanningLines) {
  const auto e = parse("He walks [[a note\n  \nspanning lines]] away.\nNext line.\n");
  ASSERT_EQ(e.size(), 1u) << dump(e);
  EXPECT_EQ(e[0].raw_text, "He walks [[a note\n\nspanning lines]] away.\nNext line.");
  EXPECT_EQ(e[0].plain_text, "He walks away.\nNext line.");
  ASSERT_EQ(e[0].notes.size(), 1u);
  EXPECT_EQ(e[0].notes[0].text, "a note\n  \nspanning lines");
  EXPECT_EQ(e[0].notes[0].line, 1);
  EXPECT_EQ(e[0].end_line, 4);
}

TEST(Fountain, NoteLinesAttachToTheirNeighbours) {
  const auto e = parse(
      "[[duration: 3s]]\n"                  // 1: before the cue, same paragraph
      "BOB\n"                               // 2
      "Hi.\n"                               // 3
      "\n"                                  // 4
      "INT. HOUSE - NIGHT\n"                // 5
      "[[strength: 0:(0.6), 12:(0.3)]]\n"   // 6: after the heading, same paragraph
      "\n"                                  // 7
      "[[a note\n"                          // 8: a paragraph of notes only
      "over two lines]]\n");                // 9
  ASSERT_EQ(types(e), (std::vector<Type>{Type::character, Type::dialogue, Type::scene_heading, Type::note}))
      << dump(e);
  ASSERT_EQ(e[0].notes.size(), 1u);
  EXPECT_EQ(e[0].notes[0].text, "duration: 3s");
  EXPECT_EQ(e[0].line, 2);
  EXPECT_EQ(e[2].plain_text, "INT. HOUSE - NIGHT");
  ASSERT_EQ(e[2].notes.size(), 1u);
  EXPECT_EQ(e[2].end_line, 6);
  EXPECT_EQ(e[3].plain_text, "a note\nover two lines");
  EXPECT_EQ(e[3].line, 8);
  EXPECT_EQ(e[3].end_line, 9);
}

TEST(Fountain, UnclosedNoteIsText) {
  const auto e = parse("Look [[ here\n\nand ]] there.\n");
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].plain_text, "Look [[ here");
  EXPECT_TRUE(e[0].notes.empty());
  EXPECT_EQ(e[1].plain_text, "and ]] there.");
}

TEST(Fountain, NoteDirectives) {
  auto d = parse_note_directive("duration: 4s");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->key, "duration");
  EXPECT_EQ(d->value, "4s");
  d = parse_note_directive(" Strength :  0:(0.6), 12:(0.3) ");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->key, "strength");
  EXPECT_EQ(d->value, "0:(0.6), 12:(0.3)");
  d = parse_note_directive("camera move: zoom");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->key, "camera move");
  EXPECT_FALSE(parse_note_directive("just a thought"));
  EXPECT_FALSE(parse_note_directive(": empty key"));
  EXPECT_FALSE(parse_note_directive("12: starts with a digit"));
  EXPECT_FALSE(parse_note_directive("what? no: really"));
}

// ---- boneyard --------------------------------------------------------------------------------

TEST(Fountain, BoneyardSpanningElementsIsRemoved) {
  const auto e = parse(
      "INT. HOUSE - DAY\n"      // 1
      "\n"                      // 2
      "/*\n"                    // 3
      "INT. OLD SCENE\n"        // 4
      "\n"                      // 5
      "BOB\n"                   // 6
      "Cut line.\n"             // 7
      "*/\n"                    // 8
      "\n"                      // 9
      "ALICE\n"                 // 10
      "/* (whispers) */\n"      // 11: hidden; the dialogue continues
      "Kept /* not */ line.\n"  // 12
      "\n"                      // 13
      "Left /* hidden\n"        // 14
      "\n"                      // 15
      "STILL HIDDEN */ right.\n");  // 16
  ASSERT_EQ(types(e), (std::vector<Type>{Type::scene_heading, Type::character, Type::dialogue, Type::action}))
      << dump(e);
  EXPECT_EQ(e[1].line, 10);
  EXPECT_EQ(e[2].line, 12);
  EXPECT_EQ(e[2].plain_text, "Kept line.");
  EXPECT_EQ(e[3].line, 14);
  EXPECT_EQ(e[3].end_line, 16);
  EXPECT_EQ(e[3].plain_text, "Left\n right.");
}

TEST(Fountain, UnclosedBoneyardIsText) {
  const auto e = parse("Keep /* this\n\nAnd this.\n");
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].plain_text, "Keep /* this");
}

TEST(Fountain, ColumnsCountFromTheFileDespiteBoneyard) {
  const auto e = parse("/* gone */ BOB\nHi.\n");
  ASSERT_EQ(types(e), (std::vector<Type>{Type::character, Type::dialogue})) << dump(e);
  EXPECT_EQ(e[0].column, 12);
}

// ---- title page ------------------------------------------------------------------------------

TEST(Fountain, NoTitlePageWhenTheScriptOpensWithSomethingElse) {
  const auto e = parse("FADE IN:\n\nEXT. FIELD - DAY\n");
  ASSERT_EQ(types(e), (std::vector<Type>{Type::action, Type::scene_heading})) << dump(e);
}

TEST(Fountain, TitlePageCustomKeysAndEnd) {
  const auto e = parse("\n\nTitle: The Film\nProducer: Someone\nNotes:\n   Line one\n   Line *two*\n\nINT. A - DAY\n");
  ASSERT_EQ(types(e), (std::vector<Type>{Type::title_page, Type::title_page, Type::title_page, Type::scene_heading}))
      << dump(e);
  EXPECT_EQ(e[0].line, 3);
  EXPECT_EQ(e[1].key, "Producer");
  EXPECT_EQ(e[2].raw_text, "Line one\nLine *two*");
  EXPECT_EQ(e[2].plain_text, "Line one\nLine two");
  EXPECT_EQ(e[2].end_line, 7);
}

// ---- input handling --------------------------------------------------------------------------

TEST(Fountain, CrLfAndBom) {
  const auto e = parse("\xEF\xBB\xBFTitle: X\r\n\r\nBOB\r\nHi.\r\n");
  ASSERT_EQ(types(e), (std::vector<Type>{Type::title_page, Type::character, Type::dialogue})) << dump(e);
  EXPECT_EQ(e[0].plain_text, "X");
  EXPECT_EQ(e[2].plain_text, "Hi.");
  EXPECT_EQ(e[2].line, 4);
}

TEST(Fountain, InvalidUtf8NamesFileLineAndColumn) {
  try {
    parse("INT. HOUSE\n\nGood line.\nCafé \xFF bad\n");
    FAIL() << "no error";
  } catch (const ManuscriptError& error) {
    EXPECT_EQ(error.file, "script.fountain");
    EXPECT_EQ(error.line, 4);
    EXPECT_EQ(error.column, 6);
    EXPECT_EQ(std::string(error.what()), "script.fountain:4:6: invalid UTF-8");
  }
}

TEST(Fountain, HugeLinesAndNulBytesAreErrors) {
  EXPECT_THROW(parse("ok\n" + std::string(70000, 'a') + "\n"), ManuscriptError);
  try {
    parse(std::string("ab\0c\n", 5));
    FAIL();
  } catch (const ManuscriptError& error) {
    EXPECT_EQ(error.line, 1);
    EXPECT_EQ(error.column, 3);
  }
}

TEST(Fountain, EmptyAndBlankScripts) {
  EXPECT_TRUE(parse("").empty());
  EXPECT_TRUE(parse("\n\n   \n").empty());
  EXPECT_TRUE(parse("/* all gone */\n").empty());
}

TEST(Fountain, ParsesFiles) {
  testing::TempDir dir;
  testing::write_file(dir / "script.fountain", kScript);
  EXPECT_EQ(parse_fountain_file(dir / "script.fountain").size(), 25u);
  try {
    parse_fountain_file(dir / "missing.fountain");
    FAIL();
  } catch (const ManuscriptError& error) {
    EXPECT_EQ(error.line, 0);
    EXPECT_NE(std::string(error.what()).find("missing.fountain: cannot open"), std::string::npos) << error.what();
  }
  testing::write_file(dir / "bad.fountain", "Fine.\n\xC3\x28\n");
  try {
    parse_fountain_file(dir / "bad.fountain");
    FAIL();
  } catch (const ManuscriptError& error) {
    EXPECT_EQ(std::string(error.what()), (dir / "bad.fountain").string() + ":2:1: invalid UTF-8");
  }
}

}  // namespace
}  // namespace palimpsest
