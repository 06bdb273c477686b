#pragma once
// Turns a cue payload as written into the text people read: markup removed, entities decoded.

#include <string>
#include <string_view>

namespace palimpsest {

struct CleanedCueText {
  std::string text;   // lines trimmed, lines left empty by the cleaning dropped, joined with '\n'
  std::string voice;  // the name of the first WebVTT voice span (<v Name>), "" when none
};

// Removes WebVTT and SubRip markup: tags such as <i>, </b>, <c.yellow>, <v Roger>, <lang en>,
// <ruby>/<rt>, <font color="..">, inline timestamps <00:01.000>, and ASS override blocks such as
// {\an8}. Decodes &amp; &lt; &gt; &quot; &apos; &nbsp; &lrm; &rlm; and numeric references (&#233;
// &#xE9;). A '<' or '{' that does not open well-formed markup on the same line, and an unknown
// entity, are kept as text: "a < b" and "Fish & Chips" survive. Decoding happens in the same pass
// as tag removal, so "&lt;i&gt;" yields the literal text "<i>".
CleanedCueText clean_cue_text(std::string_view raw);

}  // namespace palimpsest
