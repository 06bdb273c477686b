// CLIP embedding throughput (images/s, texts/s) of ClipEncoder on a ViT-B/32-shaped model with
// random weights, against PyTorch on the same shapes in the same run (bench/
// clip_embed_reference.py). Both run on the same system BLAS (the header line names it).
//
//   build/bench/clip_embed_bench [--batch 32] [--iterations 2] [--shape vit-b32|tiny]
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
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "indexer/clip/clip_config.h"
#include "indexer/clip/clip_encoder.h"
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
nlohmann::json measure(const fs::path& model_dir, int vocab, int batch, int iterations) {
  auto encoder = ClipEncoder::load(model_dir);
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
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < iterations; ++i) encoder->encode_preprocessed_images(pixels, batch);
  const double image_s = seconds_since(t0) / iterations;
  t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < iterations; ++i) encoder->encode_token_ids(ids);
  const double text_s = seconds_since(t0) / iterations;
  return {{"blas", blas_library()},
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

void print_row(const char* name, const nlohmann::json& m, const nlohmann::json* base) {
  const double img = m["images_per_s"].get<double>();
  const double txt = m["texts_per_s"].get<double>();
  std::printf("| %-36s | %9.2f | %9.2f |", name, img, txt);
  if (base != nullptr) {
    std::printf(" %5.2fx | %5.2fx |\n", img / (*base)["images_per_s"].get<double>(),
                txt / (*base)["texts_per_s"].get<double>());
  } else {
    std::printf("    -   |    -   |\n");
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
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
    else if (arg == "--no-reference") o.reference = false;
    else {
      std::fprintf(stderr, "unknown argument %s\n", arg.c_str());
      return 2;
    }
  }
  if (o.batch < 2 || o.iterations < 1) {
    std::fprintf(stderr, "--batch must be at least 2 and --iterations at least 1\n");
    return 2;
  }

  const ClipConfig c = shape_config(o.shape);
  const fs::path dir = fs::temp_directory_path() / ("palimpsest-clip-bench-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::printf("model: %s (random weights), batch %d, %d timed iteration(s)\n%s\n",
              c.describe().c_str(), o.batch, o.iterations, runtime_versions().c_str());
  std::fflush(stdout);
  write_random_model(dir, c);

  const nlohmann::json ours = measure(dir, c.vocab_size, o.batch, o.iterations);
  std::string error;
  std::optional<nlohmann::json> torch;
  if (o.reference) {
    const std::string python = o.python.empty() ? find_python() : o.python;
    const fs::path script = fs::path(__FILE__).parent_path() / "clip_embed_reference.py";
    if (python.empty()) {
      std::printf("PyTorch baseline: missing (no python3 imports torch; on Debian: apt-get "
                  "install python3-torch)\n");
    } else {
      const std::string cmd =
          python + " " + quoted(script.string()) + " --image-size " +
          std::to_string(c.image_resolution) + " --patch " + std::to_string(c.vision_patch_size) +
          " --vision-width " + std::to_string(c.vision_width) + " --vision-layers " +
          std::to_string(c.vision_layers) + " --text-width " + std::to_string(c.text_width) +
          " --text-layers " + std::to_string(c.text_layers) + " --context-length " +
          std::to_string(c.context_length) + " --vocab-size " + std::to_string(c.vocab_size) +
          " --embed-dim " + std::to_string(c.embed_dim) + " --batch " + std::to_string(o.batch) +
          " --iterations " + std::to_string(o.iterations) + " --threads " +
          std::to_string(std::max(1u, std::thread::hardware_concurrency()));
      torch = run_json(cmd, error);
      if (!torch) std::printf("PyTorch baseline: missing (%s)\n", error.c_str());
    }
  }
  fs::remove_all(dir);

  std::printf("\n| %-36s | %9s | %9s | %6s | %6s |\n", "", "images/s", "texts/s", "img vs", "txt vs");
  std::printf("| %-36s | %9s | %9s | %6s | %6s |\n", "", "", "", "torch", "torch");
  std::printf("|%s|%s|%s|%s|%s|\n", std::string(38, '-').c_str(), std::string(11, '-').c_str(),
              std::string(11, '-').c_str(), std::string(8, '-').c_str(), std::string(8, '-').c_str());
  const nlohmann::json* base = torch ? &*torch : nullptr;
  print_row("ClipEncoder", ours, base);
  if (torch) {
    const std::string name = "PyTorch " + (*torch)["torch"].get<std::string>() + " (" +
                             std::to_string((*torch)["threads"].get<int>()) + " threads)";
    print_row(name.c_str(), *torch, base);
  }
  return 0;
}
