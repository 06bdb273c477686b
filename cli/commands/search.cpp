// palimpsest search "text" : modality-aware hybrid (dense + lexical) search over the catalog:
// pictures and texts ranked apart and calibrated, shown fused on the calibrated scale or, with
// --per-modality, as one list per modality.
#include <cstdio>
#include <iostream>

#include "cli/commands/app.h"
#include "cli/commands/commands.h"
#include "cli/commands/terminal_text.h"
#include "cli/commands/catalog_arguments.h"
#include "cli/commands/record_location.h"
#include "cli/commands/planning_arguments.h"
#include "schema/catalog_json.h"
#include "indexer/clip/clip_encoder.h"
#include "indexer/media/media_decoder.h"
#include "indexer/text/timecode.h"
#include "retrieval/search/searcher.h"
#include "schema/embedding_store.h"

namespace palimpsest::cli {
namespace {

std::string score_text(const std::optional<double>& score, const std::optional<int>& rank) {
  if (!score) return "      -     ";
  char buffer[48];
  if (rank) std::snprintf(buffer, sizeof buffer, "%6.3f (#%d)", *score, *rank);
  else std::snprintf(buffer, sizeof buffer, "%6.3f      ", *score);
  return buffer;
}

nlohmann::json hit_json(const SearchResult& r) {
  nlohmann::json hit = record_json(r.record);
  add_search_scores(hit, r);
  return hit;
}

void print_hit(const SearchResult& r) {
  const std::string where = record_location(r.record);  // file, time range or page
  std::printf("%3d  #%-6lld %-8s %-30s dense %s  z %s  lexical %s  %s %.3f\n", r.rank,
              static_cast<long long>(r.record.id), std::string(to_string(r.record.kind)).c_str(),
              one_line(where, 30).c_str(), score_text(r.scores.dense_score, r.scores.dense_rank).c_str(),
              score_text(r.scores.calibrated, std::nullopt).c_str(),
              score_text(r.scores.lexical_score, r.scores.lexical_rank).c_str(), r.scores.exact ? "exact" : "score",
              r.scores.fused_score);
  const std::string& text = r.record.text.empty() ? r.record.title : r.record.text;
  std::printf("     %s\n", one_line(text, 100).c_str());
}

}  // namespace

void register_search(CLI::App& app, const GlobalOptions& globals, Dispatch& dispatch) {
  struct Args {
    std::string text;
    std::string image;
    int k = 10;
    std::string kind;
    std::vector<std::string> kinds;
    std::string archive;
    bool per_modality = false;
    std::string mode = "hybrid";
    std::string model;
    std::optional<std::int64_t> from_ms, to_ms;
    bool json = false;
    bool low_confidence = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("search", "Find records by text or image (dense + lexical, fused)");
  cmd->add_option("text", args->text, "What to look for");
  cmd->add_option("--image", args->image, "Query by an image file (alone or with text)");
  cmd->add_option("-k", args->k, "Number of results")->capture_default_str();
  cmd->add_option("--kind", args->kind, record_kind_names());
  cmd->add_option("--kinds", args->kinds, "Only these kinds, e.g. image,frame");
  cmd->add_flag("--per-modality", args->per_modality, "One list per modality (pictures, texts, sounds), k each");
  cmd->add_flag("--include-low-confidence", args->low_confidence,
                "Also find speech the recogniser was unsure of (lexically: such utterances have no vector)");
  cmd->add_option("--archive", args->archive, "Only this archive");
  cmd->add_option("--from-ms", args->from_ms, "Only records overlapping this time or later");
  cmd->add_option("--to-ms", args->to_ms, "Only records starting at or before this time");
  cmd->add_option("--mode", args->mode, "hybrid, dense or lexical")
      ->capture_default_str()
      ->check(CLI::IsMember({"hybrid", "dense", "lexical"}));
  cmd->add_option("--model", args->model, "CLIP model: a store name or a folder (default: the catalog's current model)");
  cmd->add_flag("--json", args->json, "JSON output");
  cmd->callback([&globals, &dispatch, args] {
    dispatch.action = [&globals, args]() -> int {
      SearchRequest request;
      request.text = args->text;
      request.k = args->k;
      request.mode = args->mode == "dense" ? SearchMode::dense
                     : args->mode == "lexical" ? SearchMode::lexical
                                               : SearchMode::hybrid;
      request.filter.from_ms = args->from_ms;
      request.filter.to_ms = args->to_ms;
      request.filter.include_low_confidence = args->low_confidence;
      if (!args->kind.empty()) request.filter.kind = kind_argument(args->kind);
      request.filter.kinds = kinds_argument(args->kinds);
      if (!args->image.empty()) {
        try {
          request.image = decode_image_file(args->image);
        } catch (const std::exception& e) {
          std::cerr << "palimpsest: " << shown(args->image) << ": " << shown(e.what()) << "\n";
          return kExitFailure;
        }
      }
      Catalog catalog = open_existing_catalog(globals.db);
      if (!args->archive.empty()) request.filter.archive_id = archive_argument(catalog, args->archive);
      // Dense search needs the model the catalog's vectors were made with.
      std::unique_ptr<ClipEncoder> encoder;
      std::unique_ptr<DenseIndex> index;
      std::string note;
      if (request.mode != SearchMode::lexical) {
        const std::optional<std::filesystem::path> dir = model_argument(globals.db, args->model);
        if (dir) {
          encoder = ClipEncoder::load(*dir);
          auto model = catalog.embeddings().find_model(encoder->info().name, encoder->info().weights_sha256);
          if (model && catalog.embeddings().count(model->id) > 0) {
            index = open_dense_index(catalog, model->id, [](const std::string& line) {
              std::cerr << "palimpsest: note: vector index: " << line << "\n";
            });
          } else {
            note = "no records are embedded with " + encoder->info().name + " yet: lexical results only";
          }
        } else {
          note = "no embedding model found: lexical results only";
        }
        if (!index && request.mode == SearchMode::dense) {
          std::cerr << "palimpsest: " << note << "\n";
          return kExitFailure;
        }
      }
      if (encoder)
        if (const std::string notice = demo_model_notice(catalog, encoder->info().name); !notice.empty())
          std::cerr << "palimpsest: note: " << notice << "\n";
      Searcher searcher(catalog, index ? encoder.get() : nullptr, index.get());
      std::vector<ModalityResults> lists;
      try {
        if (args->per_modality) lists = searcher.search_by_modality(request);
        else lists.push_back({Modality::picture, searcher.search(request)});
      } catch (const SearchError& e) {
        std::cerr << "palimpsest search: " << error_line(e.what()) << "\n";
        return kExitUsage;
      }
      if (!note.empty()) std::cerr << "palimpsest: note: " << note << "\n";
      if (args->json) {
        nlohmann::json out = args->per_modality ? nlohmann::json::object() : nlohmann::json::array();
        for (const ModalityResults& list : lists) {
          nlohmann::json hits = nlohmann::json::array();
          for (const SearchResult& r : list.results) hits.push_back(hit_json(r));
          if (args->per_modality) out[std::string(to_string(list.modality))] = std::move(hits);
          else out = std::move(hits);
        }
        std::cout << json_text(out, 2) << "\n";
        return kExitOk;
      }
      for (const ModalityResults& list : lists) {
        if (args->per_modality) std::printf("%s%ss\n", &list == &lists.front() ? "" : "\n", std::string(to_string(list.modality)).c_str());
        if (list.results.empty()) std::cout << (args->per_modality ? "     no results\n" : "no results\n");
        for (const SearchResult& r : list.results) print_hit(r);
      }
      return kExitOk;
    };
  });
}

}  // namespace palimpsest::cli
