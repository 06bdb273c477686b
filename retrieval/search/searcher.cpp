#include "retrieval/search/searcher.h"

#include <algorithm>
#include <cmath>

#include "indexer/clip/clip_encoder.h"
#include "indexer/vector/parallel_for.h"
#include "schema/embedding_store.h"

namespace palimpsest {
namespace {

bool blank(const std::string& s) {
  return s.find_first_not_of(" \t\r\n") == std::string::npos;
}

// Each list contributes this many candidates to the fusion: enough that a record ranked
// moderately in both lists can overtake one ranked high in only one.
int fusion_depth(int k) { return std::max(k * 2, 50); }

}  // namespace

Searcher::Searcher(Catalog& catalog, ClipEncoder* encoder, DenseIndex* index)
    : catalog_(catalog), encoder_(encoder), index_(index) {}

// Query encodings are small (a handful of texts, one image): run them on one OpenMP thread.
// A second thread gains nothing measurable at this size (bench/planning_bench: 38 shot texts in
// 61 ms on two threads, 63 ms on one), and on a busy machine each of the encoder's many short
// parallel regions waits for a descheduled thread (the same batch took 459 ms on two threads,
// 164 ms on one, with other builds running).
constexpr int kQueryEncodingThreads = 1;

// Caches are bounded so that a long-lived Searcher cannot grow without limit.
constexpr std::size_t kMaxCachedRecords = 100'000;
constexpr std::size_t kMaxCachedTexts = 10'000;

const std::vector<float>& Searcher::text_vector(const std::string& text) {
  if (!encoder_) throw SearchError("dense search needs an embedding model");
  auto it = text_vectors_.find(text);
  if (it != text_vectors_.end()) return it->second;
  if (text_vectors_.size() >= kMaxCachedTexts) text_vectors_.clear();
  OmpThreadScope threads(kQueryEncodingThreads);
  return text_vectors_.emplace(text, encoder_->encode_texts({text}).at(0)).first->second;
}

void Searcher::prepare_text_vectors(const std::vector<std::string>& texts) {
  if (!encoder_) return;
  std::vector<std::string> missing;
  for (const std::string& t : texts)
    if (!blank(t) && !text_vectors_.count(t) &&
        std::find(missing.begin(), missing.end(), t) == missing.end())
      missing.push_back(t);
  if (missing.empty()) return;
  if (text_vectors_.size() + missing.size() > kMaxCachedTexts) text_vectors_.clear();
  OmpThreadScope threads(kQueryEncodingThreads);
  std::vector<std::vector<float>> vectors = encoder_->encode_texts(missing);
  for (std::size_t i = 0; i < missing.size() && i < vectors.size(); ++i)
    text_vectors_.emplace(missing[i], std::move(vectors[i]));
}

const RecordRow* Searcher::record(std::int64_t id) {
  auto it = records_.find(id);
  if (it == records_.end()) {
    if (records_.size() >= kMaxCachedRecords) records_.clear();
    it = records_.emplace(id, catalog_.record(id)).first;
  }
  return it->second ? &*it->second : nullptr;
}

std::vector<float> Searcher::query_vector(const SearchRequest& request) {
  if (!encoder_) throw SearchError("dense search needs an embedding model");
  std::vector<std::vector<float>> parts;
  if (!blank(request.text)) parts.push_back(text_vector(request.text));
  if (request.image) {
    OmpThreadScope threads(kQueryEncodingThreads);
    parts.push_back(encoder_->encode_images({*request.image}).at(0));
  }
  if (parts.empty()) throw SearchError("empty query: give text or an image");
  std::vector<float> q(parts[0].size(), 0.0f);
  for (const auto& p : parts)
    for (std::size_t i = 0; i < q.size(); ++i) q[i] += p[i];
  double norm = 0;
  for (float v : q) norm += static_cast<double>(v) * v;
  norm = std::sqrt(norm);
  if (norm > 0)
    for (float& v : q) v = static_cast<float>(v / norm);
  return q;
}

std::optional<RecordKind> Searcher::kind_of(std::int64_t id) {
  if (kinds_.empty())
    for (const auto& [record, kind] : catalog_.record_kinds()) kinds_.emplace(record, kind);
  const auto it = kinds_.find(id);
  if (it == kinds_.end()) return std::nullopt;
  return it->second;
}

std::vector<ScoredId> Searcher::dense_candidates(const std::vector<float>& query, int depth,
                                                 const SearchFilter& filter) {
  // Kinds are checked against one map of every record's kind; the other filters need the row.
  const bool by_row = filter.archive_id || filter.kind || filter.from_ms || filter.to_ms;
  std::function<bool(std::int64_t)> accept;
  if (by_row || !filter.kinds.empty()) {
    accept = [&](std::int64_t id) {
      if (!filter.kinds.empty()) {
        const std::optional<RecordKind> kind = kind_of(id);
        if (!kind || std::find(filter.kinds.begin(), filter.kinds.end(), *kind) == filter.kinds.end()) return false;
      }
      if (!by_row) return true;
      const RecordRow* r = record(id);
      return r && catalog_.record_matches(*r, filter);
    };
  }
  try {
    return index_->search(query, depth, accept);
  } catch (const VectorStoreError& e) {
    throw SearchError(std::string("dense search: ") + e.what());  // e.g. a query vector of zeros
  }
}

std::optional<ScoreDistribution> Searcher::background(Modality modality, const std::vector<float>& query) {
  if (!index_) return std::nullopt;
  if (!background_) background_.emplace(catalog_, index_->model_id());
  return background_->distribution(modality, query);
}

std::optional<double> Searcher::stored_score(std::int64_t record_id, const std::vector<float>& query) {
  auto it = stored_vectors_.find(record_id);
  if (it == stored_vectors_.end()) {
    if (stored_vectors_.size() >= kMaxCachedRecords) stored_vectors_.clear();
    auto v = catalog_.embeddings().get(record_id, index_->model_id());
    it = stored_vectors_.emplace(record_id, v ? std::move(*v) : std::vector<float>{}).first;
  }
  if (it->second.size() != query.size()) return std::nullopt;
  double dot = 0;
  for (std::size_t i = 0; i < query.size(); ++i) dot += static_cast<double>(it->second[i]) * query[i];
  return dot;
}

std::vector<RecordKind> admitted_kinds(const SearchFilter& filter, Modality modality) {
  std::vector<RecordKind> out;
  for (RecordKind kind : kinds_of(modality)) {
    if (filter.kind && *filter.kind != kind) continue;
    if (!filter.kinds.empty() && std::find(filter.kinds.begin(), filter.kinds.end(), kind) == filter.kinds.end())
      continue;
    out.push_back(kind);
  }
  return out;
}

namespace {

std::vector<ScoredId> scored(const std::vector<LexicalHit>& hits) {
  std::vector<ScoredId> out;
  out.reserve(hits.size());
  for (const LexicalHit& h : hits) out.push_back({h.record_id, h.score});
  return out;
}

}  // namespace

std::vector<ModalityResults> Searcher::search_by_modality(const SearchRequest& request) {
  if (request.k < 1 || request.k > kMaxSearchK)
    throw SearchError("k must be between 1 and " + std::to_string(kMaxSearchK) + ", not " +
                      std::to_string(request.k));
  if (blank(request.text) && !request.image) throw SearchError("empty query: give text or an image");
  const bool want_dense = request.mode != SearchMode::lexical;
  const bool want_lexical = request.mode != SearchMode::dense && !blank(request.text);
  if (request.mode == SearchMode::dense && (!encoder_ || !index_))
    throw SearchError("dense search needs an embedding model and its vector index");
  if (request.mode == SearchMode::lexical && blank(request.text))
    throw SearchError("lexical search needs text");

  const int depth = fusion_depth(request.k);
  std::vector<float> query;
  if (want_dense && encoder_ && index_) query = query_vector(request);

  struct Lists {
    Modality modality;
    SearchFilter filter;
    FusionLists fusion;
  };
  std::vector<Lists> all;
  double best_lexical = 0;
  for (Modality modality : kModalities) {
    const std::vector<RecordKind> kinds = admitted_kinds(request.filter, modality);
    if (kinds.empty()) continue;
    Lists lists{modality, request.filter, {}};
    lists.filter.kind.reset();
    lists.filter.kinds = kinds;
    if (!query.empty()) {
      lists.fusion.dense = dense_candidates(query, depth, lists.filter);
      lists.fusion.background = background(modality, query);
      lists.fusion.dense_score_of = [this, &query](std::int64_t id) { return stored_score(id, query); };
    }
    if (want_lexical) {
      lists.fusion.lexical = scored(catalog_.lexical_search(request.text, lists.filter, depth));
      lists.fusion.exact = scored(catalog_.lexical_search(request.text, lists.filter, depth, LexicalMatch::all_words));
      if (!lists.fusion.lexical.empty()) best_lexical = std::max(best_lexical, lists.fusion.lexical.front().score);
    }
    all.push_back(std::move(lists));
  }

  std::vector<ModalityResults> out;
  for (Lists& lists : all) {
    lists.fusion.best_lexical = best_lexical;
    ModalityResults results{lists.modality, {}, lists.fusion.background};
    for (FusedHit& hit : fuse_calibrated(lists.fusion)) {
      if (static_cast<int>(results.results.size()) >= request.k) break;
      const RecordRow* row = record(hit.record_id);
      if (!row) continue;  // deleted since the index was built
      results.results.push_back({static_cast<int>(results.results.size()) + 1, *row, lists.modality, hit});
    }
    out.push_back(std::move(results));
  }
  return out;
}

void add_search_scores(nlohmann::json& hit, const SearchResult& r) {
  auto opt = [](const auto& v) { return v ? nlohmann::json(*v) : nlohmann::json(); };
  hit["rank"] = r.rank;
  hit["modality"] = std::string(to_string(r.modality));
  hit["fused_score"] = r.scores.fused_score;
  hit["exact"] = r.scores.exact;
  hit["calibrated_score"] = opt(r.scores.calibrated);
  hit["dense_score"] = opt(r.scores.dense_score);
  hit["dense_rank"] = opt(r.scores.dense_rank);
  hit["lexical_score"] = opt(r.scores.lexical_score);
  hit["lexical_rank"] = opt(r.scores.lexical_rank);
}

std::vector<SearchResult> Searcher::search(const SearchRequest& request) {
  std::vector<SearchResult> merged;
  for (ModalityResults& m : search_by_modality(request))
    for (SearchResult& r : m.results) merged.push_back(std::move(r));
  std::stable_sort(merged.begin(), merged.end(), [](const SearchResult& a, const SearchResult& b) {
    return fused_before(a.scores, b.scores);
  });
  if (static_cast<int>(merged.size()) > request.k) merged.resize(static_cast<std::size_t>(request.k));
  for (std::size_t i = 0; i < merged.size(); ++i) merged[i].rank = static_cast<int>(i) + 1;
  return merged;
}

}  // namespace palimpsest
