#include "retrieval/search/searcher.h"

#include <algorithm>
#include <cmath>

#include "indexer/clip/clip_encoder.h"
#include "indexer/vector/parallel_for.h"

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

std::vector<ScoredId> Searcher::dense_candidates(const std::vector<float>& query, int depth,
                                                 const SearchFilter& filter) {
  const bool filtered = filter.archive_id || filter.kind || filter.from_ms || filter.to_ms;
  std::function<bool(std::int64_t)> accept;
  if (filtered) {
    accept = [&](std::int64_t id) {
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

std::vector<SearchResult> Searcher::search(const SearchRequest& request) {
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
  std::vector<ScoredId> dense, lexical;
  if (want_dense && encoder_ && index_) dense = dense_candidates(query_vector(request), depth, request.filter);
  if (want_lexical) {
    for (const LexicalHit& h : catalog_.lexical_search(request.text, request.filter, depth))
      lexical.push_back({h.record_id, h.score});
  }
  std::vector<FusedHit> fused = reciprocal_rank_fusion(dense, lexical);
  std::vector<SearchResult> out;
  for (FusedHit& hit : fused) {
    if (static_cast<int>(out.size()) >= request.k) break;
    const RecordRow* row = record(hit.record_id);
    if (!row) continue;  // deleted since the index was built
    out.push_back({static_cast<int>(out.size()) + 1, *row, hit});
  }
  return out;
}

}  // namespace palimpsest
