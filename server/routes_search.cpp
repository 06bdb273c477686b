// GET /api/v1/search?q=&k=&kind=&archive=&mode=   POST /api/v1/search (image body, optional q)
#include "indexer/media/image_codec.h"
#include "retrieval/searcher.h"
#include "server/api_context.h"
#include "server/record_json.h"

namespace palimpsest::server {
namespace {

SearchRequest request_from_query(const httplib::Request& req, Catalog& catalog) {
  SearchRequest request;
  request.text = req.get_param_value("q");
  request.k = static_cast<int>(query_int(req, "k", 1, kMaxSearchK).value_or(10));
  if (req.has_param("kind")) {
    request.filter.kind = parse_record_kind(req.get_param_value("kind"));
    if (!request.filter.kind) throw ApiError{400, "bad_request", "kind must be image, frame, text or subtitle"};
  }
  if (req.has_param("archive")) {
    auto archive = catalog.find_archive(req.get_param_value("archive"));
    if (!archive) throw ApiError{404, "not_found", "no archive named " + req.get_param_value("archive")};
    request.filter.archive_id = archive->id;
  }
  request.filter.from_ms = query_int(req, "from_ms", 0, INT64_MAX);
  request.filter.to_ms = query_int(req, "to_ms", 0, INT64_MAX);
  const std::string mode = req.has_param("mode") ? req.get_param_value("mode") : "hybrid";
  if (mode == "hybrid") request.mode = SearchMode::hybrid;
  else if (mode == "dense") request.mode = SearchMode::dense;
  else if (mode == "lexical") request.mode = SearchMode::lexical;
  else throw ApiError{400, "bad_request", "mode must be hybrid, dense or lexical"};
  return request;
}

void answer(ApiContext& context, Catalog& catalog, SearchRequest request, httplib::Response& res) {
  std::shared_ptr<DenseIndex> index = context.dense_index(catalog);
  ClipEncoder* encoder = index ? context.encoder() : nullptr;
  if (request.image && !encoder)
    throw ApiError{409, "no_model", "image search needs an embedding model and embedded records"};
  std::vector<SearchResult> results;
  try {
    Searcher searcher(catalog, encoder, index.get());
    if (encoder && request.mode != SearchMode::lexical) {
      // The query embedding runs libtorch modules: one request at a time through the encoder.
      std::lock_guard<std::mutex> lock(context.encoder_mutex());
      results = searcher.search(request);
    } else {
      results = searcher.search(request);
    }
  } catch (const SearchError& e) {
    throw ApiError{400, "bad_request", e.what()};
  }
  nlohmann::json hits = nlohmann::json::array();
  auto opt = [](const auto& v) { return v ? nlohmann::json(*v) : nlohmann::json(); };
  for (const SearchResult& r : results) {
    nlohmann::json hit = record_summary_json(r.record);
    hit["rank"] = r.rank;
    hit["fused_score"] = r.scores.fused_score;
    hit["dense_score"] = opt(r.scores.dense_score);
    hit["dense_rank"] = opt(r.scores.dense_rank);
    hit["lexical_score"] = opt(r.scores.lexical_score);
    hit["lexical_rank"] = opt(r.scores.lexical_rank);
    hits.push_back(std::move(hit));
  }
  send_json(res, {{"query", request.text}, {"k", request.k}, {"dense", encoder != nullptr}, {"results", hits}});
}

}  // namespace

void register_search_routes(httplib::Server& server, ApiContext& context) {
  server.Get("/api/v1/search", [&](const httplib::Request& req, httplib::Response& res) {
    Catalog& catalog = context.catalog();
    answer(context, catalog, request_from_query(req, catalog), res);
  });
  server.Post("/api/v1/search", [&](const httplib::Request& req, httplib::Response& res) {
    Catalog& catalog = context.catalog();
    SearchRequest request = request_from_query(req, catalog);
    if (req.body.empty()) throw ApiError{400, "bad_request", "POST /api/v1/search needs an image body"};
    try {
      request.image = decode_image_bytes(req.body);
    } catch (const std::exception& e) {
      throw ApiError{415, "unsupported_media_type", std::string("the body is not a JPEG or PNG image: ") + e.what()};
    }
    answer(context, catalog, std::move(request), res);
  });
}

}  // namespace palimpsest::server
