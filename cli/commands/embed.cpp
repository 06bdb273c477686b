// palimpsest embed [--model NAME|DIR] (--text T | --image FILE)... [--json] : CLIP embeddings of texts
// and images, one row per input.
#include <iomanip>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/commands/app.h"
#include "cli/commands/catalog_arguments.h"
#include "cli/commands/commands.h"
#include "indexer/clip/clip_encoder.h"
#include "indexer/media/media_decoder.h"
#include "schema/catalog_json.h"

namespace palimpsest::cli {

void register_embed(CLI::App& app, const GlobalOptions& globals, Dispatch& dispatch) {
  struct Args {
    std::string model;
    std::vector<std::string> texts;
    std::vector<std::string> images;
    std::string device = "cpu";
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("embed", "CLIP embeddings (L2-normalised) of texts and images");
  cmd->add_option("--model", args->model, "CLIP model: a store name or a folder (default: the catalog's current model)");
  cmd->add_option("--text", args->texts, "Text to embed (repeatable)");
  cmd->add_option("--image", args->images, "Image file to embed (repeatable)");
  cmd->add_option("--device", args->device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_flag("--json", args->json, "One JSON object per input, one per line");
  cmd->callback([&globals, &dispatch, args] {
    dispatch.action = [&globals, args]() -> int {
      if (args->texts.empty() && args->images.empty()) {
        std::cerr << "palimpsest embed: give at least one --text or --image\n";
        return kExitUsage;
      }
      const auto dir = model_argument(globals.db, args->model);
      if (!dir) {
        std::cerr << "palimpsest embed: no model found: pass --model NAME or DIR\n";
        return kExitFailure;
      }
      auto encoder = ClipEncoder::load(*dir, args->device);
      const ClipModelInfo& info = encoder->info();

      struct Row {
        std::string kind, input;
        std::vector<float> embedding;
      };
      std::vector<Row> rows;
      const auto text_rows = encoder->encode_texts(args->texts);
      for (std::size_t i = 0; i < text_rows.size(); ++i) {
        rows.push_back({"text", args->texts[i], text_rows[i]});
      }
      std::vector<RgbImage> images;
      for (const auto& file : args->images) {
        try {
          images.push_back(decode_image_file(file));
        } catch (const std::exception& e) {
          const std::string what = e.what();
          if (what.find(file) != std::string::npos) throw;
          throw std::runtime_error(file + ": " + what);
        }
      }
      const auto image_rows = encoder->encode_images(images);
      for (std::size_t i = 0; i < image_rows.size(); ++i) {
        rows.push_back({"image", args->images[i], image_rows[i]});
      }

      for (const Row& row : rows) {
        if (args->json) {
          const nlohmann::json j = {{"model", info.name},
                                    {"weights_sha256", info.weights_sha256},
                                    {"dim", info.embed_dim},
                                    {row.kind, row.input},
                                    {"embedding", row.embedding}};
          std::cout << json_text(j) << "\n";
        } else {
          std::ostringstream line;
          line << std::setprecision(7);
          for (std::size_t k = 0; k < row.embedding.size(); ++k) {
            line << (k ? " " : "") << row.embedding[k];
          }
          std::cout << row.kind << "\t" << row.input << "\t" << line.str() << "\n";
        }
      }
      return kExitOk;
    };
  });
}

}  // namespace palimpsest::cli
