#include "indexer/ocr/tessdata.h"

#include <algorithm>
#include <cstdlib>
#include <system_error>

#include "indexer/ocr/ocr_error.h"

namespace palimpsest {
namespace {

namespace fs = std::filesystem;

// Where Debian's tesseract (5.x, and 4.x before it) looks when nothing else is said.
const char* const kDebianTessdataFolders[] = {"/usr/share/tesseract-ocr/5/tessdata",
                                              "/usr/share/tesseract-ocr/4.00/tessdata"};

constexpr std::string_view kModelSuffix = ".traineddata";

bool is_folder(const fs::path& path) {
  std::error_code error;
  return fs::is_directory(path, error);
}

void list_models(const fs::path& folder, const std::string& prefix,
                 std::vector<std::string>& languages) {
  std::error_code error;
  for (fs::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (name.size() <= kModelSuffix.size() || !name.ends_with(kModelSuffix)) continue;
    if (!it->is_regular_file(error)) continue;
    const std::string language = prefix + name.substr(0, name.size() - kModelSuffix.size());
    if (language != "osd") languages.push_back(language);
  }
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

// A language name tesseract could load: letters, digits, '_' and '-', optionally under "script/".
bool valid_language_name(std::string_view name) {
  if (name.starts_with("script/")) name.remove_prefix(7);
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
  });
}

}  // namespace

fs::path tessdata_folder(const fs::path& explicit_folder) {
  if (!explicit_folder.empty()) {
    if (!is_folder(explicit_folder)) {
      throw OcrError("tessdata folder " + explicit_folder.string() + " does not exist");
    }
    return explicit_folder;
  }
  if (const char* prefix = std::getenv("TESSDATA_PREFIX"); prefix && *prefix) {
    if (!is_folder(prefix)) {
      throw OcrError(std::string("TESSDATA_PREFIX=") + prefix + " is not a folder");
    }
    return prefix;
  }
  for (const char* candidate : kDebianTessdataFolders) {
    if (is_folder(candidate)) return candidate;
  }
  throw OcrError(std::string("no tessdata folder (looked in ") + kDebianTessdataFolders[0] +
                 "; install tesseract-ocr-eng or set TESSDATA_PREFIX)");
}

std::vector<std::string> installed_ocr_languages(const fs::path& folder) {
  std::vector<std::string> languages;
  list_models(folder, "", languages);
  list_models(folder / "script", "script/", languages);
  std::sort(languages.begin(), languages.end());
  return languages;
}

std::vector<std::string> parse_ocr_languages(std::string_view spec, const fs::path& folder) {
  if (spec.empty()) {
    throw OcrError("no OCR language given (expected e.g. \"eng\" or \"deu+eng\")");
  }
  std::vector<std::string> requested;
  for (std::size_t start = 0; start <= spec.size();) {
    const std::size_t plus = std::min(spec.find('+', start), spec.size());
    requested.emplace_back(spec.substr(start, plus - start));
    start = plus + 1;
  }
  const std::vector<std::string> installed = installed_ocr_languages(folder);
  std::vector<std::string> unknown;
  for (const std::string& language : requested) {
    if (!valid_language_name(language) ||
        !std::binary_search(installed.begin(), installed.end(), language)) {
      unknown.push_back(language);
    }
  }
  if (!unknown.empty()) {
    std::string names;
    for (const std::string& language : unknown) {
      names += (names.empty() ? "\"" : ", \"") + language + "\"";
    }
    throw OcrError("OCR language " + names + (unknown.size() == 1 ? " is" : " are") +
                   " not installed (installed: " +
                   (installed.empty() ? std::string("none") : join(installed, ", ")) + "; in " +
                   folder.string() + ")");
  }
  return requested;
}

}  // namespace palimpsest
