#include "retrieval/searcher.h"

#include <cmath>

#include "indexer/clip/clip_encoder.h"

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

std::vector<float> Searcher::query_vector(const SearchRequest& request) {
  if (!encoder_) throw SearchError("dense search needs an embedding model");
  std::vector<std::vector<float>> parts;
  if (!blank(request.text)) parts.push_back(encoder_->encode_texts({request.text}).at(0));
  if (request.image) parts.push_back(encoder_->encode_images({*request.image}).at(0));
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
      auto r = catalog_.record(id);
      return r && catalog_.record_matches(*r, filter);
    };
  }
  return index_->search(query, depth, accept);
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
    auto record = catalog_.record(hit.record_id);
    if (!record) continue;  // deleted since the index was built
    out.push_back({static_cast<int>(out.size()) + 1, std::move(*record), hit});
  }
  return out;
}

}  // namespace palimpsest
