#include <gtest/gtest.h>

#include <filesystem>

#include "indexer/ocr/character_error_rate.h"
#include "indexer/ocr/ocr_error.h"
#include "indexer/ocr/pixel_budget.h"
#include "indexer/ocr/tessdata.h"
#include "tests/common/test_support.h"

namespace palimpsest {
namespace {

TEST(PixelBudget, PicturesWithinTheBudgetKeepTheirSize) {
  const BudgetFit fit = fit_pixel_budget(4000, 4000, 16'000'000);
  EXPECT_FALSE(fit.scaled);
  EXPECT_EQ(fit.width, 4000);
  EXPECT_EQ(fit.scale_x, 1.0);
}

TEST(PixelBudget, LargerPicturesShrinkToFitKeepingTheirShape) {
  const BudgetFit fit = fit_pixel_budget(60000, 60000, 16'000'000);
  EXPECT_TRUE(fit.scaled);
  EXPECT_EQ(fit.width, 4000);
  EXPECT_EQ(fit.height, 4000);
  const BudgetFit wide = fit_pixel_budget(9000, 3000, 1'000'000);
  EXPECT_LE(static_cast<long long>(wide.width) * wide.height, 1'000'000);
  EXPECT_NEAR(static_cast<double>(wide.width) / wide.height, 3.0, 0.01);
}

TEST(PixelBudget, SidesStayWithinTesseractsLimit) {
  const BudgetFit fit = fit_pixel_budget(100000, 20, 16'000'000);
  EXPECT_TRUE(fit.scaled);
  EXPECT_EQ(fit.width, kTesseractMaxSide);
  EXPECT_EQ(fit.height, 6);
  EXPECT_THROW(fit_pixel_budget(0, 10, 100), std::invalid_argument);
}

TEST(CharacterErrorRate, CountsEditsOverTheReferenceLength) {
  EXPECT_EQ(character_error_rate("harbour", "harbour"), 0.0);
  EXPECT_DOUBLE_EQ(character_error_rate("harbour", "harb0ur"), 1.0 / 7);   // substitution
  EXPECT_DOUBLE_EQ(character_error_rate("harbour", "harbor"), 1.0 / 7);    // deletion
  EXPECT_DOUBLE_EQ(character_error_rate("harbour", "harbours"), 1.0 / 7);  // insertion
  EXPECT_DOUBLE_EQ(character_error_rate("Größe", "Grösse"), 2.0 / 5);      // code points, not bytes
  EXPECT_EQ(character_error_rate("", ""), 0.0);
  EXPECT_EQ(character_error_rate("", "x"), 1.0);
}

TEST(CharacterErrorRate, LayoutAndTypographyAreNotErrors) {
  EXPECT_EQ(character_error_rate("the quay\nat  dawn", "  the quay at dawn\n\n"), 0.0);
  EXPECT_EQ(character_error_rate("it's \"late\" - now", "it\u2019s \u201Clate\u201D \u2014 now"), 0.0);
}

TEST(Tessdata, ListsInstalledLanguagesWithoutOsd) {
  testing::TempDir dir;
  testing::write_file(dir / "eng.traineddata", "x");
  testing::write_file(dir / "fra.traineddata", "x");
  testing::write_file(dir / "osd.traineddata", "x");
  testing::write_file(dir / "notes.txt", "x");
  std::filesystem::create_directories(dir / "script");
  testing::write_file(dir / "script" / "Latin.traineddata", "x");
  EXPECT_EQ(installed_ocr_languages(dir.path()),
            (std::vector<std::string>{"eng", "fra", "script/Latin"}));
  EXPECT_EQ(parse_ocr_languages("fra+eng", dir.path()), (std::vector<std::string>{"fra", "eng"}));
  EXPECT_EQ(parse_ocr_languages("script/Latin", dir.path()),
            (std::vector<std::string>{"script/Latin"}));
  try {
    parse_ocr_languages("deu+osd+eng", dir.path());
    FAIL();
  } catch (const OcrError& error) {
    EXPECT_EQ(std::string(error.what()),
              "OCR language \"deu\", \"osd\" are not installed (installed: eng, fra, script/Latin; in " +
                  dir.path().string() + ")");
  }
  EXPECT_THROW(tessdata_folder(dir / "missing"), OcrError);
  EXPECT_EQ(tessdata_folder(dir.path()), dir.path());
}

}  // namespace
}  // namespace palimpsest
