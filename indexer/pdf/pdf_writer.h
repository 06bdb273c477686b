#pragma once
// Writes simple, valid PDFs: pages of text in the standard Type 1 fonts (which every reader has,
// so nothing is embedded), filled rectangles and RGB images (Flate-compressed). Streaming: a page
// is written out when it ends, so a document of thousands of pages is written in the memory of
// one. For tests, benchmarks and the demo archive; not a general PDF library.
//
// Coordinates are points from the page's top left, y growing downwards (as PdfRect). Text is
// UTF-8 limited to what WinAnsiEncoding holds of Latin-1 (U+0020..U+007E, U+00A0..U+00FF).

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "indexer/media/rgb_image.h"
#include "indexer/pdf/pdf_error.h"

namespace palimpsest {

enum class PdfFont {
  helvetica, helvetica_bold, helvetica_oblique,
  times_roman, times_bold, times_italic,
  courier, courier_bold,
};

// The font's PostScript name ("Helvetica-Bold").
std::string_view font_name(PdfFont font);

struct PdfWriterOptions {
  std::string title;   // document information; empty ones are left out
  std::string author;
};

class PdfWriter {
 public:
  // Creates the file. Throws PdfError when it cannot.
  explicit PdfWriter(const std::filesystem::path& path, PdfWriterOptions options = {});
  ~PdfWriter();  // without finish() the file is left incomplete (not a valid PDF)
  PdfWriter(const PdfWriter&) = delete;
  PdfWriter& operator=(const PdfWriter&) = delete;

  // Starts a page of width x height points (US Letter by default); `rotate` is its /Rotate.
  void begin_page(double width = 612, double height = 792, int rotate = 0);
  // Text whose baseline starts at (x, baseline). Throws PdfError for characters the standard
  // fonts cannot encode.
  void text(std::string_view utf8, double x, double baseline, double size,
            PdfFont font = PdfFont::helvetica);
  // A rectangle filled with an RGB colour (0..255 per channel).
  void fill_rectangle(double x, double y, double width, double height, std::uint8_t red,
                      std::uint8_t green, std::uint8_t blue);
  // `image` stretched over the rectangle.
  void image(const RgbImage& image, double x, double y, double width, double height);
  void end_page();

  // Writes the page tree, the document information and the cross-reference table; closes the
  // file. Throws PdfError when writing fails or no page was written.
  void finish();

  int pages() const { return static_cast<int>(page_ids_.size()); }

 private:
  int new_object();  // reserves an object number
  void begin_object(int id);
  void end_object();
  void write(std::string_view bytes);
  void require_page(const char* what) const;

  std::filesystem::path path_;
  PdfWriterOptions options_;
  std::ofstream out_;
  std::uint64_t offset_ = 0;
  std::vector<std::uint64_t> offsets_;  // by object number; [0] unused
  std::vector<int> page_ids_;
  std::vector<int> font_ids_;           // by PdfFont; 0 until first used
  bool in_page_ = false;
  bool finished_ = false;
  double page_width_ = 0, page_height_ = 0;
  int page_rotate_ = 0;
  std::string content_;                 // the open page's content stream
  std::vector<PdfFont> page_fonts_;     // fonts the open page uses
  std::vector<int> page_images_;        // image objects the open page uses
};

}  // namespace palimpsest
