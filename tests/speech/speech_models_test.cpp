#include "indexer/speech/speech_models.h"

#include <gtest/gtest.h>

#include "tests/common/test_support.h"

namespace palimpsest {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

const fs::path kDebianModels = "/usr/share/pocketsphinx/model";

// A model folder of small fake files (names as Debian's en-us model has them).
void write_fake_model(const fs::path& folder, const std::string& language, const std::string& dictionary) {
  fs::create_directories(folder / language);
  for (const char* part : {"mdef", "means", "variances", "transition_matrices", "sendump", "feat.params"})
    testing::write_file(folder / language / part, std::string("fake ") + part);
  testing::write_file(folder / (language + ".lm.bin"), "fake lm");
  testing::write_file(folder / (language + "-phone.lm.bin"), "fake phone lm");
  testing::write_file(folder / ("cmudict-" + language + ".dict"), dictionary);
}

TEST(SpeechModels, DebiansEnglishModelIsFound) {
  const std::vector<std::string> languages = available_languages(kDebianModels);
  ASSERT_NE(std::find(languages.begin(), languages.end(), "en-us"), languages.end())
      << "pocketsphinx-en-us is not installed (scripts/setup.sh installs it)";
  const SpeechModelFiles model = find_speech_model("en-us", kDebianModels);
  EXPECT_EQ(model.language, "en-us");
  EXPECT_EQ(model.acoustic_model, kDebianModels / "en-us" / "en-us");
  EXPECT_EQ(model.language_model, kDebianModels / "en-us" / "en-us.lm.bin");  // not en-us-phone.lm.bin
  EXPECT_EQ(model.dictionary, kDebianModels / "en-us" / "cmudict-en-us.dict");
  EXPECT_EQ(model.id.size(), 16u);
  EXPECT_EQ(model.id.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(find_speech_model("en-us", kDebianModels).id, model.id);
}

TEST(SpeechModels, LanguageNamesAreMatchedLoosely) {
  EXPECT_EQ(find_speech_model("EN_US", kDebianModels).language, "en-us");
  EXPECT_EQ(find_speech_model("en", kDebianModels).language, "en-us");
}

TEST(SpeechModels, AnUnknownLanguageIsRefusedWithTheInstalledOnes) {
  TempDir root;
  fs::create_directory_symlink(kDebianModels / "en-us", root / "en-us");
  fs::create_directories(root / "fr");
  testing::write_file(root / "fr" / "fr.dict", "bonjour b o n j u r\n");  // a dictionary alone is no model
  write_fake_model(root / "de", "de", "hallo h a l o\n");
  fs::remove(root / "de" / "de" / "means");  // an incomplete acoustic model is no model either
  EXPECT_EQ(available_languages(root.path()), (std::vector<std::string>{"en-us"}));
  try {
    find_speech_model("fr", root.path());
    FAIL() << "fr was found";
  } catch (const NoSpeechModel& e) {
    EXPECT_STREQ(e.what(), "no speech model for fr (installed: en-us)");
    EXPECT_EQ(e.language(), "fr");
    EXPECT_EQ(e.installed(), (std::vector<std::string>{"en-us"}));
  }
  TempDir empty;
  try {
    find_speech_model("fr", empty.path());
    FAIL() << "fr was found";
  } catch (const NoSpeechModel& e) {
    EXPECT_EQ(std::string(e.what()), "no speech model for fr (installed: none in " + empty.path().string() + ")");
  }
}

TEST(SpeechModels, TheIdFollowsTheFilesNotTheirPlace) {
  TempDir a, b;
  write_fake_model(a.path(), "xx", "word w er d\n");
  write_fake_model(b.path(), "xx", "word w er d\n");
  const SpeechModelFiles first = speech_model_in(a.path(), "xx");
  EXPECT_EQ(first.language_model, a.path() / "xx.lm.bin");
  EXPECT_EQ(speech_model_in(b.path(), "xx").id, first.id);  // same files elsewhere: same model
  testing::write_file(b / "cmudict-xx.dict", "word w er d\nwords w er d z\n");
  EXPECT_NE(speech_model_in(b.path(), "xx").id, first.id);  // a grown dictionary: another model
}

TEST(SpeechModels, AFolderThatIsNoModelSaysWhatIsMissing) {
  TempDir dir;
  try {
    speech_model_in(dir / "nowhere");
    FAIL();
  } catch (const SpeechError& e) {
    EXPECT_EQ(std::string(e.what()), "speech model " + (dir / "nowhere").string() + ": not a folder");
  }
  write_fake_model(dir.path(), "xx", "word w er d\n");
  fs::remove(dir / "xx" / "variances");
  try {
    speech_model_in(dir.path(), "xx");
    FAIL();
  } catch (const SpeechError& e) {
    EXPECT_EQ(std::string(e.what()), "speech model " + dir.path().string() + ": no acoustic model (variances missing in " +
                                         (dir / "xx").string() + ")");
  }
  testing::write_file(dir / "xx" / "variances", "fake");
  fs::remove(dir / "xx.lm.bin");
  try {
    speech_model_in(dir.path(), "xx");
    FAIL();
  } catch (const SpeechError& e) {
    // The phone language model that is left is not a word model.
    EXPECT_EQ(std::string(e.what()), "speech model " + dir.path().string() + ": no word language model (*.lm.bin, *.lm, *.lm.DMP)");
  }
}

}  // namespace
}  // namespace palimpsest
