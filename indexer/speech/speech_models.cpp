#include "indexer/speech/speech_models.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>

namespace fs = std::filesystem;

namespace palimpsest {
namespace {

constexpr const char* kAcousticParts[] = {"mdef", "means", "variances", "transition_matrices"};

bool has_file(const fs::path& folder, const char* name) {
  std::error_code ec;
  return fs::is_regular_file(folder / name, ec);
}

bool is_acoustic_model(const fs::path& folder) {
  for (const char* part : kAcousticParts)
    if (!has_file(folder, part)) return false;
  return has_file(folder, "mixture_weights") || has_file(folder, "sendump");
}

// The first missing part of an acoustic model folder, for the error message.
std::string missing_acoustic_part(const fs::path& folder) {
  for (const char* part : kAcousticParts)
    if (!has_file(folder, part)) return part;
  return "mixture_weights or sendump";
}

std::vector<fs::path> sorted_entries(const fs::path& folder) {
  std::vector<fs::path> entries;
  std::error_code ec;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec))
    entries.push_back(it->path());
  std::sort(entries.begin(), entries.end());
  return entries;
}

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_word_language_model(const fs::path& file) {
  const std::string name = file.filename().string();
  if (name.find("-phone") != std::string::npos || name.find(".phone") != std::string::npos) return false;
  return ends_with(name, ".lm.bin") || ends_with(name, ".lm") || ends_with(name, ".lm.DMP") ||
         ends_with(name, ".lm.dmp");
}

bool is_dictionary(const fs::path& file) {
  const std::string name = file.filename().string();
  return ends_with(name, ".dict") || ends_with(name, ".dic");
}

std::string normalise_language(std::string language) {
  for (char& c : language) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (c == '_') c = '-';
  }
  return language;
}

// FNV-1a, 64 bits: small, stable across machines and releases.
struct Fnv1a {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  void add(std::string_view bytes) {
    for (unsigned char c : bytes) {
      hash ^= c;
      hash *= 0x100000001b3ull;
    }
    hash ^= 0xff;  // separator, so that ("ab","c") and ("a","bc") differ
    hash *= 0x100000001b3ull;
  }
  void add_file(const fs::path& file, const std::string& name) {
    std::error_code ec;
    const auto size = fs::file_size(file, ec);
    add(name);
    add(ec ? std::string("?") : std::to_string(size));
  }
};

std::string model_id(const SpeechModelFiles& files) {
  Fnv1a fnv;
  for (const fs::path& entry : sorted_entries(files.acoustic_model)) {
    std::error_code ec;
    if (fs::is_regular_file(entry, ec)) fnv.add_file(entry, "am/" + entry.filename().string());
  }
  fnv.add_file(files.language_model, "lm/" + files.language_model.filename().string());
  fnv.add_file(files.dictionary, "dict/" + files.dictionary.filename().string());
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(fnv.hash));
  return hex;
}

// The model in `folder`, or the reason there is none.
std::optional<SpeechModelFiles> try_model_in(const fs::path& folder, const std::string& language,
                                             std::string& why) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) {
    why = "not a folder";
    return std::nullopt;
  }
  SpeechModelFiles files;
  files.language = language;
  files.folder = folder;
  const std::vector<fs::path> entries = sorted_entries(folder);
  if (is_acoustic_model(folder)) {
    files.acoustic_model = folder;
  } else {
    for (const fs::path& entry : entries) {
      if (fs::is_directory(entry, ec) && is_acoustic_model(entry)) {
        files.acoustic_model = entry;
        break;
      }
    }
  }
  if (files.acoustic_model.empty()) {
    // Name the part that is missing from the most likely candidate.
    fs::path candidate = folder / language;
    if (!fs::is_directory(candidate, ec)) candidate = folder;
    why = "no acoustic model (" + missing_acoustic_part(candidate) + " missing in " + candidate.string() + ")";
    return std::nullopt;
  }
  for (const fs::path& entry : entries) {
    if (!fs::is_regular_file(entry, ec)) continue;
    if (is_word_language_model(entry)) {
      const bool preferred = entry.filename().string().rfind(language + ".lm", 0) == 0;
      if (files.language_model.empty() || preferred) files.language_model = entry;
    } else if (is_dictionary(entry) && files.dictionary.empty()) {
      files.dictionary = entry;
    }
  }
  if (files.language_model.empty()) {
    why = "no word language model (*.lm.bin, *.lm, *.lm.DMP)";
    return std::nullopt;
  }
  if (files.dictionary.empty()) {
    why = "no pronunciation dictionary (*.dict, *.dic)";
    return std::nullopt;
  }
  files.id = model_id(files);
  return files;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

}  // namespace

NoSpeechModel::NoSpeechModel(std::string language, std::vector<std::string> installed, const fs::path& root)
    : SpeechError("no speech model for " + language + " (installed: " +
                  (installed.empty() ? "none in " + root.string() : join(installed)) + ")"),
      language_(std::move(language)),
      installed_(std::move(installed)) {}

fs::path default_speech_model_root() {
  if (const char* env = std::getenv("PALIMPSEST_SPEECH_MODELS"); env && *env) return env;
  return "/usr/share/pocketsphinx/model";
}

std::vector<std::string> available_languages(const fs::path& root) {
  std::vector<std::string> languages;
  std::error_code ec;
  for (const fs::path& entry : sorted_entries(root)) {
    if (!fs::is_directory(entry, ec)) continue;
    std::string why;
    const std::string name = entry.filename().string();
    if (try_model_in(entry, name, why)) languages.push_back(name);
  }
  return languages;
}

SpeechModelFiles find_speech_model(const std::string& language, const fs::path& root) {
  const std::vector<std::string> installed = available_languages(root);
  const std::string wanted = normalise_language(language);
  std::vector<std::string> matches;
  for (const std::string& name : installed) {
    const std::string normalised = normalise_language(name);
    if (normalised == wanted) {
      matches = {name};
      break;
    }
    if (normalised.rfind(wanted + "-", 0) == 0) matches.push_back(name);
  }
  if (wanted.empty() || matches.size() != 1) throw NoSpeechModel(language, installed, root);
  return speech_model_in(root / matches.front(), matches.front());
}

SpeechModelFiles speech_model_in(const fs::path& folder, std::string language) {
  if (language.empty()) language = folder.filename().string();
  std::string why;
  std::optional<SpeechModelFiles> files = try_model_in(folder, language, why);
  if (!files) throw SpeechError("speech model " + folder.string() + ": " + why);
  return *files;
}

}  // namespace palimpsest
