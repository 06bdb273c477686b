#include "indexer/pdf/pdf_document.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <system_error>

#include <poppler/cpp/poppler-document.h>
#include <poppler/cpp/poppler-page.h>
#include <poppler/cpp/poppler-version.h>

#include "indexer/pdf/poppler_messages.h"

// page::text_list() (0.63) with its option flags (0.89) is how the text layer is read.
static_assert(POPPLER_VERSION_MAJOR > 0 || POPPLER_VERSION_MINOR >= 89,
              "indexer/pdf needs poppler-cpp 0.89 or newer");

namespace palimpsest {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kSignatureWindow = 1024;

std::string utf8(const poppler::ustring& text) {
  const poppler::byte_array bytes = text.to_utf8();
  std::string out(bytes.begin(), bytes.end());
  while (!out.empty() && out.back() == '\0') out.pop_back();
  return out;
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// What a file that is not a PDF looks like, for the error message.
std::string describe_content(std::string_view head) {
  if (head.empty()) return "the file is empty";
  std::string_view trimmed = head;
  if (trimmed.starts_with("\xEF\xBB\xBF")) trimmed.remove_prefix(3);
  while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.front()))) {
    trimmed.remove_prefix(1);
  }
  const std::string start = lowercase(trimmed.substr(0, 512));
  if (start.starts_with("<!doctype html") || start.starts_with("<html") ||
      start.find("<html") != std::string::npos || start.find("<head") != std::string::npos) {
    return "the content is HTML";
  }
  if (start.starts_with("<?xml") || start.starts_with("<")) return "the content is XML or markup";
  if (head.starts_with("\x89PNG") || head.starts_with("\xFF\xD8\xFF") ||
      head.starts_with("GIF8") || head.starts_with("II*") || head.starts_with("MM\0*")) {
    return "the content is an image";
  }
  if (head.starts_with("PK\x03\x04")) return "the content is a ZIP archive";
  const bool printable = std::all_of(head.begin(), head.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x20 || c == '\n' || c == '\r' || c == '\t';
  });
  return printable ? "the content is text" : "unknown binary content";
}

}  // namespace

bool has_pdf_signature(std::string_view head) {
  return head.substr(0, kSignatureWindow).find("%PDF-") != std::string_view::npos;
}

std::string pdf_signature_problem(const fs::path& path) {
  std::error_code error;
  if (!fs::exists(path, error)) throw PdfError(path.string() + ": no such file");
  if (!fs::is_regular_file(path, error)) throw PdfError(path.string() + ": not a regular file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw PdfError(path.string() + ": cannot open the file");
  std::string head(kSignatureWindow, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  if (has_pdf_signature(head)) return "";
  return "no %PDF- signature; " + describe_content(head);
}

void require_pdf_signature(const fs::path& path) {
  const std::string problem = pdf_signature_problem(path);
  if (!problem.empty()) throw PdfError(path.string() + ": not a PDF (" + problem + ")");
}

// ---- PdfPage ----

struct PdfPage::Impl {
  std::unique_ptr<poppler::page> page;
  int number = 0;
};

PdfPage::PdfPage(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PdfPage::PdfPage(PdfPage&&) noexcept = default;
PdfPage& PdfPage::operator=(PdfPage&&) noexcept = default;
PdfPage::~PdfPage() = default;

int PdfPage::number() const { return impl_->number; }

int PdfPage::rotation() const {
  switch (impl_->page->orientation()) {
    case poppler::page::landscape: return 90;
    case poppler::page::upside_down: return 180;
    case poppler::page::seascape: return 270;
    default: return 0;
  }
}

double PdfPage::width() const {
  const poppler::rectf box = impl_->page->page_rect(poppler::crop_box);
  return rotation() % 180 == 0 ? box.width() : box.height();
}

double PdfPage::height() const {
  const poppler::rectf box = impl_->page->page_rect(poppler::crop_box);
  return rotation() % 180 == 0 ? box.height() : box.width();
}

std::vector<PdfWord> PdfPage::words() const {
  std::vector<PdfWord> words;
  const std::vector<poppler::text_box> boxes = impl_->page->text_list(0);
  words.reserve(boxes.size());
  for (const poppler::text_box& box : boxes) {
    PdfWord word;
    word.text = utf8(box.text());
    if (word.text.empty()) continue;
    const poppler::rectf r = box.bbox();
    word.box = {r.x(), r.y(), r.width(), r.height()};
    word.space_after = box.has_space_after();
    words.push_back(std::move(word));
  }
  return words;
}

const poppler::page& PdfPage::native() const { return *impl_->page; }

// ---- PdfDocument ----

struct PdfDocument::Impl {
  fs::path path;
  std::unique_ptr<poppler::document> document;
  PdfMetadata metadata;
  std::vector<std::string> warnings;
  int pages = 0;
};

PdfDocument::PdfDocument(const fs::path& path, const std::string& password)
    : impl_(std::make_unique<Impl>()) {
  impl_->path = path;
  const std::string name = path.string();
  require_pdf_signature(path);

  pdf_detail::PopplerMessages messages;
  // poppler tries the password as the owner's, then as the user's.
  impl_->document.reset(poppler::document::load_from_file(name, password, password));
  if (!impl_->document) {
    const std::string why = messages.summary();
    throw PdfError(name + ": damaged PDF (" +
                   (why.empty() ? std::string("poppler cannot read it") : why) + ")");
  }
  if (impl_->document->is_locked()) {
    throw PdfError(name + (password.empty() ? ": encrypted PDF (password required)"
                                            : ": encrypted PDF (wrong password)"));
  }
  impl_->pages = impl_->document->pages();
  if (impl_->pages <= 0) {
    const std::string why = messages.summary();
    throw PdfError(name + ": damaged PDF (no readable page" + (why.empty() ? "" : "; " + why) +
                   ")");
  }
  poppler::document& document = *impl_->document;
  impl_->metadata.title = utf8(document.get_title());
  impl_->metadata.author = utf8(document.get_author());
  impl_->metadata.subject = utf8(document.get_subject());
  impl_->metadata.keywords = utf8(document.get_keywords());
  impl_->metadata.creator = utf8(document.get_creator());
  impl_->metadata.producer = utf8(document.get_producer());
  document.get_pdf_version(&impl_->metadata.version_major, &impl_->metadata.version_minor);
  if (messages.total() > 0) {
    impl_->warnings.push_back(name + ": PDF with errors, read what could be recovered (" +
                              messages.summary() + ")");
  }
}

PdfDocument::~PdfDocument() = default;

const fs::path& PdfDocument::path() const { return impl_->path; }
int PdfDocument::page_count() const { return impl_->pages; }
const PdfMetadata& PdfDocument::metadata() const { return impl_->metadata; }
bool PdfDocument::encrypted() const { return impl_->document->is_encrypted(); }
const std::vector<std::string>& PdfDocument::warnings() const { return impl_->warnings; }

PdfPage PdfDocument::page(int number) const {
  if (number < 1 || number > impl_->pages) {
    throw PdfError(impl_->path.string() + ": no page " + std::to_string(number) + " (the PDF has " +
                   std::to_string(impl_->pages) + ")");
  }
  pdf_detail::PopplerMessages messages;
  auto impl = std::make_unique<PdfPage::Impl>();
  impl->page.reset(impl_->document->create_page(number - 1));
  impl->number = number;
  if (!impl->page) {
    const std::string why = messages.summary();
    throw PdfError(impl_->path.string() + ": page " + std::to_string(number) +
                   " cannot be read" + (why.empty() ? "" : " (" + why + ")"));
  }
  return PdfPage(std::move(impl));
}

}  // namespace palimpsest
