// GET /api/v1/search?q=&k=&kind=&kinds=&archive=&mode=&per_modality=   POST /api/v1/search (image
// body, optional q). Results are ranked per modality and calibrated (retrieval/search/searcher.h):
// one list fused on the calibrated scale, or with per_modality=true one list per modality.
#include <algorithm>
#include <chrono>
#include <list>
#include <unordered_map>

#include "indexer/media/image_codec.h"
#include "retrieval/search/searcher.h"
#include "server/api_context.h"
#include "server/record_json.h"
#include "schema/catalog_json.h"

namespace palimpsest::server {
namespace {

SearchRequest request_from_query(const httplib::Request& req, Catalog& catalog) {
  SearchRequest request;
  request.text = req.get_param_value("q");
  request.k = static_cast<int>(query_int(req, "k", 1, kMaxSearchK).value_or(10));
  request.filter.kind = kind_parameter(req);
  if (req.has_param("low_confidence")) {
    const std::string value = req.get_param_value("low_confidence");
    if (value != "include" && value != "exclude") throw ApiError{400, "bad_request", "low_confidence must be include or exclude"};
    request.filter.include_low_confidence = value == "include";
  }
  if (req.has_param("kinds")) {
    // "image,frame": any of these kinds.
    const std::string list = req.get_param_value("kinds");
    std::size_t start = 0;
    while (start <= list.size()) {
      const std::size_t comma = std::min(list.find(',', start), list.size());
      const std::optional<RecordKind> kind = parse_record_kind(list.substr(start, comma - start));
      if (!kind) throw ApiError{400, "bad_request", "kinds must be a comma-separated list of record kinds"};
      if (std::find(request.filter.kinds.begin(), request.filter.kinds.end(), *kind) == request.filter.kinds.end())
        request.filter.kinds.push_back(*kind);
      start = comma + 1;
    }
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

// Recent text-search answers. Embedding the query (CLIP) is most of a search's cost and people
// repeat queries (paging, the viewer going back); an answer is reused for a few seconds, and never
// across a change of the dense index (new embeddings). Image searches are not cached.
class SearchCache {
 public:
  static constexpr std::size_t kCapacity = 1024;
  static constexpr auto kTtl = std::chrono::seconds(5);

  std::optional<std::string> get(const std::string& key, const DenseIndex* index) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return std::nullopt;
    if (it->second.index != index || std::chrono::steady_clock::now() - it->second.at > kTtl) {
      lru_.erase(it->second.position);
      entries_.erase(it);
      return std::nullopt;
    }
    lru_.splice(lru_.begin(), lru_, it->second.position);
    return it->second.body;
  }
  void put(const std::string& key, const DenseIndex* index, std::string body) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto it = entries_.find(key); it != entries_.end()) {
      lru_.erase(it->second.position);
      entries_.erase(it);
    }
    lru_.push_front(key);
    entries_[key] = Entry{std::move(body), index, std::chrono::steady_clock::now(), lru_.begin()};
    while (entries_.size() > kCapacity) {
      entries_.erase(lru_.back());
      lru_.pop_back();
    }
  }

 private:
  struct Entry {
    std::string body;
    const DenseIndex* index;
    std::chrono::steady_clock::time_point at;
    std::list<std::string>::iterator position;
  };
  std::mutex mutex_;
  std::list<std::string> lru_;
  std::unordered_map<std::string, Entry> entries_;
};

std::string cache_key(const httplib::Request& req) {
  std::string key;
  for (const char* name : {"q", "k", "kind", "kinds", "archive", "mode", "from_ms", "to_ms", "low_confidence", "per_modality"}) {
    key += req.has_param(name) ? "1" + req.get_param_value(name) : "0";
    key += '\x1f';
  }
  return key;
}

// Whether the request asks for one list per modality (per_modality=true).
bool per_modality_of(const httplib::Request& req) {
  if (!req.has_param("per_modality")) return false;
  const std::string v = req.get_param_value("per_modality");
  if (v == "true" || v == "1") return true;
  if (v == "false" || v == "0") return false;
  throw ApiError{400, "bad_request", "per_modality must be true or false"};
}

void answer(ApiContext& context, Catalog& catalog, SearchRequest request, bool per_modality, httplib::Response& res,
            SearchCache* cache = nullptr, const std::string& key = {}) {
  std::shared_ptr<DenseIndex> index = context.dense_index(catalog);
  if (cache) {
    if (auto body = cache->get(key, index.get())) {
      res.set_header("X-Palimpsest-Cache", "hit");
      res.set_content(std::move(*body), "application/json");
      return;
    }
  }
  EncoderLease lease = index && request.mode != SearchMode::lexical ? context.lease_encoder() : EncoderLease();
  ClipEncoder* encoder = index ? (lease.get() ? lease.get() : context.encoder()) : nullptr;
  if (request.image && !encoder)
    throw ApiError{409, "no_model", "image search needs an embedding model and embedded records"};
  std::vector<ModalityResults> lists;
  try {
    Searcher searcher(catalog, encoder, index.get());
    if (per_modality) lists = searcher.search_by_modality(request);
    else lists.push_back({Modality::picture, searcher.search(request)});
  } catch (const SearchError& e) {
    throw ApiError{400, "bad_request", e.what()};
  }
  auto hits_of = [](const std::vector<SearchResult>& results) {
    nlohmann::json hits = nlohmann::json::array();
    for (const SearchResult& r : results) {
      nlohmann::json hit = api_record_summary_json(r.record);
      add_search_scores(hit, r);
      hits.push_back(std::move(hit));
    }
    return hits;
  };
  nlohmann::json results;
  if (per_modality) {
    results = nlohmann::json::object();
    for (const ModalityResults& list : lists) results[std::string(to_string(list.modality))] = hits_of(list.results);
  } else {
    results = hits_of(lists.front().results);
  }
  nlohmann::json body = {{"query", request.text}, {"k", request.k}, {"dense", encoder != nullptr}};
  body[per_modality ? "modalities" : "results"] = std::move(results);
  if (cache) cache->put(key, index.get(), json_text(body));
  send_json(res, body);
}

}  // namespace

void register_search_routes(httplib::Server& server, ApiContext& context) {
  auto cache = std::make_shared<SearchCache>();
  server.Get("/api/v1/search", [&context, cache](const httplib::Request& req, httplib::Response& res) {
    Catalog& catalog = context.catalog();
    answer(context, catalog, request_from_query(req, catalog), per_modality_of(req), res, cache.get(), cache_key(req));
  });
  server.Post("/api/v1/search", [&](const httplib::Request& req, httplib::Response& res) {
    Catalog& catalog = context.catalog();
    SearchRequest request = request_from_query(req, catalog);
    if (req.body.empty()) throw ApiError{400, "bad_request", "POST /api/v1/search needs an image body"};
    std::string reduced;
    try {
      request.image = decode_image_bytes(req.body, {context.options().max_image_pixels}, &reduced);
    } catch (const PixelBudgetError& e) {
      throw ApiError{413, "image_too_large", e.what()};
    } catch (const std::exception& e) {
      throw ApiError{415, "unsupported_media_type", std::string("the body is not a JPEG or PNG image: ") + e.what()};
    }
    if (!reduced.empty()) res.set_header("X-Palimpsest-Warning", reduced);
    answer(context, catalog, std::move(request), per_modality_of(req), res);
  });
}

}  // namespace palimpsest::server
