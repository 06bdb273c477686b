// OCR against Debian's tesseract command line, in the same run on the same files: character error
// rate and time per page on rendered pages (several fonts and sizes, known text), same language
// (eng), page segmentation (3) and resolution. Then the cost of the text-likelihood test on
// 1024-px photographs without writing: real ones from a folder (--photos; Debian's
// mate-backgrounds has 12 in nature/, see below) or, without one, generated photo-like pictures.
//
//   build/bench/ocr_bench [--dpi 200] [--pages 6] [--repeats 3] [--photos DIR] [--keep]
//
// Times are wall clock (median of the repeats) and CPU (user + system, all threads: the engine's
// process, the CLI's children), which other load on the machine disturbs less.
//
// Real photographs: apt-get download mate-backgrounds && dpkg -x mate-backgrounds_*.deb /tmp/mb
//   then --photos /tmp/mb/usr/share/backgrounds/mate/nature
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "indexer/media/image_codec.h"
#include "indexer/media/media_decoder.h"
#include "indexer/ocr/character_error_rate.h"
#include "indexer/ocr/leptonica_image.h"
#include "indexer/ocr/ocr_engine.h"
#include "indexer/pdf/page_renderer.h"
#include "indexer/pdf/pdf_document.h"
#include "indexer/pdf/pdf_writer.h"
#include "tests/ocr/rendered_text.h"

namespace fs = std::filesystem;
using namespace palimpsest;

namespace {

using Clock = std::chrono::steady_clock;

// CPU time of this thread: what a picture costs when other processes share the cores.
double thread_cpu_ms() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

// User + system CPU time of this process (all its threads) or of its finished children.
double rusage_ms(int who) {
  rusage usage{};
  getrusage(who, &usage);
  return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3 +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e3;
}

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Sentences of our own, cycled to fill the pages.
const std::vector<std::string> kSentences = {
    "The harbour lights were burning low when the ferry came in from the north.",
    "Nobody on the quay had expected it before dawn, and the customs officer had gone home.",
    "He had left a note pinned to the door of his hut: back at 7.30, ask for Mrs. Okafor.",
    "Forty-two crates of oranges, three bicycles and an upright piano came ashore by torchlight.",
    "The captain argued with the harbour master about the fees, which had doubled since May.",
    "A boy of about twelve carried the lantern and counted the crates twice, to be sure.",
    "Rain began at half past four; by five the gutters of Quay Street were running like streams.",
    "In the ledger the clerk wrote the tonnage (118), the cargo and the name of every passenger.",
    "Somewhere a dog barked, and the gulls, who knew the ferry better than anyone, came back.",
    "The piano, it turned out, belonged to the schoolmistress, who had ordered it in January.",
    "She paid the duty of 14 francs in coins and asked that it be carried up the hill at once.",
    "Nobody could say why a ferry that sailed on Tuesdays had arrived early on a Sunday morning.",
};

struct PageSpec {
  PdfFont font;
  double size;
};

// A US Letter page of prose with 1-inch margins, wrapped by a conservative width estimate.
std::string write_page(PdfWriter& writer, const PageSpec& spec, std::size_t first_sentence) {
  const bool fixed = spec.font == PdfFont::courier || spec.font == PdfFont::courier_bold;
  const std::size_t per_line = static_cast<std::size_t>(468.0 / ((fixed ? 0.61 : 0.56) * spec.size));
  std::string text, line;
  std::vector<std::string> lines;
  for (std::size_t k = 0; k < 9; ++k) {
    std::string sentence = kSentences[(first_sentence + k) % kSentences.size()];
    std::size_t start = 0;
    while (start < sentence.size()) {
      std::size_t end = sentence.find(' ', start);
      if (end == std::string::npos) end = sentence.size();
      const std::string word = sentence.substr(start, end - start);
      if (!line.empty() && line.size() + 1 + word.size() > per_line) {
        lines.push_back(line);
        line.clear();
      }
      line += (line.empty() ? "" : " ") + word;
      start = end + 1;
    }
  }
  lines.push_back(line);
  writer.begin_page();
  double baseline = 72 + spec.size;
  for (const std::string& l : lines) {
    writer.text(l, 72, baseline, spec.size, spec.font);
    baseline += spec.size * 1.3;
    text += l + "\n";
  }
  writer.end_page();
  return text;
}

void write_png(const RgbImage& image, int dpi, const fs::path& path) {
  PixPtr pix = ocr_detail::pix_from_rgb(image);
  pixSetResolution(pix.get(), dpi, dpi);
  if (pixWrite(path.c_str(), pix.get(), IFF_PNG) != 0) throw std::runtime_error("cannot write " + path.string());
}

std::string run_command(const std::string& command) {
  std::string out;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) throw std::runtime_error("cannot run " + command);
  std::array<char, 4096> buffer;
  while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe.get())) out.append(buffer.data(), n);
  return out;
}

std::string cli(const fs::path& png, int dpi) {
  return run_command("tesseract '" + png.string() + "' stdout --psm 3 -l eng --dpi " +
                     std::to_string(dpi) + " 2>/dev/null");
}

std::vector<std::pair<std::string, RgbImage>> load_photos(const fs::path& folder) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(folder)) {
    const std::string ext = entry.path().extension().string();
    if (ext == ".jpg" || ext == ".jpeg" || ext == ".png") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<std::pair<std::string, RgbImage>> photos;
  for (const fs::path& file : files) {
    photos.emplace_back(file.filename().string(), fit_within(decode_image_file(file), 1024));
  }
  return photos;
}

}  // namespace

int main(int argc, char** argv) {
  int dpi = 200, pages = 6, repeats = 3;
  fs::path photos_dir;
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--keep")) keep = true;
  }
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--dpi")) dpi = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--pages")) pages = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--repeats")) repeats = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--photos")) photos_dir = argv[i + 1];
  }
  const fs::path dir = fs::temp_directory_path() / ("palimpsest-ocr-bench-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const char* omp = std::getenv("OMP_THREAD_LIMIT");

  // ---- 1. Rendered pages: our engine vs the tesseract CLI ----
  const std::vector<PageSpec> specs = {
      {PdfFont::times_roman, 11}, {PdfFont::helvetica, 10}, {PdfFont::courier, 10},
      {PdfFont::times_italic, 12}, {PdfFont::helvetica_bold, 14}, {PdfFont::helvetica, 8}};
  std::vector<std::string> truths;
  {
    PdfWriter writer(dir / "pages.pdf");
    for (int p = 0; p < pages; ++p) truths.push_back(write_page(writer, specs[p % specs.size()], p * 2));
    writer.finish();
  }
  std::vector<fs::path> pngs;
  {
    const PdfDocument document(dir / "pages.pdf");
    for (int p = 1; p <= pages; ++p) {
      const RenderedPage rendered = render_page(document, document.page(p), {double(dpi), 100'000'000});
      pngs.push_back(dir / ("page" + std::to_string(p) + ".png"));
      write_png(rendered.image, dpi, pngs.back());
    }
  }
  // The CLI's fixed cost: starting, loading the model, reading a blank page.
  RgbImage blank(200, 200);
  std::fill(blank.pixels.begin(), blank.pixels.end(), 255);
  write_png(blank, dpi, dir / "blank.png");
  std::vector<double> startup, startup_cpu;
  for (int r = 0; r < 3; ++r) {
    const auto t0 = Clock::now();
    const double c0 = rusage_ms(RUSAGE_CHILDREN);
    cli(dir / "blank.png", dpi);
    startup_cpu.push_back(rusage_ms(RUSAGE_CHILDREN) - c0);
    startup.push_back(ms_since(t0));
  }

  auto t0 = Clock::now();
  OcrEngine engine;
  const double init_ms = ms_since(t0);
  // The same engine keeping every word, whatever its confidence, as the CLI does.
  OcrOptions keep_all;
  keep_all.min_word_confidence = 0;
  OcrEngine unfloored(keep_all);
  std::printf("%s, eng, psm 3, %d dpi, OMP_THREAD_LIMIT=%s (the same for the CLI)\n",
              engine.engine().c_str(), dpi, omp ? omp : "unset");
  std::printf("engine load: %.0f ms once; CLI start + load + a blank page: %.0f ms (CPU %.0f ms) "
              "every run\n\n",
              init_ms, median(startup), median(startup_cpu));
  std::printf("| page | font | chars | CER engine | CER engine, no floor | CER CLI | same text as CLI (no floor) | engine ms | CLI ms | engine CPU ms | CLI CPU ms |\n");
  std::printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
  double engine_total = 0, cli_total = 0, engine_errors = 0, cli_errors = 0, chars = 0;
  double unfloored_errors = 0, engine_cpu_total = 0, cli_cpu_total = 0;
  int identical = 0;
  for (int p = 0; p < pages; ++p) {
    const PageSpec& spec = specs[p % specs.size()];
    std::vector<double> engine_ms, cli_ms, engine_cpu, cli_cpu;
    std::string engine_text, cli_text;
    for (int r = 0; r < std::max(1, repeats); ++r) {
      t0 = Clock::now();
      double c0 = rusage_ms(RUSAGE_SELF);
      engine_text = engine.recognize_file(pngs[p]).text;
      engine_cpu.push_back(rusage_ms(RUSAGE_SELF) - c0);
      engine_ms.push_back(ms_since(t0));
      t0 = Clock::now();
      c0 = rusage_ms(RUSAGE_CHILDREN);
      cli_text = cli(pngs[p], dpi);
      cli_cpu.push_back(rusage_ms(RUSAGE_CHILDREN) - c0);
      cli_ms.push_back(ms_since(t0));
    }
    const std::string all_words = unfloored.recognize_file(pngs[p]).text;
    const bool same = normalise_for_cer(all_words) == normalise_for_cer(cli_text);
    identical += same ? 1 : 0;
    const double n = static_cast<double>(normalise_for_cer(truths[p]).size());
    const double cer_engine = character_error_rate(truths[p], engine_text);
    const double cer_unfloored = character_error_rate(truths[p], all_words);
    const double cer_cli = character_error_rate(truths[p], cli_text);
    engine_errors += cer_engine * n;
    unfloored_errors += cer_unfloored * n;
    cli_errors += cer_cli * n;
    chars += n;
    engine_total += median(engine_ms);
    cli_total += median(cli_ms);
    engine_cpu_total += median(engine_cpu);
    cli_cpu_total += median(cli_cpu);
    std::printf("| %d | %s %g pt | %.0f | %.2f %% | %.2f %% | %.2f %% | %s | %.0f | %.0f | %.0f | %.0f |\n",
                p + 1, std::string(font_name(spec.font)).c_str(), spec.size, n, 100 * cer_engine,
                100 * cer_unfloored, 100 * cer_cli, same ? "yes" : "no", median(engine_ms),
                median(cli_ms), median(engine_cpu), median(cli_cpu));
  }
  const double cli_work_cpu = cli_cpu_total - pages * median(startup_cpu);
  std::printf("\nCER over %.0f characters: engine %.2f %% (no floor %.2f %%), CLI %.2f %%: "
              "difference %+.2f points (no floor %+.2f); %d of %d pages read exactly as the CLI "
              "reads them (no floor)\n",
              chars, 100 * engine_errors / chars, 100 * unfloored_errors / chars,
              100 * cli_errors / chars, 100 * (engine_errors - cli_errors) / chars,
              100 * (unfloored_errors - cli_errors) / chars, identical, pages);
  std::printf("time for %d pages (median of %d each): engine %.0f ms, CLI %.0f ms -> %.2fx the CLI's "
              "speed\nCPU for %d pages: engine %.0f ms, CLI %.0f ms -> %.2fx; without the CLI's "
              "start-up and model load (CPU of a blank page): %.2fx\n\n",
              pages, std::max(1, repeats), engine_total, cli_total, cli_total / engine_total, pages,
              engine_cpu_total, cli_cpu_total, cli_cpu_total / engine_cpu_total,
              cli_work_cpu / engine_cpu_total);

  // ---- 1b. Small pictures (a caption or a sign, as in video keyframes): start-up dominates ----
  {
    const std::vector<std::string> captions = {"EXIT 12  Harbour Road", "Quay Street 1904",
                                               "FERRY TO THE NORTH ISLANDS", "Customs - Douane",
                                               "Closed on Sundays", "Platform 3 for Le Havre"};
    std::vector<fs::path> small;
    std::vector<std::string> small_truth;
    for (std::size_t i = 0; i < captions.size(); ++i) {
      const testing::TextCard card = testing::render_text_card(
          dir, {captions[i]}, i % 2 ? PdfFont::helvetica_bold : PdfFont::times_roman, 24, 100, 5, 0.8);
      small.push_back(dir / ("caption" + std::to_string(i) + ".png"));
      small_truth.push_back(captions[i]);
      write_png(card.image, 100, small.back());
    }
    double engine_cpu = 0, cli_cpu = 0, engine_wall = 0, cli_wall = 0, engine_err = 0, cli_err = 0, n = 0;
    for (std::size_t i = 0; i < small.size(); ++i) {
      t0 = Clock::now();
      double c0 = rusage_ms(RUSAGE_SELF);
      const std::string e = engine.recognize_file(small[i]).text;
      engine_cpu += rusage_ms(RUSAGE_SELF) - c0;
      engine_wall += ms_since(t0);
      t0 = Clock::now();
      c0 = rusage_ms(RUSAGE_CHILDREN);
      const std::string c = cli(small[i], 100);
      cli_cpu += rusage_ms(RUSAGE_CHILDREN) - c0;
      cli_wall += ms_since(t0);
      const double chars = static_cast<double>(normalise_for_cer(small_truth[i]).size());
      engine_err += character_error_rate(small_truth[i], e) * chars;
      cli_err += character_error_rate(small_truth[i], c) * chars;
      n += chars;
    }
    std::printf("%zu caption pictures (500x80, one line): CER engine %.2f %%, CLI %.2f %%; wall "
                "engine %.0f ms, CLI %.0f ms -> %.1fx; CPU engine %.0f ms, CLI %.0f ms -> %.1fx\n\n",
                small.size(), 100 * engine_err / n, 100 * cli_err / n, engine_wall, cli_wall,
                cli_wall / engine_wall, engine_cpu, cli_cpu, cli_cpu / engine_cpu);
  }

  // ---- 2. The text-likelihood test on photographs without writing ----
  std::vector<std::pair<std::string, RgbImage>> photos;
  if (!photos_dir.empty()) {
    photos = load_photos(photos_dir);
    std::printf("photographs: %zu from %s, shrunk to 1024 px on the longer side\n", photos.size(),
                photos_dir.c_str());
  } else {
    for (std::uint32_t seed = 1; seed <= 6; ++seed) {
      photos.emplace_back("generated " + std::to_string(seed), testing::photo_like(1024, 768, seed));
    }
    std::printf("photographs: none given (--photos DIR); 6 generated photo-like pictures 1024x768\n");
  }
  OcrOptions untested;
  untested.text_test = false;
  OcrEngine without_test(untested);
  std::printf("| photo | size | text test ms (median of %d) | its CPU ms | likely | recognise ms | recognise without the test ms | words read without it |\n",
              repeats);
  std::printf("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
  std::vector<double> costs, cpu_costs;
  int rejected = 0;
  for (const auto& [name, photo] : photos) {
    std::vector<double> assess_ms, assess_cpu;
    bool likely = false;
    for (int r = 0; r < repeats; ++r) {
      t0 = Clock::now();
      const double cpu0 = thread_cpu_ms();
      likely = engine.assess(photo, name).likely;
      assess_cpu.push_back(thread_cpu_ms() - cpu0);
      assess_ms.push_back(ms_since(t0));
    }
    t0 = Clock::now();
    const OcrResult with = engine.recognize(photo, name);
    const double with_ms = ms_since(t0);
    t0 = Clock::now();
    const OcrResult without = without_test.recognize(photo, name);
    const double without_ms = ms_since(t0);
    costs.push_back(median(assess_ms));
    cpu_costs.push_back(median(assess_cpu));
    rejected += likely ? 0 : 1;
    std::printf("| %s | %dx%d | %.1f | %.1f | %s | %.1f | %.1f | %d (%s) |\n", name.c_str(),
                photo.width, photo.height, median(assess_ms), median(assess_cpu),
                likely ? "yes" : "no", with_ms, without_ms,
                without.words_kept, without.has_text() ? "has text" : "no text");
    (void)with;
  }
  if (!costs.empty()) {
    std::printf("\ntext test at 1024 px: median %.1f ms, max %.1f ms (CPU: median %.1f ms, max "
                "%.1f ms) over %zu photos; %d of them judged without writing\n",
                median(costs), *std::max_element(costs.begin(), costs.end()), median(cpu_costs),
                *std::max_element(cpu_costs.begin(), cpu_costs.end()), costs.size(), rejected);
  }
  if (keep) {
    std::printf("pages kept in %s\n", dir.c_str());
  } else {
    fs::remove_all(dir);
  }
  return 0;
}
