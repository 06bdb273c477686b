#pragma once
// Where tesseract's language models live and which languages are installed there.
// The folder is the one tesseract itself would use: an explicit folder when given, else
// $TESSDATA_PREFIX, else the folder Debian's tesseract-ocr-* packages install into. A language is
// installed when <folder>/<name>.traineddata exists; "osd" (orientation and script detection) is
// not a language one can read text in, so it is never listed or accepted.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace palimpsest {

// The tessdata folder to use. Throws OcrError when none of the candidates is a folder.
std::filesystem::path tessdata_folder(const std::filesystem::path& explicit_folder = {});

// Installed languages in `folder`, sorted ("eng", "deu", "script/Latin"...).
std::vector<std::string> installed_ocr_languages(const std::filesystem::path& folder);

// Splits a tesseract language list ("deu+eng") and checks that each language is installed.
// Throws OcrError naming the unknown language(s) and listing the installed ones, e.g.
// `OCR language "xyz" is not installed (installed: deu, eng; in /usr/share/...)`.
std::vector<std::string> parse_ocr_languages(std::string_view spec,
                                             const std::filesystem::path& folder);

}  // namespace palimpsest
