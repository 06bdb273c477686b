#include "retrieval/archive_candidate_source.h"

#include <algorithm>

#include "indexer/clip/clip_encoder.h"
#include "schema/embedding_store.h"

namespace palimpsest {

ArchiveCandidateSource::ArchiveCandidateSource(Catalog& catalog, ClipEncoder* encoder,
                                               DenseIndex* index, std::int64_t model_id, SearchFilter filter)
    : catalog_(catalog),
      encoder_(encoder),
      index_(index),
      model_id_(model_id),
      searcher_(catalog, encoder, index),
      filter_(std::move(filter)) {}

const std::vector<float>& ArchiveCandidateSource::embedding(std::int64_t record_id) {
  auto it = embeddings_.find(record_id);
  if (it == embeddings_.end()) {
    auto v = catalog_.embeddings().get(record_id, model_id_);
    it = embeddings_.emplace(record_id, v ? std::move(*v) : std::vector<float>{}).first;
  }
  return it->second;
}

Candidate ArchiveCandidateSource::to_candidate(const RecordRow& r, const std::vector<float>* query) {
  Candidate c;
  c.record_id = r.id;
  c.kind = r.kind;
  c.source_id = r.source_id;
  c.ts_ms = r.ts_ms;
  if (encoder_ && model_id_ > 0) c.embedding = embedding(r.id);
  if (query && c.embedding.size() == query->size()) {
    double dot = 0;
    for (std::size_t i = 0; i < query->size(); ++i) dot += static_cast<double>(c.embedding[i]) * (*query)[i];
    c.similarity = dot;
  }
  return c;
}

std::vector<Candidate> ArchiveCandidateSource::candidates(const std::string& query_text, Modality modality, int k) {
  std::vector<Candidate> out;
  if (query_text.find_first_not_of(" \t\r\n") == std::string::npos) return out;
  SearchRequest request;
  request.text = query_text;
  request.k = std::clamp(k, 1, kMaxSearchK);
  request.filter = filter_;
  request.filter.kind.reset();
  request.filter.kinds = admitted_kinds(filter_, modality);
  if (request.filter.kinds.empty()) return out;  // the filter admits none of this modality
  std::vector<float> query;
  if (encoder_ && index_) query = searcher_.query_vector(request);
  std::vector<SearchResult> results;
  std::optional<ScoreDistribution> background;
  for (ModalityResults& m : searcher_.search_by_modality(request))
    if (m.modality == modality) {
      results = std::move(m.results);
      background = m.background;
    }
  double best_lexical = 0;
  for (const SearchResult& r : results) best_lexical = std::max(best_lexical, r.scores.lexical_score.value_or(0));
  for (const SearchResult& r : results) {
    out.push_back(to_candidate(r.record, query.empty() ? nullptr : &query));
    if (background) {
      out.back().background_mean = background->mean;
      out.back().background_sd = background->sd;
      out.back().lexical = r.scores.fused_score - r.scores.calibrated.value_or(0.0);
    }
    // Without vectors there is no cosine; BM25 relative to the best match stands in for it, so
    // that guidance weights still follow relevance.
    if (query.empty() && best_lexical > 0) out.back().similarity = r.scores.lexical_score.value_or(0) / best_lexical;
  }
  return out;
}

std::optional<Candidate> ArchiveCandidateSource::record(std::int64_t id) {
  const RecordRow* r = searcher_.record(id);
  if (!r) return std::nullopt;
  return to_candidate(*r, nullptr);
}

std::vector<float> ArchiveCandidateSource::embed_text(const std::string& text) {
  if (!encoder_) return {};
  return searcher_.text_vector(text);
}

void ArchiveCandidateSource::prepare(const std::vector<std::string>& texts) {
  if (encoder_ && index_) searcher_.prepare_text_vectors(texts);
}

}  // namespace palimpsest
