#pragma once
// Shot planning: for every shot of a Timeline, choose keyframe records (what the shot looks like),
// guidance records with weights (what else steers it) and negative records (what to steer away
// from). The archive is reached only through CandidateSource, so planning needs neither FAISS nor
// CLIP and tests run it on a fake archive.
//
// Per shot:
//  1. Candidates: hybrid search for the shot's text (top `candidates_k`). Each candidate's score
//     starts as its similarity, then
//     - weighted prompt terms: score += term_weight_strength * (w - 1) * cos(term, record) for every
//       term with weight w != 1 (so "(red:1.5)" pulls towards red records, "(sea:0.5)" away);
//     - negative prompt (the rule): with n = the negative text's embedding and s = the candidate's
//       similarity to the shot, a candidate with cos(n, record) > s (closer to what is not wanted
//       than to what is) is dropped and listed as a negative record; any other candidate loses
//       negative_weight * max(0, cos(n, record)). The best visual hits (similarity above 0) of a
//       search for the negative text itself, up to max_negatives, are listed as negative records
//       too, unless they stay in the shot's pool. Candidates without an embedding (lexical-only
//       hits) are kept as they are.
//  2. Keyframes (image and frame records only): one per `seconds_per_keyframe` of the shot
//     (rounded, at least 1, at most max_keyframes). Pinned records come first, all of them, in the
//     order written. The first keyframe of an unpinned shot comes from the cross-shot pass below;
//     the rest by maximal marginal relevance:
//       argmax_c  lambda * (r(c) - reuse_penalty * used(c)) - (1 - lambda) * max_s sim(c, s)
//     over the shot's visual candidates c, s ranging over the keyframes chosen so far. used(c) says
//     c is a keyframe of an earlier shot, or the first (or a pinned) keyframe of any other shot; r is
//     the score min-max-normalised over the shot's visual candidates (CLIP's text-image and
//     image-image cosines live on different scales; normalising relevance puts the two terms of MMR
//     on comparable footing); sim is the cosine of embeddings, or for records without one
//     exp(-|dt| / continuity_window_ms) within the same source.
//  3. Guidance: the best `max_guidance` text and subtitle candidates plus the best
//     `max_visual_guidance` visual ones not chosen as keyframes (capped apart, so that footage, which
//     is usually closer to a query than prose, cannot crowd the texts out), weighted
//     softmax(score / guidance_temperature) so that they sum to 1. Pinned text/subtitle records are
//     always included, scored as the best of the pool.
//
// Across shots (Viterbi): for each shot's first keyframe, the states are its top `viterbi_states`
// visual candidates (its first pinned record alone when it has one). A path scores the sum of
// relevance r (min-max over the states, in [0, 1]) plus, between consecutive shots,
// continuity_weight * continuity(a, b) - reuse_penalty * [b already on the path], where
// continuity = same_source_share * [same source] * exp(-|ts_a - ts_b| / continuity_window_ms)
// + (1 - same_source_share) * max(0, cos(embedding_a, embedding_b)) is in [0, 1].
// continuity_weight = 0 disables the continuity reward (each shot then takes its best record that
// does not repeat one used before); reuse_penalty = 0 allows repeats. Ties break towards the better
// ranked candidate and then the smaller record id, so plans are deterministic.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "retrieval/timeline/timeline.h"
#include "schema/catalog_rows.h"
#include "schema/error.h"

namespace palimpsest {

struct Candidate {
  std::int64_t record_id = 0;
  RecordKind kind = RecordKind::image;
  double similarity = 0;  // cosine to the shot's query, [-1, 1]
  std::int64_t source_id = 0;
  std::int64_t ts_ms = 0;
  std::vector<float> embedding;  // L2-normalised; may be empty for lexical-only hits
};

class CandidateSource {
 public:
  virtual ~CandidateSource() = default;
  virtual std::vector<Candidate> candidates(const std::string& query_text, int k) = 0;  // hybrid search, best first
  virtual std::optional<Candidate> record(std::int64_t id) = 0;                         // for pinned records
  virtual std::vector<float> embed_text(const std::string& text) = 0;                   // for negative prompts
  // Called once before a plan with every text the plan will query or embed (shot texts, weighted
  // terms, negative prompts), so that a source can encode them in one batch. Optional.
  virtual void prepare(const std::vector<std::string>& texts) { (void)texts; }
};

struct PlannerOptions {
  int candidates_k = 64;
  double mmr_lambda = 0.7;
  double seconds_per_keyframe = 2.0;
  int max_keyframes = 4;
  int viterbi_states = 16;
  double continuity_weight = 0.5;  // 0 disables the continuity reward
  double reuse_penalty = 1.0;      // 0 allows a record to be a keyframe of several shots
  double continuity_window_ms = 10000;
  double same_source_share = 0.6;  // of continuity; the rest is visual similarity
  double guidance_temperature = 0.1;
  int max_guidance = 8;         // text and subtitle records
  int max_visual_guidance = 4;  // image and frame records that are not keyframes
  double negative_weight = 1.0;
  int max_negatives = 4;
  double term_weight_strength = 1.0;
  // Called after each shot is planned (shots done, shots in all), e.g. for a progress bar.
  std::function<void(int, int)> on_progress;
};

// A plan that cannot be made, e.g. a pinned record that does not exist. what() names the shot and
// its manuscript line.
class PlanningError : public Error {
 public:
  explicit PlanningError(const std::string& message) : Error(message, error_class::bad_input) {}
};

class Planner {
 public:
  explicit Planner(CandidateSource& source, PlannerOptions options = {});

  // Fills every shot's keyframes, guidance and negatives (replacing earlier results) and sets
  // timeline.planned. Throws PlanningError and whatever the source throws.
  void plan(Timeline& timeline);

 private:
  CandidateSource& source_;
  PlannerOptions options_;
  std::map<std::string, std::vector<float>> text_embeddings_;  // prompts recur across shots and runs
};

}  // namespace palimpsest
