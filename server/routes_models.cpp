// GET /api/v1/models: the CLIP models of this catalog. The model store's models (and
// palimpsest-tiny), each with the vectors the catalog holds for it; every set of vectors in the
// catalog (a model name and its weights), whether or not its model is still in the store; the
// catalog's current model; and the model this server searches and plans with.
#include <map>

#include "indexer/clip/clip_encoder.h"
#include "indexer/clip/model_store.h"
#include "schema/embedding_store.h"
#include "server/api_context.h"

namespace palimpsest::server {

void register_model_routes(httplib::Server& server, ApiContext& context) {
  server.Get("/api/v1/models", [&](const httplib::Request&, httplib::Response& res) {
    const std::filesystem::path& db = context.options().db;
    Catalog& catalog = context.catalog();
    const ClipEncoder* encoder = context.encoder();
    nlohmann::json served;
    if (encoder)
      served = {{"name", encoder->info().name},
                {"weights_sha256", encoder->info().weights_sha256},
                {"dim", encoder->info().embed_dim},
                {"precision", encoder->info().precision}};

    // Vectors per (name, weights) as the catalog has them.
    nlohmann::json vector_sets = nlohmann::json::array();
    std::map<std::string, std::int64_t> vectors_by_name;
    std::map<std::pair<std::string, std::string>, std::int64_t> vectors_by_weights;
    for (const ModelRow& m : catalog.embeddings().models()) {
      const std::int64_t n = catalog.embeddings().count(m.id);
      vectors_by_name[m.name] += n;
      vectors_by_weights[{m.name, m.weights_sha256}] += n;
      vector_sets.push_back({{"model_id", m.id},
                             {"name", m.name},
                             {"weights_sha256", m.weights_sha256},
                             {"dim", m.dim},
                             {"vectors", n},
                             {"served", encoder && encoder->info().name == m.name &&
                                            encoder->info().weights_sha256 == m.weights_sha256}});
    }

    const std::string current = current_model(db).value_or(kEmbeddedModelName);
    nlohmann::json models = nlohmann::json::array();
    for (const StoredModel& m : list_models(db)) {
      // A model's vectors are those of its weights when the store knows them, else of its name.
      const std::int64_t vectors = m.weights_sha256.empty() ? vectors_by_name[m.name]
                                                            : vectors_by_weights[{m.name, m.weights_sha256}];
      models.push_back({{"name", m.name},
                        {"embedded", m.embedded},
                        {"architecture", m.architecture},
                        {"dim", m.embed_dim},
                        {"precision", m.precision},
                        {"weights_sha256", m.weights_sha256},
                        {"bytes", m.bytes},
                        {"vectors", vectors},
                        {"current", m.name == current},
                        {"served", encoder && encoder->info().name == m.name},
                        {"problem", m.problem.empty() ? nlohmann::json() : nlohmann::json(m.problem)}});
    }
    send_json(res, {{"current", current}, {"served", served}, {"models", models}, {"vector_sets", vector_sets}});
  });
}

}  // namespace palimpsest::server
