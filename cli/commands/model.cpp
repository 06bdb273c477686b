// palimpsest model import|fetch|list|use|remove : the catalog's model store (indexer/clip/
// model_store.h): real CLIP checkpoints imported or downloaded into model folders, the catalog's
// current model, and what each model's vectors are.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/commands/app.h"
#include "cli/commands/commands.h"
#include "cli/commands/progress.h"
#include "indexer/clip/model_fetch.h"
#include "indexer/clip/model_import.h"
#include "indexer/clip/model_store.h"

namespace palimpsest::cli {
namespace {

std::string megabytes(std::uint64_t bytes) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f MB", static_cast<double>(bytes) / 1e6);
  return buffer;
}

std::string fixed(double v, int digits) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, v);
  return buffer;
}

// Download progress: a redrawn bar on a terminal, a plain line per 10% (or per 15 s when the
// size is unknown) when piped.
class DownloadProgress {
 public:
  DownloadProgress(std::string label, bool quiet)
      : label_(std::move(label)), line_(!quiet && ProgressLine::stderr_is_terminal()), quiet_(quiet) {}

  void operator()(const FetchProgress& p) {
    if (quiet_) return;
    std::ostringstream text;
    text << label_ << " ";
    if (p.total > 0) {
      const double fraction = static_cast<double>(p.bytes) / static_cast<double>(p.total);
      text << progress_bar(fraction) << " " << megabytes(p.bytes) << " / " << megabytes(p.total);
    } else {
      text << megabytes(p.bytes);
    }
    if (!p.done) {
      text << "  " << megabytes(static_cast<std::uint64_t>(p.bytes_per_s)) << "/s";
      if (p.total > 0 && p.bytes_per_s > 0) {
        text << "  ETA " << format_duration(static_cast<double>(p.total - p.bytes) / p.bytes_per_s);
      }
    }
    if (line_.enabled()) {
      line_.update(text.str(), p.done);
      if (p.done) line_.clear();
      if (p.done) std::cerr << text.str() << "\n";
      return;
    }
    const auto now = std::chrono::steady_clock::now();
    const int decile = p.total > 0 ? static_cast<int>(10 * p.bytes / p.total) : -1;
    const bool due = p.done || (p.total > 0 ? decile > last_decile_
                                             : now - last_line_ > std::chrono::seconds(15));
    if (!due) return;
    last_decile_ = decile;
    last_line_ = now;
    std::cerr << text.str() << "\n";
  }

  void clear() { line_.clear(); }

 private:
  std::string label_;
  ProgressLine line_;
  bool quiet_;
  int last_decile_ = 0;
  std::chrono::steady_clock::time_point last_line_ = std::chrono::steady_clock::now();
};

nlohmann::json imported_json(const ImportedModel& m) {
  nlohmann::json precisions = nlohmann::json::array();
  for (const auto& p : m.measured.measured) {
    nlohmann::json j = {{"precision", to_string(p.precision)}, {"supported", p.supported}};
    if (p.supported) {
      j["images_per_s"] = p.images_per_s;
      j["texts_per_s"] = p.texts_per_s;
      j["min_cosine_to_fp32"] = p.min_cosine;
    } else {
      j["problem"] = p.problem;
    }
    precisions.push_back(j);
  }
  return {{"name", m.name},
          {"dir", m.dir.string()},
          {"source_format", m.source_format},
          {"source_sha256", m.source_sha256},
          {"weights_sha256", m.weights_sha256},
          {"weights_dtype", m.weights_dtype},
          {"weights_bytes", m.weights_bytes},
          {"architecture", m.config.describe()},
          {"embed_dim", m.config.embed_dim},
          {"tokenizer", m.tokenizer},
          {"activation", m.config.quick_gelu ? "quick_gelu" : "gelu"},
          {"parity_cosine", m.parity_cosine},
          {"parity_reference", m.parity_reference},
          {"precision", m.precision},
          {"auto_precision", to_string(m.measured.chosen)},
          {"precisions", precisions},
          {"warnings", m.warnings}};
}

void print_imported(const ImportedModel& m, const std::string& db) {
  std::cout << "Imported " << m.name << " into " << m.dir.string() << "\n"
            << "  source:       " << m.source_format << ", SHA-256 " << m.source_sha256 << "\n"
            << "  architecture: " << m.config.describe() << "\n"
            << "  tokenizer:    " << m.tokenizer << "; activation "
            << (m.config.quick_gelu ? "quick_gelu" : "gelu") << "\n"
            << "  weights:      model.safetensors, " << m.weights_dtype << ", "
            << megabytes(m.weights_bytes) << ", SHA-256 " << m.weights_sha256 << "\n"
            << "  verified:     cosine " << fixed(m.parity_cosine, 6) << " to " << m.parity_reference
            << "\n"
            << "  precision:    " << m.precision;
  if (m.precision == "auto") std::cout << " (here: " << to_string(m.measured.chosen) << ")";
  std::cout << "\n";
  for (const auto& p : m.measured.measured) {
    std::cout << "    " << to_string(p.precision) << ": ";
    if (!p.supported) {
      std::cout << "not supported here (" << p.problem << ")\n";
      continue;
    }
    std::cout << fixed(p.images_per_s, 1) << " images/s, " << fixed(p.texts_per_s, 1)
              << " texts/s, worst cosine to fp32 " << fixed(p.min_cosine, 5)
              << (p.qualifies ? "" : " (below the 0.99 bar)") << "\n";
  }
  for (const auto& w : m.warnings) std::cerr << "palimpsest: warning: " << w << "\n";
  std::cout << "Use it: palimpsest --db " << db << " model use " << m.name
            << "   (the catalog's vectors stay with the model that made them: re-embed the "
               "archive with the new one)\n";
}

void add_import_options(CLI::App* cmd, ImportOptions& o) {
  cmd->add_option("--name", o.name, "Name in the model store (default: from the file or folder)");
  cmd->add_option("--tokenizer", o.tokenizer,
                  "Tokenizer file when the weights come without one (bpe_simple_vocab_16e6.txt.gz, "
                  "merges.txt or a sentencepiece .model)");
  cmd->add_option("--precision", o.precision, "Precision to run at: auto (measured), fp32, bf16, int8")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "fp32", "bf16", "int8"}));
  cmd->add_option("--activation", o.activation,
                  "gelu or quick_gelu, for a bare weights file (default: the config's, else OpenAI's quick_gelu)")
      ->check(CLI::IsMember({"gelu", "quick_gelu"}));
  cmd->add_option("--vision-heads", o.vision_heads, "Attention heads of the image tower (default: config, else width/64)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--text-heads", o.text_heads, "Attention heads of the text tower (default: config, else width/64)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--licence", o.licence, "Licence to record in the model card");
  cmd->add_flag("--force", o.replace, "Replace a store model of the same name");
}

}  // namespace

void register_model(CLI::App& app, const GlobalOptions& globals, Dispatch& dispatch) {
  auto* model = app.add_subcommand("model", "CLIP models of the catalog: import, fetch, list, use, remove");
  model->require_subcommand(1);

  // import
  {
    struct Args {
      std::string path;
      ImportOptions options;
      bool json = false;
    };
    auto args = std::make_shared<Args>();
    auto* cmd = model->add_subcommand(
        "import", "Import a CLIP checkpoint (OpenAI .pt, open_clip .safetensors / .bin, or a "
                  "Hugging Face open_clip folder) into the model store");
    cmd->add_option("path", args->path, "Checkpoint file or folder")->required();
    add_import_options(cmd, args->options);
    cmd->add_flag("--json", args->json, "Print a JSON summary");
    cmd->callback([&globals, &dispatch, args] {
      dispatch.action = [&globals, args]() -> int {
        ImportOptions options = args->options;
        if (!args->json) options.progress = [](const std::string& line) { std::cerr << line << "\n"; };
        const ImportedModel m = import_model(globals.db, args->path, options);
        if (args->json) {
          std::cout << imported_json(m).dump(2) << "\n";
          for (const auto& w : m.warnings) std::cerr << "palimpsest: warning: " << w << "\n";
        } else {
          print_imported(m, globals.db);
        }
        return kExitOk;
      };
    });
  }

  // fetch
  {
    struct Args {
      FetchModelRequest request;
      long timeout_s = 60;
      bool list = false;
      bool json = false;
      bool quiet = false;
    };
    auto args = std::make_shared<Args>();
    auto* cmd = model->add_subcommand(
        "fetch", "Download a well-known checkpoint (or a URL with --sha256), verify and import it");
    cmd->add_option("name", args->request.name_or_url,
                    "A known checkpoint (see --list), clip-bpe-vocab, or a URL");
    cmd->add_option("--sha256", args->request.sha256, "SHA-256 of the file at the URL");
    cmd->add_option("--mirror", args->request.fetch.mirror,
                    "Base URL replacing the checkpoint's (file name kept; default $PALIMPSEST_MODEL_MIRROR)");
    cmd->add_option("--timeout", args->timeout_s,
                    "Seconds to connect, and seconds below 1 KB/s before giving up")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    cmd->add_flag("--keep-download", args->request.keep_download,
                  "Keep the downloaded checkpoint in the store's .downloads folder");
    cmd->add_flag("--list", args->list, "List the known checkpoints");
    cmd->add_flag("--json", args->json, "Print a JSON summary");
    cmd->add_flag("-q,--quiet", args->quiet, "No progress output");
    add_import_options(cmd, args->request.import);
    cmd->callback([&globals, &dispatch, args] {
      dispatch.action = [&globals, args]() -> int {
        if (args->list) {
          for (const auto& k : known_checkpoints()) {
            std::printf("%-16s %s\n%-16s %s\n", k.name.c_str(), k.description.c_str(), "", k.url.c_str());
          }
          return kExitOk;
        }
        if (args->request.name_or_url.empty()) {
          std::cerr << "palimpsest model fetch: name a checkpoint (--list shows them) or a URL\n";
          return kExitUsage;
        }
        FetchModelRequest request = args->request;
        request.fetch.connect_timeout_s = args->timeout_s;
        request.fetch.low_speed_time_s = args->timeout_s;
        const bool quiet = args->quiet || args->json;
        request.fetch.note = [quiet](const std::string& line) {
          if (!quiet) std::cerr << line << "\n";
        };
        auto progress = std::make_shared<DownloadProgress>(
            url_file_name(find_known_checkpoint(request.name_or_url)
                              ? find_known_checkpoint(request.name_or_url)->url
                              : request.name_or_url),
            quiet);
        request.fetch.progress = [progress](const FetchProgress& p) { (*progress)(p); };
        if (!quiet) request.import.progress = [](const std::string& line) { std::cerr << line << "\n"; };
        const KnownCheckpoint* known = find_known_checkpoint(request.name_or_url);
        if (known && known->vocabulary) {
          const auto file = fetch_clip_vocabulary(globals.db, request.fetch);
          std::cout << "CLIP BPE vocabulary: " << file.string() << " (SHA-256 verified)\n";
          return kExitOk;
        }
        const ImportedModel m = fetch_model(globals.db, request);
        if (args->json) {
          std::cout << imported_json(m).dump(2) << "\n";
        } else {
          print_imported(m, globals.db);
        }
        return kExitOk;
      };
    });
  }

  // list
  {
    auto json = std::make_shared<bool>(false);
    auto* cmd = model->add_subcommand("list", "Models of the store, the current one marked");
    cmd->add_flag("--json", *json, "One JSON object per model");
    cmd->callback([&globals, &dispatch, json] {
      dispatch.action = [&globals, json]() -> int {
        const auto models = list_models(globals.db);
        const auto current = current_model(globals.db).value_or(kEmbeddedModelName);
        std::error_code ec;
        const bool have_catalog = std::filesystem::is_regular_file(globals.db, ec);
        if (!*json) {
          std::printf("  %-24s %-6s %-8s %10s %10s  %s\n", "NAME", "DIM", "PRECISION", "SIZE",
                      have_catalog ? "VECTORS" : "", "ARCHITECTURE");
        }
        for (const auto& m : models) {
          const std::int64_t vectors = have_catalog ? count_model_embeddings(globals.db, m.name) : 0;
          if (*json) {
            nlohmann::json j = {{"name", m.name},         {"dir", m.dir.string()},
                                {"embedded", m.embedded}, {"architecture", m.architecture},
                                {"dim", m.embed_dim},     {"precision", m.precision},
                                {"bytes", m.bytes},       {"current", m.name == current}};
            if (have_catalog) j["embeddings"] = vectors;
            if (!m.problem.empty()) j["problem"] = m.problem;
            std::cout << j.dump() << "\n";
            continue;
          }
          std::printf("%s %-24s %-6s %-8s %10s %10s  %s\n", m.name == current ? "*" : " ",
                      m.name.c_str(), m.embed_dim ? std::to_string(m.embed_dim).c_str() : "-",
                      m.precision.c_str(), megabytes(m.bytes).c_str(),
                      have_catalog ? std::to_string(vectors).c_str() : "",
                      !m.problem.empty() ? ("problem: " + m.problem).c_str()
                      : m.embedded ? (m.architecture + "  (embedded; demo domain only)").c_str()
                                   : m.architecture.c_str());
        }
        if (!*json) {
          std::printf("store: %s%s\n", model_store_folder(globals.db).string().c_str(),
                      have_catalog ? "" : "  (no catalog: vector counts not shown)");
        }
        return kExitOk;
      };
    });
  }

  // use
  {
    auto name = std::make_shared<std::string>();
    auto* cmd = model->add_subcommand("use", "Make a model the catalog's current one");
    cmd->add_option("name", *name, "Store name or palimpsest-tiny")->required();
    cmd->callback([&globals, &dispatch, name] {
      dispatch.action = [&globals, name]() -> int {
        use_model(globals.db, *name);
        const std::int64_t vectors = count_model_embeddings(globals.db, *name);
        std::cout << "Current model of " << globals.db << ": " << *name << " (" << vectors
                  << " embeddings in the catalog)\n";
        if (vectors == 0) {
          std::cerr << "palimpsest: note: the catalog has no vectors of " << *name
                    << " yet: dense search finds nothing until the archive is embedded with it\n";
        }
        return kExitOk;
      };
    });
  }

  // remove
  {
    struct Args {
      std::string name;
      bool force = false;
    };
    auto args = std::make_shared<Args>();
    auto* cmd = model->add_subcommand("remove", "Delete a model folder from the store (vectors stay)");
    cmd->add_option("name", args->name, "Store name")->required();
    cmd->add_flag("--force", args->force, "Also remove the catalog's current model");
    cmd->callback([&globals, &dispatch, args] {
      dispatch.action = [&globals, args]() -> int {
        const RemovedModel r = remove_model(globals.db, args->name, args->force);
        std::cout << "Removed " << r.dir.string() << "\n";
        if (r.was_current) {
          std::cout << "The catalog's current model is now " << kEmbeddedModelName << "\n";
        }
        if (r.embeddings_kept > 0) {
          std::cout << r.embeddings_kept << " embeddings of " << args->name
                    << " stay in the catalog (and its vector index), unused until the same "
                       "weights are imported again as "
                    << args->name << "\n";
        }
        return kExitOk;
      };
    });
  }
}

}  // namespace palimpsest::cli
