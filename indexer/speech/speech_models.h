#pragma once
// Where speech models are and which ones are installed. A model for a language lives in
// <root>/<language>/ (Debian's pocketsphinx-<lang> packages: /usr/share/pocketsphinx/model/en-us)
// and holds three parts:
// - an acoustic model folder (mdef, means, variances, transition_matrices, mixture weights or
//   sendump, feat.params): the folder itself or one of its subfolders;
// - a word language model (*.lm.bin, *.lm, *.lm.DMP; phone models such as en-us-phone.lm.bin are
//   not word models), `<language>.lm.bin` preferred;
// - a pronunciation dictionary (*.dict, *.dic).
// A model's id is a hash of the names and sizes of those files: it changes when the model does,
// and stays the same on every machine that installed the same package.

#include <filesystem>
#include <string>
#include <vector>

#include "indexer/speech/transcriber.h"

namespace palimpsest {

struct SpeechModelFiles {
  std::string language;
  std::filesystem::path folder;
  std::filesystem::path acoustic_model;  // folder
  std::filesystem::path language_model;
  std::filesystem::path dictionary;
  std::string id;                        // 16 hex digits
};

// Thrown when no installed model serves a language. what(): "no speech model for fr (installed:
// en-us)", ready to be turned into a "skipped: ..." line.
class NoSpeechModel : public SpeechError {
 public:
  NoSpeechModel(std::string language, std::vector<std::string> installed, const std::filesystem::path& root);
  const std::string& language() const { return language_; }
  const std::vector<std::string>& installed() const { return installed_; }

 private:
  std::string language_;
  std::vector<std::string> installed_;
};

// $PALIMPSEST_SPEECH_MODELS when set, else /usr/share/pocketsphinx/model.
std::filesystem::path default_speech_model_root();

// The languages with a complete model under `root`, sorted; empty when `root` does not exist.
std::vector<std::string> available_languages(const std::filesystem::path& root = default_speech_model_root());

// The model for `language` ("en-us"; case and '_' do not matter; "en" finds "en-us" when it is the
// only "en-*" model). Throws NoSpeechModel.
SpeechModelFiles find_speech_model(const std::string& language,
                                   const std::filesystem::path& root = default_speech_model_root());

// The model in `folder`, named `language` (default: the folder's name). Throws SpeechError naming
// the folder and the missing part.
SpeechModelFiles speech_model_in(const std::filesystem::path& folder, std::string language = {});

}  // namespace palimpsest
