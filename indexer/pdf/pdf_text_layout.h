#pragma once
// A page's text layer as lines and paragraphs, rebuilt from its words (poppler gives words in
// reading order with their boxes, not its lines or blocks).
//
// Rules:
// - A word continues the current line when it overlaps the previous word vertically by at least
//   half the smaller height and starts to its right; otherwise it starts a new line. Words are
//   joined by a space when poppler saw one or when they are visibly apart.
// - A line continues the current paragraph unless: it is not below the previous line (a new
//   column or block), their horizontal extents do not overlap, their heights differ by more than
//   a third (a heading), it is indented by more than a line height (a first-line indent), or the
//   gap above it exceeds the page's usual gap between lines by half a line height (a blank line;
//   "usual" is the median gap, so double-spaced pages still hold multi-line paragraphs, but at
//   most 1.2 line heights, so a page of a few spaced-out lines is not taken for double spacing).
// - Paragraph text joins lines with '\n'; a line ending in letter + '-' followed by a line
//   starting with a lower-case letter is de-hyphenated ("exam-" "ple" -> "example").

#include <string>
#include <vector>

#include "indexer/pdf/pdf_document.h"

namespace palimpsest {

struct PdfLine {
  std::string text;
  PdfRect box;
};

struct PdfParagraph {
  int page = 0;      // 1-based page number
  std::string text;  // lines joined with '\n'
  PdfRect box;       // union of its lines, points (see PdfRect)
  std::vector<PdfLine> lines;
};

std::vector<PdfLine> group_lines(const std::vector<PdfWord>& words);
std::vector<PdfParagraph> group_paragraphs(const std::vector<PdfLine>& lines, int page);

// Code points that read as text: letters and digits (and any non-ASCII code point except
// controls, U+FFFD and the private use area, which is what fonts without a Unicode map yield).
int readable_characters(const std::string& utf8);

}  // namespace palimpsest
