#include "indexer/ocr/ocr_engine.h"

#include <sys/resource.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <memory>

#include "indexer/ocr/character_error_rate.h"
#include "tests/common/test_support.h"
#include "tests/ocr/ocr_test_images.h"
#include "tests/ocr/rendered_text.h"
#include "tests/ocr/stderr_capture.h"

namespace palimpsest {
namespace {

using testing::render_text_card;
using testing::TextCard;

// Our own prose, with digits, punctuation, capitals and a hyphen.
const std::vector<std::string> kProse = {
    "The harbour lights were burning low when the ferry came in.",
    "Nobody on the quay had expected it before dawn, and the",
    "customs officer had gone home hours ago, leaving a note",
    "pinned to the door: back at 7.30, ask for Mrs. Okafor.",
    "Forty-two crates of oranges and a piano came ashore.",
};
constexpr int kProseWords = 52;

// Clean renders at 9-12 pt and 150-300 dpi read with CER 0.0000 here (tesseract 5.3.0, Debian's
// eng model; the standard fonts are substituted by DejaVu through fontconfig). 1% (about 3 of the
// 273 characters) leaves room for another font substitution while failing on every real fault:
// swapped channels, a wrong scale, words assembled out of order or dropped.
constexpr double kMaxCleanCer = 0.01;
// Downscaled or JPEG-decoded pictures lose detail; they still read with CER 0 here.
constexpr double kMaxDegradedCer = 0.02;

std::string run_command(const std::string& command) {
  std::string out;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) throw std::runtime_error("cannot run " + command);
  std::array<char, 4096> buffer;
  while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe.get())) out.append(buffer.data(), n);
  return out;
}

long peak_rss_kb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

// The OCR word lies on poppler's box for the same word: its centre inside it, and inside it
// grown by a fifth of its height on every side (poppler's boxes are font boxes, tesseract's are
// ink boxes, so they never coincide exactly).
bool lies_on(const OcrBox& ocr, const PdfRect& truth) {
  const double margin = 0.2 * truth.height;
  const double cx = ocr.x + ocr.width / 2.0, cy = ocr.y + ocr.height / 2.0;
  return cx >= truth.x && cx <= truth.right() && cy >= truth.y && cy <= truth.bottom() &&
         ocr.x >= truth.x - margin && ocr.x + ocr.width <= truth.right() + margin &&
         ocr.y >= truth.y - margin && ocr.y + ocr.height <= truth.bottom() + margin &&
         ocr.width >= 0.6 * truth.width;
}

// Every OCR word matched to the next unmatched poppler word with the same text, in order.
void expect_boxes_on_words(const OcrResult& result, const TextCard& card) {
  std::size_t next = 0;
  int matched = 0;
  for (const OcrBlock& block : result.blocks) {
    for (const OcrParagraph& paragraph : block.paragraphs) {
      for (const OcrLine& line : paragraph.lines) {
        for (const OcrWord& word : line.words) {
          std::size_t k = next;
          while (k < card.words.size() && card.words[k].text != word.text) ++k;
          ASSERT_LT(k, card.words.size()) << "OCR word \"" << word.text << "\" not in the text layer";
          const PdfRect& truth = card.words[k].box;
          EXPECT_TRUE(lies_on(word.box, truth))
              << "\"" << word.text << "\": OCR box " << word.box.x << "," << word.box.y << " "
              << word.box.width << "x" << word.box.height << " vs rendered " << truth.x << ","
              << truth.y << " " << truth.width << "x" << truth.height;
          next = k + 1;
          ++matched;
        }
      }
    }
  }
  EXPECT_EQ(matched, static_cast<int>(card.words.size()));
}

class OcrEngineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { engine_ = new OcrEngine(); }
  static void TearDownTestSuite() {
    delete engine_;
    engine_ = nullptr;
  }
  static OcrEngine& engine() { return *engine_; }

  testing::TempDir dir_;

 private:
  static OcrEngine* engine_;
};

OcrEngine* OcrEngineTest::engine_ = nullptr;

TEST_F(OcrEngineTest, ReadsRenderedTextInSeveralFontsAndSizes) {
  struct Case { PdfFont font; double size; double dpi; };
  for (const Case& c : {Case{PdfFont::times_roman, 12, 200}, Case{PdfFont::helvetica, 11, 150},
                        Case{PdfFont::courier, 10, 300}, Case{PdfFont::times_roman, 9, 150}}) {
    const TextCard card = render_text_card(dir_.path(), kProse, c.font, c.size, c.dpi);
    const OcrResult result = engine().recognize(card.image, "card", static_cast<int>(card.dpi));
    SCOPED_TRACE(std::string(font_name(c.font)) + " " + std::to_string(c.size) + " pt at " +
                 std::to_string(c.dpi) + " dpi");
    EXPECT_LE(character_error_rate(card.text, result.text), kMaxCleanCer) << result.text;
    EXPECT_TRUE(result.has_text());
    EXPECT_EQ(result.empty_reason, OcrEmptyReason::none);
    EXPECT_EQ(result.words_kept, kProseWords);
    EXPECT_EQ(result.words_dropped, 0);
    EXPECT_GT(result.confidence, 85);
    EXPECT_FALSE(result.low_confidence);
    EXPECT_TRUE(result.warnings.empty());
    EXPECT_EQ(result.width, card.image.width);
    EXPECT_EQ(result.height, card.image.height);
    EXPECT_EQ(result.scale, 1.0);
  }
}

TEST_F(OcrEngineTest, WordBoxesLieOnTheRenderedWords) {
  const TextCard card = render_text_card(dir_.path(), kProse, PdfFont::times_roman, 12, 200);
  const OcrResult result = engine().recognize(card.image, "card", 200);
  ASSERT_EQ(result.words_kept, kProseWords);
  expect_boxes_on_words(result, card);
  // Five lines in reading order, each line's box enclosing its words.
  int lines = 0;
  for (const OcrBlock& block : result.blocks) {
    for (const OcrParagraph& paragraph : block.paragraphs) {
      for (const OcrLine& line : paragraph.lines) {
        ++lines;
        for (const OcrWord& word : line.words) {
          EXPECT_GE(word.box.x, line.box.x);
          EXPECT_LE(word.box.x + word.box.width, line.box.x + line.box.width);
        }
      }
    }
  }
  EXPECT_EQ(lines, 5);
}

TEST_F(OcrEngineTest, PageTextMatchesTheTesseractCommandLine) {
  const TextCard card = render_text_card(dir_.path(), kProse, PdfFont::helvetica, 11, 150);
  testing::write_png(card.image, dir_ / "card.png");
  const std::string cli = run_command("tesseract '" + (dir_ / "card.png").string() +
                                      "' stdout --psm 3 -l eng --dpi 150 2>/dev/null");
  ASSERT_FALSE(cli.empty()) << "the tesseract CLI (Debian tesseract-ocr) printed nothing";
  const OcrResult result = engine().recognize(card.image, "card", 150);
  EXPECT_EQ(normalise_for_cer(result.text), normalise_for_cer(cli));
  // Lines break where tesseract breaks them.
  EXPECT_EQ(result.text, card.text);
}

TEST_F(OcrEngineTest, PhotoLikePicturesHaveNoTextAndSkipRecognition) {
  for (std::uint32_t seed : {1u, 2u, 3u}) {
    const RgbImage photo = testing::photo_like(1024, 768, seed);
    const OcrResult result = engine().recognize(photo, "photo");
    EXPECT_FALSE(result.has_text()) << result.text;
    EXPECT_EQ(result.empty_reason, OcrEmptyReason::text_test);  // recognition never ran
    EXPECT_TRUE(result.blocks.empty());
    EXPECT_EQ(result.words_kept + result.words_dropped, 0);
    EXPECT_FALSE(engine().assess(photo).likely);
  }
}

TEST_F(OcrEngineTest, TextTestPassesEveryRenderedTextPicture) {
  std::vector<std::pair<std::string, RgbImage>> pictures;
  const TextCard times = render_text_card(dir_.path(), kProse, PdfFont::times_roman, 12, 200);
  pictures.emplace_back("times", times.image);
  pictures.emplace_back("courier", render_text_card(dir_.path(), kProse, PdfFont::courier, 10, 300).image);
  pictures.emplace_back("small helvetica",
                        render_text_card(dir_.path(), kProse, PdfFont::helvetica, 9, 150).image);
  // One line of large caption text, as on a sign or a title card.
  const TextCard caption = render_text_card(dir_.path(), {"EXIT 12  Harbour Road"},
                                            PdfFont::helvetica_bold, 28, 150, 6.5, 1.2);
  pictures.emplace_back("caption", caption.image);
  // White on black, as in video subtitles and title cards.
  RgbImage inverted = caption.image;
  for (std::uint8_t& v : inverted.pixels) v = static_cast<std::uint8_t>(255 - v);
  pictures.emplace_back("white on black", inverted);
  // Dark text printed over a photograph-like background.
  RgbImage over_photo = testing::photo_like(times.image.width, times.image.height, 7);
  for (std::size_t i = 0; i < over_photo.pixels.size(); ++i) {
    if (times.image.pixels[i] < 128) over_photo.pixels[i] = times.image.pixels[i] / 4;
  }
  pictures.emplace_back("over a photo", over_photo);

  for (const auto& [name, picture] : pictures) {
    const TextLikelihood likelihood = engine().assess(picture, name);
    EXPECT_TRUE(likelihood.likely) << name;
    EXPECT_GE(likelihood.text_lines, 1) << name;
  }
  const OcrResult on_photo = engine().recognize(over_photo, "over a photo", 200);
  EXPECT_LE(character_error_rate(times.text, on_photo.text), 0.05) << on_photo.text;
  const OcrResult white = engine().recognize(inverted, "white on black", 150);
  EXPECT_EQ(normalise_for_cer(white.text), normalise_for_cer("EXIT 12 Harbour Road"));
}

TEST_F(OcrEngineTest, DownscalesPicturesOverTheBudgetAndSaysSo) {
  const TextCard card = render_text_card(dir_.path(), kProse, PdfFont::times_roman, 12, 300);
  OcrOptions options;
  options.pixel_budget = 600'000;  // the card has 1950x900 = 1.75 Mpx
  OcrEngine small(options);
  const OcrResult result = small.recognize(card.image, "big.png", 300);
  ASSERT_EQ(result.warnings.size(), 1u);
  EXPECT_NE(result.warnings[0].find("big.png: 1950x900 pixels (1.8 Mpx) exceed the OCR pixel budget of 0.6 Mpx; recognised downscaled to"),
            std::string::npos) << result.warnings[0];
  EXPECT_LT(result.scale, 0.6);
  EXPECT_EQ(result.width, 1950);
  EXPECT_LE(character_error_rate(card.text, result.text), kMaxDegradedCer) << result.text;
  expect_boxes_on_words(result, card);  // in the input's pixels, not the downscaled ones
}

TEST_F(OcrEngineTest, RefusesPicturesOverTheBudgetWhenAsked) {
  const TextCard card = render_text_card(dir_.path(), kProse, PdfFont::times_roman, 12, 300);
  OcrOptions options;
  options.pixel_budget = 600'000;
  options.over_budget = OverBudget::refuse;
  OcrEngine strict(options);
  try {
    strict.recognize(card.image, "big.png");
    FAIL() << "expected a refusal";
  } catch (const OcrError& error) {
    EXPECT_STREQ(error.what(),
                 "big.png: 1950x900 pixels (1.8 Mpx) exceed the OCR pixel budget of 0.6 Mpx; refused");
  }
}

TEST_F(OcrEngineTest, AFileClaiming60000By60000PixelsIsNeverDecoded) {
  const auto path = dir_ / "huge.png";
  testing::write_png_claiming(path, 60000, 60000);
  const long before = peak_rss_kb();
  try {
    engine().recognize_file(path);
    FAIL() << "expected a refusal";
  } catch (const OcrError& error) {
    EXPECT_EQ(std::string(error.what()),
              path.string() + ": claims 60000x60000 pixels (3600.0 Mpx), above the OCR decode "
                              "limit of 64.0 Mpx; not decoded");
  }
  // 60000x60000 RGB would be 10 GB; nothing close was allocated.
  EXPECT_LT(peak_rss_kb() - before, 64 * 1024);

  RgbImage claims;  // an image struct that claims the size without the pixels
  claims.width = 60000;
  claims.height = 60000;
  EXPECT_THROW(engine().recognize(claims, "claims"), OcrError);
}

TEST_F(OcrEngineTest, JpegAboveTheDecodeLimitIsDecodedReduced) {
  const TextCard card = render_text_card(dir_.path(), kProse, PdfFont::times_roman, 12, 300);
  const auto path = dir_ / "scan.jpg";
  testing::write_jpeg(card.image, path, 95);
  OcrOptions options;
  options.max_decode_pixels = 600'000;  // 1950x900 needs 1/2 size (488k pixels)
  OcrEngine limited(options);
  const OcrResult result = limited.recognize_file(path);
  ASSERT_FALSE(result.warnings.empty());
  EXPECT_EQ(result.warnings[0], path.string() + ": 1950x900 pixels exceed the OCR decode limit "
                                                "of 0.6 Mpx; decoded at 1/2 size");
  EXPECT_EQ(result.width, 1950);
  EXPECT_EQ(result.height, 900);
  EXPECT_LE(character_error_rate(card.text, result.text), kMaxDegradedCer) << result.text;
  expect_boxes_on_words(result, card);
}

TEST_F(OcrEngineTest, ReadsImageFilesInAnyPixelFormat) {
  const TextCard card = render_text_card(dir_.path(), kProse, PdfFont::helvetica, 11, 150);
  testing::write_png(card.image, dir_ / "page.png");
  // The same page as 8-bit grey, and as black RGBA whose alpha holds the writing: without
  // blending onto white paper it would be a black rectangle.
  PixPtr rgb = ocr_detail::pix_from_rgb(card.image);
  PixPtr grey(pixConvertRGBToLuminance(rgb.get()));
  ASSERT_EQ(pixWrite((dir_ / "grey.png").c_str(), grey.get(), IFF_PNG), 0);
  PixPtr rgba(pixCreate(card.image.width, card.image.height, 32));
  PixPtr alpha(pixInvert(nullptr, grey.get()));  // ink opaque, paper transparent
  ASSERT_EQ(pixSetRGBComponent(rgba.get(), alpha.get(), L_ALPHA_CHANNEL), 0);
  pixSetSpp(rgba.get(), 4);
  ASSERT_EQ(pixWrite((dir_ / "rgba.png").c_str(), rgba.get(), IFF_PNG), 0);
  for (const char* name : {"page.png", "grey.png", "rgba.png"}) {
    SCOPED_TRACE(name);
    const OcrResult result = engine().recognize_file(dir_ / name);
    EXPECT_LE(character_error_rate(card.text, result.text), kMaxCleanCer) << result.text;
    expect_boxes_on_words(result, card);
  }
}

TEST_F(OcrEngineTest, UnknownLanguagesAreNamedWithTheInstalledOnes) {
  for (const std::string spec : {"xyz", "eng+xyz"}) {
    OcrOptions options;
    options.languages = spec;
    try {
      OcrEngine engine(options);
      FAIL() << spec << " was accepted";
    } catch (const OcrError& error) {
      const std::string message = error.what();
      EXPECT_EQ(message.rfind("OCR language \"xyz\" is not installed (installed: ", 0), 0u) << message;
      EXPECT_NE(message.find("eng"), std::string::npos) << message;
      EXPECT_NE(message.find("tessdata"), std::string::npos) << message;
    }
  }
  OcrOptions traversal;
  traversal.languages = "../eng";
  EXPECT_THROW(OcrEngine{traversal}, OcrError);
  OcrOptions empty;
  empty.languages = "";
  EXPECT_THROW(OcrEngine{empty}, OcrError);
}

TEST_F(OcrEngineTest, ASecondLanguageReadsItsLetters) {
  OcrOptions options;
  options.languages = "deu+eng";  // tesseract-ocr-deu (scripts/setup.sh)
  OcrEngine german(options);
  EXPECT_EQ(german.languages(), (std::vector<std::string>{"deu", "eng"}));
  EXPECT_EQ(german.model(), "deu+eng psm3");
  const TextCard card = render_text_card(
      dir_.path(), {"Die Gr\xC3\xB6\xC3\x9F" "e der Stra\xC3\x9F" "e \xC3\xBC" "berrascht",
                    "\xC3\x9C" "bermut und \xC3\x84pfel am Hafen."},
      PdfFont::times_roman, 14, 200);
  const OcrResult result = german.recognize(card.image, "german", 200);
  EXPECT_LE(character_error_rate(card.text, result.text), kMaxCleanCer) << result.text;
  EXPECT_NE(result.text.find("Gr\xC3\xB6\xC3\x9F" "e"), std::string::npos) << result.text;
  EXPECT_NE(result.text.find("Stra\xC3\x9F" "e"), std::string::npos) << result.text;
}

TEST_F(OcrEngineTest, ConfidenceFloorDropsWordsAndLowResultsAreFlagged) {
  const TextCard card = render_text_card(dir_.path(), kProse, PdfFont::helvetica, 11, 150);
  OcrOptions strict;
  strict.min_word_confidence = 99.9f;  // above every word's confidence
  const OcrResult none = OcrEngine(strict).recognize(card.image, "card", 150);
  EXPECT_FALSE(none.has_text());
  EXPECT_EQ(none.empty_reason, OcrEmptyReason::low_confidence);
  EXPECT_EQ(none.words_dropped, kProseWords);
  EXPECT_TRUE(none.blocks.empty());
  ASSERT_EQ(none.warnings.size(), 1u);
  EXPECT_EQ(none.warnings[0], "card: OCR read 52 word(s), all below the confidence floor of 99; no text kept");

  OcrOptions wary;
  wary.low_confidence = 99.9f;
  const OcrResult flagged = OcrEngine(wary).recognize(card.image, "card", 150);
  EXPECT_TRUE(flagged.has_text());
  EXPECT_TRUE(flagged.low_confidence);
  ASSERT_EQ(flagged.warnings.size(), 1u);
  EXPECT_EQ(flagged.warnings[0].rfind("card: low OCR confidence (", 0), 0u) << flagged.warnings[0];
}

TEST_F(OcrEngineTest, TesseractAndLeptonicaMessagesNeverReachStderr) {
  const TextCard card = render_text_card(dir_.path(), kProse, PdfFont::helvetica, 11, 150);
  testing::write_png(card.image, dir_ / "card.png");
  testing::write_file(dir_ / "broken.png", std::string("\x89PNG\r\n\x1A\n garbage", 17));
  // The CLI, given no resolution, talks on stderr ("Estimating resolution as ...").
  const std::string cli_stderr =
      run_command("tesseract '" + (dir_ / "card.png").string() + "' stdout 2>&1 >/dev/null");
  EXPECT_NE(cli_stderr.find("resolution"), std::string::npos) << cli_stderr;

  testing::StderrCapture capture(dir_ / "stderr.txt");
  {
    OcrEngine fresh;
    fresh.recognize(card.image, "card");  // no resolution: tesseract estimates it
    EXPECT_THROW(fresh.recognize_file(dir_ / "broken.png"), OcrError);
  }
  EXPECT_EQ(capture.finish(), "");
}

TEST_F(OcrEngineTest, BadInputsAreOneLineErrors) {
  auto message_of = [](auto&& call) -> std::string {
    try {
      call();
    } catch (const OcrError& error) {
      return error.what();
    }
    return "(no error)";
  };
  RgbImage inconsistent(10, 10);
  inconsistent.pixels.resize(12);
  testing::write_file(dir_ / "notes.png", "these are notes, not a picture\n");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {message_of([&] { engine().recognize(RgbImage{}, "empty"); }), "empty: empty image"},
      {message_of([&] { engine().recognize(inconsistent, "odd"); }),
       "odd: 10x10 image whose pixel buffer holds 12 bytes"},
      {message_of([&] { engine().recognize_file(dir_ / "missing.png"); }),
       (dir_ / "missing.png").string() + ": no such file"},
      {message_of([&] { engine().recognize_file(dir_ / "notes.png"); }),
       (dir_ / "notes.png").string() + ": not an image (no known image header)"},
      {message_of([] {
         OcrOptions options;
         options.page_segmentation = 0;
         OcrEngine engine(options);
       }),
       "page segmentation mode 0 does not recognise text (use 1 or 3..13)"},
  };
  for (const auto& [actual, expected] : cases) EXPECT_EQ(actual, expected);
}

TEST_F(OcrEngineTest, ResultsSerialiseWithTheirBoxes) {
  const TextCard card = render_text_card(dir_.path(), {"Harbour Road"}, PdfFont::helvetica, 20, 150,
                                         4, 1);
  const OcrResult result = engine().recognize(card.image, "sign", 150);
  const nlohmann::json json = to_json(result);
  EXPECT_EQ(json["text"], "Harbour Road");
  EXPECT_EQ(json["size"], nlohmann::json::array({card.image.width, card.image.height}));
  const nlohmann::json& words = json["blocks"][0]["paragraphs"][0]["lines"][0]["words"];
  ASSERT_EQ(words.size(), 2u);
  EXPECT_EQ(words[0]["text"], "Harbour");
  const OcrBox& box = result.blocks[0].paragraphs[0].lines[0].words[0].box;
  EXPECT_EQ(words[0]["box"], nlohmann::json::array({box.x, box.y, box.width, box.height}));
  EXPECT_GT(words[0]["conf"].get<double>(), 80);
  EXPECT_EQ(engine().engine(), std::string("tesseract ") + "5.3.0");
}

}  // namespace
}  // namespace palimpsest
