#include "indexer/pdf/pdf_text_layout.h"

#include <algorithm>
#include <cmath>

#include "indexer/ocr/utf8_code_points.h"

namespace palimpsest {
namespace {

PdfRect unite(const PdfRect& a, const PdfRect& b) {
  const double left = std::min(a.x, b.x), top = std::min(a.y, b.y);
  return {left, top, std::max(a.right(), b.right()) - left, std::max(a.bottom(), b.bottom()) - top};
}

double vertical_overlap(const PdfRect& a, const PdfRect& b) {
  return std::min(a.bottom(), b.bottom()) - std::max(a.y, b.y);
}

bool ascii_letter(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

struct LineBuilder {
  PdfLine line;
  PdfRect last;
  bool last_space_after = false;
};

}  // namespace

int readable_characters(const std::string& utf8) {
  int count = 0;
  for (std::size_t i = 0; i < utf8.size();) {
    const char32_t cp = text_detail::next_code_point(utf8, i);
    if (cp < 0x80) {
      if (ascii_letter(static_cast<unsigned char>(cp)) || (cp >= '0' && cp <= '9')) ++count;
    } else if (cp >= 0xA0 && cp != 0xFFFD && !(cp >= 0xE000 && cp <= 0xF8FF) &&
               !(cp >= 0xF0000)) {
      ++count;
    }
  }
  return count;
}

std::vector<PdfLine> group_lines(const std::vector<PdfWord>& words) {
  std::vector<PdfLine> lines;
  LineBuilder current;
  bool open = false;
  for (const PdfWord& word : words) {
    const PdfRect& box = word.box;
    const bool continues =
        open && vertical_overlap(current.last, box) >=
                    0.5 * std::min(current.last.height, box.height) &&
        box.x >= current.last.x + 0.25 * current.last.width;
    if (!continues) {
      if (open) lines.push_back(std::move(current.line));
      current = LineBuilder{{word.text, box}, box, word.space_after};
      open = true;
      continue;
    }
    const double gap = box.x - current.last.right();
    const double height = std::min(current.last.height, box.height);
    if (current.last_space_after || gap > 0.15 * height) current.line.text += ' ';
    current.line.text += word.text;
    current.line.box = unite(current.line.box, box);
    current.last = box;
    current.last_space_after = word.space_after;
  }
  if (open) lines.push_back(std::move(current.line));
  return lines;
}

std::vector<PdfParagraph> group_paragraphs(const std::vector<PdfLine>& lines, int page) {
  std::vector<PdfParagraph> paragraphs;
  if (lines.empty()) return paragraphs;

  // The usual gap between a line and the next one below it.
  std::vector<double> gaps;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const PdfRect& above = lines[i - 1].box;
    const PdfRect& below = lines[i].box;
    if (below.y > above.y + 0.5 * above.height) gaps.push_back(std::max(0.0, below.y - above.bottom()));
  }
  double usual_gap = 0;
  if (!gaps.empty()) {
    std::nth_element(gaps.begin(), gaps.begin() + gaps.size() / 2, gaps.end());
    usual_gap = gaps[gaps.size() / 2];
  }
  std::vector<double> heights;
  for (const PdfLine& line : lines) heights.push_back(line.box.height);
  std::nth_element(heights.begin(), heights.begin() + heights.size() / 2, heights.end());
  // Double spacing leaves about one line height between lines; a larger usual gap means the
  // page has few lines, each a paragraph of its own.
  usual_gap = std::min(usual_gap, 1.2 * heights[heights.size() / 2]);

  auto starts_paragraph = [&](const PdfLine& above, const PdfLine& below) {
    const PdfRect& a = above.box;
    const PdfRect& b = below.box;
    const double height = std::max(a.height, b.height);
    if (b.y < a.y + 0.5 * a.height) return true;                               // not below
    if (std::min(a.right(), b.right()) <= std::max(a.x, b.x)) return true;     // other column
    if (height > (4.0 / 3.0) * std::min(a.height, b.height)) return true;      // heading
    if (b.x > a.x + std::min(a.height, b.height)) return true;                 // indented
    return b.y - a.bottom() > usual_gap + 0.5 * std::min(a.height, b.height);  // blank line
  };

  auto append_line = [](PdfParagraph& paragraph, const PdfLine& line) {
    std::string& text = paragraph.text;
    const std::size_t n = text.size();
    const bool hyphenated = n >= 2 && text[n - 1] == '-' &&
                            ascii_letter(static_cast<unsigned char>(text[n - 2])) &&
                            !line.text.empty() && line.text[0] >= 'a' && line.text[0] <= 'z';
    if (hyphenated) {
      text.pop_back();
    } else if (!text.empty()) {
      text += '\n';
    }
    text += line.text;
    paragraph.box = paragraph.lines.empty() ? line.box : unite(paragraph.box, line.box);
    paragraph.lines.push_back(line);
  };

  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i == 0 || starts_paragraph(lines[i - 1], lines[i])) {
      paragraphs.push_back(PdfParagraph{page, {}, lines[i].box, {}});
    }
    append_line(paragraphs.back(), lines[i]);
  }
  return paragraphs;
}

}  // namespace palimpsest
