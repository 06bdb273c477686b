#pragma once
// The planner's view of the archive: modality-aware hybrid search over the catalog (pictures and
// texts ranked apart), with each candidate's cosine similarity, its modality's background for the
// query and its stored embedding, so that planning sees exactly what search sees. A filter (archive,
// kinds) restricts every search.
//
// One source serves one planning run: it caches what it reads (record rows and embeddings, which
// recur across the shots' candidate lists, and text embeddings, encoded in one batch by prepare()),
// so a plan costs one catalog read per distinct record rather than one per candidate.

#include <memory>
#include <unordered_map>

#include "retrieval/planning/planner.h"
#include "retrieval/search/searcher.h"

namespace palimpsest {

class ArchiveCandidateSource : public CandidateSource {
 public:
  // encoder/index may be null: candidates are then lexical only, their similarity the BM25 score
  // relative to the best match (in [0, 1]).
  ArchiveCandidateSource(Catalog& catalog, ClipEncoder* encoder, DenseIndex* index,
                         std::int64_t model_id, SearchFilter filter = {});
  std::vector<Candidate> candidates(const std::string& query_text, Modality modality, int k) override;
  std::optional<Candidate> record(std::int64_t id) override;
  std::vector<float> embed_text(const std::string& text) override;
  void prepare(const std::vector<std::string>& texts) override;

 private:
  Candidate to_candidate(const RecordRow& record, const std::vector<float>* query);
  const std::vector<float>& embedding(std::int64_t record_id);  // empty when the record has none
  Catalog& catalog_;
  ClipEncoder* encoder_;
  DenseIndex* index_;
  std::int64_t model_id_;
  Searcher searcher_;
  SearchFilter filter_;
  std::unordered_map<std::int64_t, std::vector<float>> embeddings_;
};

}  // namespace palimpsest
