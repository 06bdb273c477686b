#include "indexer/clip/clip_text.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string_view>

#include "indexer/clip/unicode_tables.h"

namespace palimpsest::clip {
namespace {

using unicode_data::CodeRange;

bool in_ranges(const CodeRange* ranges, std::size_t count, char32_t cp) {
  const CodeRange* end = ranges + count;
  // First range whose last >= cp.
  const CodeRange* it = std::lower_bound(ranges, end, cp, [](const CodeRange& r, char32_t c) {
    return r.last < c;
  });
  return it != end && it->first <= cp;
}

constexpr char32_t kReplacement = 0xFFFD;

bool is_continuation(unsigned char b) { return (b & 0xC0) == 0x80; }

}  // namespace

std::u32string utf8_to_u32(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    const auto b0 = static_cast<unsigned char>(text[i]);
    if (b0 < 0x80) {
      out.push_back(b0);
      ++i;
      continue;
    }
    int len = 0;
    char32_t cp = 0;
    char32_t min = 0;
    if ((b0 & 0xE0) == 0xC0) {
      len = 2, cp = b0 & 0x1F, min = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
      len = 3, cp = b0 & 0x0F, min = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
      len = 4, cp = b0 & 0x07, min = 0x10000;
    }
    bool ok = len > 0 && i + len <= n;
    for (int k = 1; ok && k < len; ++k) {
      const auto b = static_cast<unsigned char>(text[i + k]);
      if (!is_continuation(b)) {
        ok = false;
      } else {
        cp = (cp << 6) | (b & 0x3F);
      }
    }
    if (ok && (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
    if (ok) {
      out.push_back(cp);
      i += len;
    } else {
      out.push_back(kReplacement);
      ++i;
    }
  }
  return out;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string u32_to_utf8(std::u32string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t cp : text) append_utf8(out, cp);
  return out;
}

bool is_letter(char32_t cp) {
  if (cp < 0x80) return (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z';
  return in_ranges(unicode_data::kLetters, unicode_data::kLettersCount, cp);
}

bool is_number(char32_t cp) {
  if (cp < 0x80) return cp >= '0' && cp <= '9';
  return in_ranges(unicode_data::kNumbers, unicode_data::kNumbersCount, cp);
}

bool is_space(char32_t cp) {
  return in_ranges(unicode_data::kSpaces, unicode_data::kSpacesCount, cp);
}

std::u32string to_lower(std::u32string_view text) {
  using unicode_data::kLower;
  using unicode_data::kLowerCount;
  std::u32string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char32_t cp = text[i];
    if (cp < 0x80) {
      out.push_back(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
      continue;
    }
    if (cp == 0x03A3) {  // Greek capital sigma: final form after a letter, not before one.
      const bool after_letter = i > 0 && is_letter(text[i - 1]);
      const bool before_letter = i + 1 < text.size() && is_letter(text[i + 1]);
      out.push_back(after_letter && !before_letter ? 0x03C2 : 0x03C3);
      continue;
    }
    const auto* end = kLower + kLowerCount;
    const auto* it = std::lower_bound(
        kLower, end, cp,
        [](const unicode_data::LowerMapping& m, char32_t c) { return m.code < c; });
    if (it != end && it->code == cp) {
      for (char32_t l : it->lower) {
        if (l == 0) break;
        out.push_back(l);
      }
    } else {
      out.push_back(cp);
    }
  }
  return out;
}

namespace {

struct NamedEntity {
  std::string_view name;
  char32_t cp;
};

// HTML 4 Latin-1 entities, U+00A0..U+00FF in order. HTML5 also accepts these without ';'.
constexpr std::array<std::string_view, 96> kLatin1Names = {
    "nbsp",   "iexcl",  "cent",   "pound",  "curren", "yen",    "brvbar", "sect",
    "uml",    "copy",   "ordf",   "laquo",  "not",    "shy",    "reg",    "macr",
    "deg",    "plusmn", "sup2",   "sup3",   "acute",  "micro",  "para",   "middot",
    "cedil",  "sup1",   "ordm",   "raquo",  "frac14", "frac12", "frac34", "iquest",
    "Agrave", "Aacute", "Acirc",  "Atilde", "Auml",   "Aring",  "AElig",  "Ccedil",
    "Egrave", "Eacute", "Ecirc",  "Euml",   "Igrave", "Iacute", "Icirc",  "Iuml",
    "ETH",    "Ntilde", "Ograve", "Oacute", "Ocirc",  "Otilde", "Ouml",   "times",
    "Oslash", "Ugrave", "Uacute", "Ucirc",  "Uuml",   "Yacute", "THORN",  "szlig",
    "agrave", "aacute", "acirc",  "atilde", "auml",   "aring",  "aelig",  "ccedil",
    "egrave", "eacute", "ecirc",  "euml",   "igrave", "iacute", "icirc",  "iuml",
    "eth",    "ntilde", "ograve", "oacute", "ocirc",  "otilde", "ouml",   "divide",
    "oslash", "ugrave", "uacute", "ucirc",  "uuml",   "yacute", "thorn",  "yuml",
};

// Legacy names accepted without ';' besides the Latin-1 ones.
constexpr std::array<NamedEntity, 10> kLegacyBasic = {{
    {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"COPY", 0xA9},
    {"AMP", '&'}, {"LT", '<'}, {"GT", '>'}, {"QUOT", '"'}, {"REG", 0xAE},
}};

// Common entities that need the ';'.
constexpr std::array<NamedEntity, 31> kCommonNames = {{
    {"apos", '\''},     {"hellip", 0x2026}, {"mdash", 0x2014},  {"ndash", 0x2013},
    {"lsquo", 0x2018},  {"rsquo", 0x2019},  {"sbquo", 0x201A},  {"ldquo", 0x201C},
    {"rdquo", 0x201D},  {"bdquo", 0x201E},  {"bull", 0x2022},   {"trade", 0x2122},
    {"euro", 0x20AC},   {"lsaquo", 0x2039}, {"rsaquo", 0x203A}, {"dagger", 0x2020},
    {"Dagger", 0x2021}, {"permil", 0x2030}, {"prime", 0x2032},  {"Prime", 0x2033},
    {"oelig", 0x0153},  {"OElig", 0x0152},  {"scaron", 0x0161}, {"Scaron", 0x0160},
    {"ensp", 0x2002},   {"emsp", 0x2003},   {"thinsp", 0x2009}, {"zwnj", 0x200C},
    {"zwj", 0x200D},    {"larr", 0x2190},   {"rarr", 0x2192},
}};

// Windows-1252 meanings of the C1 range, as html.unescape maps numeric references 0x80..0x9F.
constexpr std::array<char32_t, 32> kCp1252 = {
    0x20AC, 0x81,   0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x8D,   0x017D, 0x8F,   0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D,   0x017E, 0x0178,
};

// Looks up a complete entity name (without '&' and ';'). Returns 0 when unknown.
char32_t lookup_entity(std::string_view name, bool with_semicolon) {
  for (std::size_t i = 0; i < kLatin1Names.size(); ++i) {
    if (kLatin1Names[i] == name) return static_cast<char32_t>(0xA0 + i);
  }
  for (const auto& e : kLegacyBasic) {
    if (e.name == name) return e.cp;
  }
  if (with_semicolon) {
    for (const auto& e : kCommonNames) {
      if (e.name == name) return e.cp;
    }
  }
  return 0;
}

// Numeric character reference value -> replacement text, as Python's html.unescape.
void append_numeric_reference(std::string& out, std::uint64_t num) {
  if (num == 0) {
    append_utf8(out, kReplacement);
  } else if (num == 0x0D) {
    out.push_back('\r');
  } else if (num >= 0x80 && num <= 0x9F) {
    append_utf8(out, kCp1252[num - 0x80]);
  } else if ((num >= 0xD800 && num <= 0xDFFF) || num > 0x10FFFF) {
    append_utf8(out, kReplacement);
  } else if ((num >= 0x1 && num <= 0x8) || num == 0xB || (num >= 0xE && num <= 0x1F) ||
             num == 0x7F || (num >= 0xFDD0 && num <= 0xFDEF) || (num & 0xFFFE) == 0xFFFE) {
    // Invalid code points are dropped.
  } else {
    append_utf8(out, static_cast<char32_t>(num));
  }
}

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

}  // namespace

std::string html_unescape(std::string_view s) {
  if (s.find('&') == std::string_view::npos) return std::string(s);
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] != '&') {
      out.push_back(s[i++]);
      continue;
    }
    const std::size_t start = i + 1;
    // Numeric: &#123; &#x7B; (the ';' is optional).
    if (start < s.size() && s[start] == '#') {
      std::size_t j = start + 1;
      const bool hex = j < s.size() && (s[j] == 'x' || s[j] == 'X');
      if (hex) ++j;
      const std::size_t digits_begin = j;
      std::uint64_t num = 0;
      while (j < s.size() && (hex ? is_hex(s[j]) : (s[j] >= '0' && s[j] <= '9'))) {
        const char c = s[j];
        const unsigned d = c <= '9' ? c - '0' : ((c | 0x20) - 'a' + 10);
        num = std::min<std::uint64_t>(num * (hex ? 16 : 10) + d, 0x7FFFFFFF);
        ++j;
      }
      if (j == digits_begin) {  // "&#" with no digits: literal.
        out.push_back('&');
        i = start;
        continue;
      }
      if (j < s.size() && s[j] == ';') ++j;
      append_numeric_reference(out, num);
      i = j;
      continue;
    }
    // Named: up to 32 characters other than \t \n \f space < & # ;, then an optional ';'.
    std::size_t j = start;
    while (j < s.size() && j - start < 32) {
      const char c = s[j];
      if (c == '\t' || c == '\n' || c == '\f' || c == ' ' || c == '<' || c == '&' || c == '#' ||
          c == ';') {
        break;
      }
      ++j;
    }
    if (j == start) {
      out.push_back('&');
      i = start;
      continue;
    }
    const std::string_view name = s.substr(start, j - start);
    const bool semicolon = j < s.size() && s[j] == ';';
    if (semicolon) {
      if (const char32_t cp = lookup_entity(name, true)) {
        append_utf8(out, cp);
        i = j + 1;
        continue;
      }
    }
    // Longest prefix that is a legacy (semicolon-less) entity.
    bool replaced = false;
    for (std::size_t len = name.size(); len >= 2 && !replaced; --len) {
      if (const char32_t cp = lookup_entity(name.substr(0, len), false)) {
        append_utf8(out, cp);
        i = start + len;
        replaced = true;
      }
    }
    if (!replaced) {
      out.push_back('&');
      i = start;
    }
  }
  return out;
}

std::u32string fix_text_lite(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (char32_t cp : text) {
    if (cp == 0x02BC || (cp >= 0x2018 && cp <= 0x201B)) {
      out.push_back('\'');
    } else if (cp >= 0x201C && cp <= 0x201F) {
      out.push_back('"');
    } else if (cp >= 0xFF01 && cp <= 0xFF5E) {
      out.push_back(cp - 0xFEE0);  // full-width ASCII
    } else if (cp == 0x3000) {
      out.push_back(' ');
    } else if (cp >= 0xFB00 && cp <= 0xFB06) {
      static constexpr std::u32string_view kLigatures[] = {U"ff", U"fi", U"fl", U"ffi",
                                                           U"ffl", U"st", U"st"};
      out.append(kLigatures[cp - 0xFB00]);
    } else if (cp == 0x0132) {
      out.append(U"IJ");
    } else if (cp == 0x0133) {
      out.append(U"ij");
    } else if ((cp <= 0x08) || cp == 0x0B || (cp >= 0x0E && cp <= 0x1F) || cp == 0x7F ||
               cp == 0xFEFF || (cp >= 0xFFF9 && cp <= 0xFFFC)) {
      // Control characters and byte-order marks are removed.
    } else {
      out.push_back(cp);
    }
  }
  return out;
}

std::u32string clip_clean_text(std::string_view text) {
  std::u32string fixed = fix_text_lite(utf8_to_u32(text));
  std::string once = html_unescape(u32_to_utf8(fixed));
  std::u32string unescaped = utf8_to_u32(html_unescape(once));
  // Collapse runs of white space to one space and strip both ends.
  std::u32string cleaned;
  cleaned.reserve(unescaped.size());
  bool pending_space = false;
  for (char32_t cp : unescaped) {
    if (is_space(cp)) {
      pending_space = !cleaned.empty();
      continue;
    }
    if (pending_space) cleaned.push_back(' ');
    pending_space = false;
    cleaned.push_back(cp);
  }
  return to_lower(cleaned);
}

std::vector<std::string> clip_split_words(std::u32string_view s) {
  static constexpr std::u32string_view kSpecials[] = {U"<|startoftext|>", U"<|endoftext|>"};
  static constexpr std::u32string_view kContractions[] = {U"'s", U"'t",  U"'re", U"'ve",
                                                          U"'m", U"'ll", U"'d"};
  std::vector<std::string> words;
  std::size_t i = 0;
  const std::size_t n = s.size();
  auto emit = [&](std::size_t begin, std::size_t end) {
    words.push_back(u32_to_utf8(s.substr(begin, end - begin)));
  };
  while (i < n) {
    const char32_t c = s[i];
    const std::u32string_view rest = s.substr(i);
    bool matched = false;
    if (c == '<') {
      for (auto special : kSpecials) {
        if (rest.starts_with(special)) {
          emit(i, i + special.size());
          i += special.size();
          matched = true;
          break;
        }
      }
    } else if (c == '\'') {
      for (auto contraction : kContractions) {
        if (rest.starts_with(contraction)) {
          emit(i, i + contraction.size());
          i += contraction.size();
          matched = true;
          break;
        }
      }
    }
    if (matched) continue;
    if (is_letter(c)) {
      std::size_t j = i + 1;
      while (j < n && is_letter(s[j])) ++j;
      emit(i, j);
      i = j;
    } else if (is_number(c)) {
      emit(i, i + 1);
      ++i;
    } else if (!is_space(c)) {
      std::size_t j = i + 1;
      while (j < n && !is_space(s[j]) && !is_letter(s[j]) && !is_number(s[j])) ++j;
      emit(i, j);
      i = j;
    } else {
      ++i;
    }
  }
  return words;
}

}  // namespace palimpsest::clip
