#include "indexer/pdf/pdf_writer.h"

#include <algorithm>
#include <cstdio>

#include <zlib.h>

#include "indexer/ocr/utf8_code_points.h"

namespace palimpsest {
namespace {

constexpr int kFontCount = static_cast<int>(PdfFont::courier_bold) + 1;

// A number as PDF writes it: fixed point, trailing zeros dropped.
std::string number(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3f", value);
  std::string text = buffer;
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text == "-0" ? "0" : text;
}

// A literal string in WinAnsiEncoding: ASCII as is (with (, ) and \ escaped), Latin-1 as octal.
std::string win_ansi_literal(std::string_view utf8) {
  std::string out = "(";
  for (std::size_t i = 0; i < utf8.size();) {
    const char32_t cp = text_detail::next_code_point(utf8, i);
    if (cp >= 0x20 && cp <= 0x7E) {
      if (cp == '(' || cp == ')' || cp == '\\') out += '\\';
      out += static_cast<char>(cp);
    } else if (cp >= 0xA0 && cp <= 0xFF) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\%03o", static_cast<unsigned>(cp));
      out += buffer;
    } else {
      char buffer[16];
      std::snprintf(buffer, sizeof buffer, "U+%04X", static_cast<unsigned>(cp));
      throw PdfError(std::string("PdfWriter: ") + buffer +
                     " cannot be written with a standard font (WinAnsiEncoding)");
    }
  }
  return out + ")";
}

// A text string for the document information: UTF-16BE with a byte order mark, in hex.
std::string utf16_hex(std::string_view utf8) {
  std::string out = "<FEFF";
  char buffer[8];
  auto unit = [&](unsigned value) {
    std::snprintf(buffer, sizeof buffer, "%04X", value);
    out += buffer;
  };
  for (std::size_t i = 0; i < utf8.size();) {
    const char32_t cp = text_detail::next_code_point(utf8, i);
    if (cp >= 0x10000) {
      const char32_t v = cp - 0x10000;
      unit(0xD800 + static_cast<unsigned>(v >> 10));
      unit(0xDC00 + static_cast<unsigned>(v & 0x3FF));
    } else {
      unit(static_cast<unsigned>(cp));
    }
  }
  return out + ">";
}

std::string deflate(const std::uint8_t* data, std::size_t size) {
  uLongf capacity = compressBound(static_cast<uLong>(size));
  std::string out(capacity, '\0');
  if (compress2(reinterpret_cast<Bytef*>(out.data()), &capacity, data, static_cast<uLong>(size),
                6) != Z_OK) {
    throw PdfError("PdfWriter: cannot compress an image");
  }
  out.resize(capacity);
  return out;
}

}  // namespace

std::string_view font_name(PdfFont font) {
  switch (font) {
    case PdfFont::helvetica: return "Helvetica";
    case PdfFont::helvetica_bold: return "Helvetica-Bold";
    case PdfFont::helvetica_oblique: return "Helvetica-Oblique";
    case PdfFont::times_roman: return "Times-Roman";
    case PdfFont::times_bold: return "Times-Bold";
    case PdfFont::times_italic: return "Times-Italic";
    case PdfFont::courier: return "Courier";
    case PdfFont::courier_bold: return "Courier-Bold";
  }
  return "Helvetica";
}

PdfWriter::PdfWriter(const std::filesystem::path& path, PdfWriterOptions options)
    : path_(path), options_(std::move(options)), font_ids_(kFontCount, 0) {
  out_.open(path, std::ios::binary | std::ios::trunc);
  if (!out_) throw PdfError(path.string() + ": cannot create the file");
  offsets_.push_back(0);
  new_object();  // 1: the catalog
  new_object();  // 2: the page tree
  // A binary comment after the header tells transfer tools the file is binary.
  write("%PDF-1.4\n%\xE2\xE3\xCF\xD3\n");
}

PdfWriter::~PdfWriter() = default;

int PdfWriter::new_object() {
  offsets_.push_back(0);
  return static_cast<int>(offsets_.size()) - 1;
}

void PdfWriter::begin_object(int id) {
  offsets_[static_cast<std::size_t>(id)] = offset_;
  write(std::to_string(id) + " 0 obj\n");
}

void PdfWriter::end_object() { write("\nendobj\n"); }

void PdfWriter::write(std::string_view bytes) {
  out_.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  offset_ += bytes.size();
}

void PdfWriter::require_page(const char* what) const {
  if (!in_page_) throw PdfError(std::string("PdfWriter: ") + what + " outside a page");
}

void PdfWriter::begin_page(double width, double height, int rotate) {
  if (in_page_) throw PdfError("PdfWriter: begin_page inside a page");
  if (finished_) throw PdfError("PdfWriter: begin_page after finish");
  if (!(width > 0) || !(height > 0) || rotate % 90 != 0) {
    throw PdfError("PdfWriter: a page needs a positive size and a rotation by quarter turns");
  }
  in_page_ = true;
  page_width_ = width;
  page_height_ = height;
  page_rotate_ = ((rotate % 360) + 360) % 360;
  content_.clear();
  page_fonts_.clear();
  page_images_.clear();
}

void PdfWriter::text(std::string_view utf8, double x, double baseline, double size, PdfFont font) {
  require_page("text");
  const std::string literal = win_ansi_literal(utf8);
  const int index = static_cast<int>(font);
  if (std::find(page_fonts_.begin(), page_fonts_.end(), font) == page_fonts_.end()) {
    page_fonts_.push_back(font);
  }
  content_ += "BT /F" + std::to_string(index) + " " + number(size) + " Tf " + number(x) + " " +
              number(page_height_ - baseline) + " Td " + literal + " Tj ET\n";
}

void PdfWriter::fill_rectangle(double x, double y, double width, double height, std::uint8_t red,
                               std::uint8_t green, std::uint8_t blue) {
  require_page("fill_rectangle");
  content_ += "q " + number(red / 255.0) + " " + number(green / 255.0) + " " +
              number(blue / 255.0) + " rg " + number(x) + " " + number(page_height_ - y - height) +
              " " + number(width) + " " + number(height) + " re f Q\n";
}

void PdfWriter::image(const RgbImage& image, double x, double y, double width, double height) {
  require_page("image");
  if (image.empty() || image.pixels.size() != static_cast<std::size_t>(image.width) * image.height * 3) {
    throw PdfError("PdfWriter: empty or inconsistent image");
  }
  const std::string data = deflate(image.pixels.data(), image.pixels.size());
  const int id = new_object();
  begin_object(id);
  write("<< /Type /XObject /Subtype /Image /Width " + std::to_string(image.width) + " /Height " +
        std::to_string(image.height) +
        " /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode /Length " +
        std::to_string(data.size()) + " >>\nstream\n");
  write(data);
  write("\nendstream");
  end_object();
  page_images_.push_back(id);
  content_ += "q " + number(width) + " 0 0 " + number(height) + " " + number(x) + " " +
              number(page_height_ - y - height) + " cm /Im" + std::to_string(id) + " Do Q\n";
}

void PdfWriter::end_page() {
  require_page("end_page");
  for (PdfFont font : page_fonts_) {
    int& id = font_ids_[static_cast<std::size_t>(font)];
    if (id != 0) continue;
    id = new_object();
    begin_object(id);
    write("<< /Type /Font /Subtype /Type1 /BaseFont /" + std::string(font_name(font)) +
          " /Encoding /WinAnsiEncoding >>");
    end_object();
  }
  const int content_id = new_object();
  begin_object(content_id);
  write("<< /Length " + std::to_string(content_.size()) + " >>\nstream\n");
  write(content_);
  write("endstream");
  end_object();

  std::string resources = "<< ";
  if (!page_fonts_.empty()) {
    resources += "/Font << ";
    for (PdfFont font : page_fonts_) {
      resources += "/F" + std::to_string(static_cast<int>(font)) + " " +
                   std::to_string(font_ids_[static_cast<std::size_t>(font)]) + " 0 R ";
    }
    resources += ">> ";
  }
  if (!page_images_.empty()) {
    resources += "/XObject << ";
    for (int id : page_images_) resources += "/Im" + std::to_string(id) + " " + std::to_string(id) + " 0 R ";
    resources += ">> ";
  }
  resources += ">>";

  const int page_id = new_object();
  begin_object(page_id);
  write("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 " + number(page_width_) + " " +
        number(page_height_) + "]" +
        (page_rotate_ != 0 ? " /Rotate " + std::to_string(page_rotate_) : std::string()) +
        " /Resources " + resources + " /Contents " + std::to_string(content_id) + " 0 R >>");
  end_object();
  page_ids_.push_back(page_id);
  in_page_ = false;
  content_.clear();
  content_.shrink_to_fit();
}

void PdfWriter::finish() {
  if (finished_) return;
  if (in_page_) end_page();
  if (page_ids_.empty()) throw PdfError(path_.string() + ": a PDF needs at least one page");

  begin_object(2);
  write("<< /Type /Pages /Count " + std::to_string(page_ids_.size()) + " /Kids [");
  for (std::size_t i = 0; i < page_ids_.size(); ++i) {
    write((i % 16 == 0 ? "\n" : " ") + std::to_string(page_ids_[i]) + " 0 R");
  }
  write(" ] >>");
  end_object();
  begin_object(1);
  write("<< /Type /Catalog /Pages 2 0 R >>");
  end_object();
  int info_id = 0;
  if (!options_.title.empty() || !options_.author.empty()) {
    info_id = new_object();
    begin_object(info_id);
    write("<< ");
    if (!options_.title.empty()) write("/Title " + utf16_hex(options_.title) + " ");
    if (!options_.author.empty()) write("/Author " + utf16_hex(options_.author) + " ");
    write("/Producer (palimpsest) >>");
    end_object();
  }

  const std::uint64_t xref = offset_;
  write("xref\n0 " + std::to_string(offsets_.size()) + "\n0000000000 65535 f \n");
  char entry[24];
  for (std::size_t id = 1; id < offsets_.size(); ++id) {
    std::snprintf(entry, sizeof entry, "%010llu 00000 n \n",
                  static_cast<unsigned long long>(offsets_[id]));
    write(entry);
  }
  write("trailer\n<< /Size " + std::to_string(offsets_.size()) + " /Root 1 0 R" +
        (info_id ? " /Info " + std::to_string(info_id) + " 0 R" : std::string()) +
        " >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n");
  out_.close();
  if (!out_) throw PdfError(path_.string() + ": writing the PDF failed");
  finished_ = true;
}

}  // namespace palimpsest
