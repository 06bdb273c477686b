// CLIP embedding throughput (images/s, texts/s) of ClipEncoder on a ViT-B/32-shaped model with
// random weights, at each precision (fp32, bf16, int8; clip_precision.h), against PyTorch on the
// same shapes in the same run (bench/clip_embed_reference.py): float32, and bfloat16 under
// torch.autocast("cpu"). Both run on the same system BLAS (the header line names it). Each
// reduced precision's worst cosine to ClipEncoder fp32 over the batch is printed, and the
// precision `auto` would choose for this model on this machine (measure_auto_precision).
//
//   build/bench/clip_embed_bench [--batch 32] [--iterations 2] [--shape vit-b32|tiny]
//                                [--threads N] [--precisions fp32,bf16,int8] [--rounds 3]
//                                [--python /usr/bin/python3] [--no-reference]
//
// The PyTorch baseline needs PyTorch for some python3 (Debian: apt-get install python3-torch);
// without it that row is reported as missing and no ratio is printed.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "indexer/clip/clip_config.h"
#include "indexer/clip/clip_encoder.h"
#include "indexer/clip/clip_precision.h"
#include "indexer/clip/safetensors.h"
#include "indexer/clip/sentencepiece_tokenizer.h"
#include "indexer/runtime/runtime_info.h"

namespace fs = std::filesystem;
using namespace palimpsest;

namespace {

struct Options {
  int batch = 32;
  int iterations = 2;
  std::string shape = "vit-b32";
  std::string python;  // empty: the first python3 that imports torch
  bool reference = true;
};

ClipConfig shape_config(const std::string& shape) {
  ClipConfig c;
  if (shape == "tiny") {  // palimpsest-tiny's shape, for a quick check of the harness
    c.embed_dim = 96;
    c.image_resolution = 32;
    c.vision_patch_size = 8;
    c.vision_width = 128;
    c.vision_layers = 4;
    c.text_width = 128;
    c.text_layers = 3;
    c.context_length = 32;
    c.vocab_size = 128;
  } else if (shape == "vit-b32") {
    c.embed_dim = 512;
    c.image_resolution = 224;
    c.vision_patch_size = 32;
    c.vision_width = 768;
    c.vision_layers = 12;
    c.text_width = 512;
    c.text_layers = 12;
    c.context_length = 77;
    c.vocab_size = 49408;
  } else {
    std::fprintf(stderr, "unknown --shape %s (vit-b32 or tiny)\n", shape.c_str());
    std::exit(2);
  }
  // OpenAI's rule (width / 64 heads), which the PyTorch script follows too.
  c.vision_heads = c.vision_width / 64;
  c.text_heads = c.text_width / 64;
  c.vision_mlp_width = 4 * c.vision_width;
  c.text_mlp_width = 4 * c.text_width;
  return c;
}

// A model folder with random weights of the given shape, written with the project's own
// safetensors writer and a small sentencepiece tokenizer (texts are fed as token ids anyway).
void write_random_model(const fs::path& dir, const ClipConfig& c) {
  std::mt19937_64 rng(1);
  std::vector<SafetensorsTensor> tensors;
  for (const auto& [name, shape] : clip_parameter_shapes(c)) {
    SafetensorsTensor t;
    t.name = name;
    t.shape = shape;
    std::int64_t n = 1;
    for (auto d : shape) n *= d;
    t.data.resize(static_cast<std::size_t>(n));
    const bool gain = name.find("ln_") != std::string::npos && name.ends_with(".weight");
    for (auto& v : t.data) {
      // Small uniform values (std ~0.02): activations stay finite through 12 layers.
      v = gain ? 1.0f : static_cast<float>((static_cast<double>(rng() >> 11) * 0x1.0p-53 - 0.5) * 0.07);
    }
    if (name == "logit_scale") t.data[0] = 4.6052f;
    tensors.push_back(std::move(t));
  }
  save_safetensors(dir / "model.safetensors", tensors);

  const fs::path corpus = dir / "corpus.txt";
  {
    std::ofstream out(corpus);
    const char* words[] = {"a", "red", "circle", "over", "the", "sea", "two", "blue", "squares",
                           "at", "night", "in", "city", "large", "small", "green", "star"};
    for (int i = 0; i < 400; ++i) {
      for (int k = 0; k < 6; ++k) out << words[(i * 7 + k * 3 + i / 5) % 17] << (k < 5 ? " " : "\n");
    }
  }
  SentencePieceTrainOptions spm;
  spm.inputs = {corpus};
  spm.model_prefix = dir / "spm";
  spm.vocab_size = 40;
  spm.extra = {{"hard_vocab_limit", "false"}};
  train_sentencepiece(spm);

  const nlohmann::json model = {{"name", "random-" + std::to_string(c.vision_width) + "-bench"},
                                {"weights", "model.safetensors"},
                                {"tokenizer", {{"kind", "sentencepiece"}, {"file", "spm.model"}}},
                                {"image_size", c.image_resolution},
                                {"context_length", c.context_length},
                                {"vision_heads", c.vision_heads},
                                {"text_heads", c.text_heads}};
  std::ofstream(dir / "model.json") << model.dump(2) << "\n";
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Times ClipEncoder on one batch of random preprocessed images and one of token rows.
nlohmann::json measure(const fs::path& model_dir, const std::string& precision, int vocab,
                       int batch, int iterations) {
  ClipLoadOptions options;
  options.precision = precision;
  auto encoder = ClipEncoder::load(model_dir, options);
  if (encoder->info().precision != precision) {
    return {{"error", precision + " fell back to " + encoder->info().precision +
                          (encoder->info().notes.empty() ? "" : ": " + encoder->info().notes[0])}};
  }
  encoder->set_batch_size(batch);
  const ClipModelInfo& info = encoder->info();
  const int size = info.image_size;
  std::mt19937_64 rng(2);
  std::vector<float> pixels(static_cast<std::size_t>(batch) * 3 * size * size);
  for (auto& v : pixels) v = static_cast<float>((static_cast<double>(rng() >> 11) * 0x1.0p-53 - 0.5) * 3.5);
  // Random ids with the end-of-text token (the largest id) last, as clip.tokenize pads none.
  std::vector<std::vector<std::int64_t>> ids(static_cast<std::size_t>(batch));
  for (auto& row : ids) {
    row.resize(static_cast<std::size_t>(info.context_length));
    for (auto& id : row) id = 1 + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(vocab - 3));
    row.back() = vocab - 1;
  }

  // Warm-up on two items: first-call set-up without a whole extra batch.
  encoder->encode_preprocessed_images(
      std::vector<float>(pixels.begin(), pixels.begin() + 2 * 3 * size * size), 2);
  encoder->encode_token_ids({ids[0], ids[1]});
  std::vector<std::vector<float>> image_rows, text_rows;
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < iterations; ++i) image_rows = encoder->encode_preprocessed_images(pixels, batch);
  const double image_s = seconds_since(t0) / iterations;
  t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < iterations; ++i) text_rows = encoder->encode_token_ids(ids);
  const double text_s = seconds_since(t0) / iterations;
  return {{"precision", encoder->info().precision},
          {"image_rows", image_rows},
          {"text_rows", text_rows},
          {"blas", blas_library()},
          {"runtime", runtime_versions()},
          {"architecture", info.architecture},
          {"image_batch_seconds", image_s},
          {"text_batch_seconds", text_s},
          {"images_per_s", batch / image_s},
          {"texts_per_s", batch / text_s}};
}

// Runs a command and parses the last line of its standard output as JSON.
std::optional<nlohmann::json> run_json(const std::string& command, std::string& error) {
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    error = "cannot run: " + command;
    return std::nullopt;
  }
  std::string out, line;
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe)) out += buffer;
  const int status = ::pclose(pipe);
  const auto end = out.find_last_not_of("\n");
  const auto begin = out.rfind('\n', end == std::string::npos ? 0 : end);
  line = out.substr(begin == std::string::npos ? 0 : begin + 1);
  try {
    auto j = nlohmann::json::parse(line);
    if (j.contains("error")) {
      error = j["error"].get<std::string>();
      return std::nullopt;
    }
    if (status != 0) {
      error = "exit status " + std::to_string(status) + ": " + command;
      return std::nullopt;
    }
    return j;
  } catch (const std::exception&) {
    error = "no result (exit status " + std::to_string(status) + ") from: " + command;
    return std::nullopt;
  }
}

std::string quoted(const std::string& s) { return "'" + s + "'"; }

// The first python3 that can import torch.
std::string find_python() {
  for (const char* candidate : {"python3", "/usr/bin/python3"}) {
    const std::string probe = std::string(candidate) + " -c 'import torch' >/dev/null 2>&1";
    if (std::system(probe.c_str()) == 0) return candidate;
  }
  return "";
}

}  // namespace

double worst_cosine(const nlohmann::json& a, const nlohmann::json& b) {
  double worst = 1.0;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    double dot = 0, na = 0, nb = 0;
    for (std::size_t k = 0; k < a[i].size(); ++k) {
      const double x = a[i][k].get<double>(), y = b[i][k].get<double>();
      dot += x * y;
      na += x * x;
      nb += y * y;
    }
    worst = std::min(worst, dot / std::sqrt(na * nb));
  }
  return worst;
}

int main(int argc, char** argv) {
  Options o;
  std::string precisions = "fp32,bf16,int8";
  int threads = 0;
  int rounds = 3;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", arg.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--batch") o.batch = std::atoi(value().c_str());
    else if (arg == "--iterations") o.iterations = std::atoi(value().c_str());
    else if (arg == "--shape") o.shape = value();
    else if (arg == "--python") o.python = value();
    else if (arg == "--precisions") precisions = value();
    else if (arg == "--threads") threads = std::atoi(value().c_str());
    else if (arg == "--rounds") rounds = std::atoi(value().c_str());
    else if (arg == "--no-reference") o.reference = false;
    else {
      std::fprintf(stderr, "unknown argument %s\n", arg.c_str());
      return 2;
    }
  }
  if (o.batch < 2 || o.iterations < 1 || rounds < 1) {
    std::fprintf(stderr, "--batch must be at least 2, --iterations and --rounds at least 1\n");
    return 2;
  }
  if (threads > 0) {
    // ClipEncoder sets libtorch's threads to the core count; OMP_NUM_THREADS caps OpenMP and
    // OpenBLAS alike, for this process and the PyTorch child.
    setenv("OMP_NUM_THREADS", std::to_string(threads).c_str(), 1);
  }
  const int used_threads = threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));

  const ClipConfig c = shape_config(o.shape);
  const fs::path dir = fs::temp_directory_path() / ("palimpsest-clip-bench-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::printf("model: %s (random weights), batch %d, %d timed iteration(s), best of %d "
              "interleaved round(s), %d thread(s)\n%s\n",
              c.describe().c_str(), o.batch, o.iterations, rounds, used_threads,
              runtime_versions().c_str());
  std::printf("cpu: %s\n", cpu_signature().c_str());
  std::fflush(stdout);
  write_random_model(dir, c);

  struct Row {
    std::string name;
    nlohmann::json m;
  };
  // Rounds interleave every row (ours at each precision, PyTorch fp32 and bf16) and each row keeps
  // its best round: on a shared machine, load that comes and goes then hits all rows alike.
  auto keep_best = [](std::optional<nlohmann::json>& best, const nlohmann::json& m) {
    if (!best) {
      best = m;
      return;
    }
    for (const char* key : {"images_per_s", "texts_per_s"}) {
      (*best)[key] = std::max((*best)[key].get<double>(), m[key].get<double>());
    }
  };
  std::vector<std::string> names;
  {
    std::string item;
    std::istringstream list(precisions);
    while (std::getline(list, item, ',')) names.push_back(item);
  }
  std::map<std::string, std::optional<nlohmann::json>> ours;
  std::string error;
  std::optional<nlohmann::json> torch_fp32, torch_bf16;
  const std::string python = o.reference ? (o.python.empty() ? find_python() : o.python) : "";
  if (o.reference && python.empty()) {
    std::printf("PyTorch baseline: missing (no python3 imports torch; on Debian: apt-get "
                "install python3-torch)\n");
  }
  const fs::path script = fs::path(PALIMPSEST_BENCH_DIR) / "clip_embed_reference.py";
  const std::string cmd =
      python + " " + quoted(script.string()) + " --image-size " +
      std::to_string(c.image_resolution) + " --patch " + std::to_string(c.vision_patch_size) +
      " --vision-width " + std::to_string(c.vision_width) + " --vision-layers " +
      std::to_string(c.vision_layers) + " --text-width " + std::to_string(c.text_width) +
      " --text-layers " + std::to_string(c.text_layers) + " --context-length " +
      std::to_string(c.context_length) + " --vocab-size " + std::to_string(c.vocab_size) +
      " --embed-dim " + std::to_string(c.embed_dim) + " --batch " + std::to_string(o.batch) +
      " --iterations " + std::to_string(o.iterations) + " --threads " + std::to_string(used_threads);
  for (int round = 0; round < rounds; ++round) {
    for (const auto& name : names) {
      nlohmann::json m = measure(dir, name, c.vocab_size, o.batch, o.iterations);
      if (m.contains("error")) {
        if (round == 0) std::printf("ClipEncoder %s: %s\n", name.c_str(), m["error"].get<std::string>().c_str());
        continue;
      }
      keep_best(ours[name], m);
    }
    if (!python.empty()) {
      if (auto m = run_json(cmd, error)) keep_best(torch_fp32, *m);
      else if (round == 0) std::printf("PyTorch fp32 baseline: missing (%s)\n", error.c_str());
      if (auto m = run_json(cmd + " --autocast bf16", error)) keep_best(torch_bf16, *m);
      else if (round == 0) std::printf("PyTorch bf16 baseline: missing (%s)\n", error.c_str());
    }
  }
  std::vector<Row> rows;
  std::optional<nlohmann::json> fp32 = ours["fp32"];
  for (const auto& name : names) {
    if (ours[name]) rows.push_back({"ClipEncoder " + name, *ours[name]});
  }
  const AutoPrecision chosen = measure_auto_precision(dir, precision_support());
  fs::remove_all(dir);

  std::printf("\n| %-34s | %9s | %9s | %7s | %7s | %7s | %7s | %9s |\n", "", "images/s", "texts/s",
              "img/pt32", "txt/pt32", "img/pt16", "txt/pt16", "cos fp32");
  std::printf("|%s|%s|%s|%s|%s|%s|%s|%s|\n", std::string(36, '-').c_str(),
              std::string(11, '-').c_str(), std::string(11, '-').c_str(), std::string(9, '-').c_str(),
              std::string(9, '-').c_str(), std::string(9, '-').c_str(), std::string(9, '-').c_str(),
              std::string(11, '-').c_str());
  auto ratio = [](const nlohmann::json& m, const std::optional<nlohmann::json>& base, const char* key) {
    if (!base) return std::string("-");
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "%.2fx", m[key].get<double>() / (*base)[key].get<double>());
    return std::string(buffer);
  };
  auto print = [&](const std::string& name, const nlohmann::json& m, const std::string& cosine) {
    std::printf("| %-34s | %9.2f | %9.2f | %7s | %7s | %7s | %7s | %9s |\n", name.c_str(),
                m["images_per_s"].get<double>(), m["texts_per_s"].get<double>(),
                ratio(m, torch_fp32, "images_per_s").c_str(), ratio(m, torch_fp32, "texts_per_s").c_str(),
                ratio(m, torch_bf16, "images_per_s").c_str(), ratio(m, torch_bf16, "texts_per_s").c_str(),
                cosine.c_str());
  };
  for (const Row& r : rows) {
    std::string cosine = "-";
    if (fp32 && r.name != "ClipEncoder fp32") {
      char buffer[16];
      std::snprintf(buffer, sizeof buffer, "%.5f",
                    std::min(worst_cosine(r.m["image_rows"], (*fp32)["image_rows"]),
                             worst_cosine(r.m["text_rows"], (*fp32)["text_rows"])));
      cosine = buffer;
    }
    print(r.name, r.m, cosine);
  }
  if (torch_fp32) {
    print("PyTorch " + (*torch_fp32)["torch"].get<std::string>() + " fp32", *torch_fp32, "-");
  }
  if (torch_bf16) {
    print("PyTorch " + (*torch_bf16)["torch"].get<std::string>() + " bf16 autocast", *torch_bf16, "-");
  }
  std::printf("\nauto would choose %s here:", to_string(chosen.chosen).c_str());
  for (const auto& m : chosen.measured) {
    if (!m.supported) {
      std::printf(" %s unsupported (%s);", to_string(m.precision).c_str(), m.problem.c_str());
    } else {
      std::printf(" %s %.1f img/s %.1f txt/s cos %.5f;", to_string(m.precision).c_str(),
                  m.images_per_s, m.texts_per_s, m.min_cosine);
    }
  }
  std::printf("\n");
  return 0;
}
