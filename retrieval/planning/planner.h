#pragma once
// Shot planning: for every shot of a Timeline, choose keyframe records (what the shot looks like),
// guidance records with weights (what else steers it) and negative records (what to steer away
// from). The archive is reached only through CandidateSource, so planning needs neither FAISS nor
// CLIP and tests run it on a fake archive.
//
// Per shot:
//  0. Pins and excludes: PlannerOptions::pins add records to a shot's pinned records (as
//     [[record: N]] in the manuscript does); PlannerOptions::excluded records are never candidates,
//     keyframes, guidance or negatives (pinning an excluded record is a PlanningError).
//  1. Candidates, per modality (CandidateSource ranks pictures and texts apart, so texts cannot
//     crowd pictures out): the best `candidates_k` pictures and the best `candidates_k` texts
//     for the shot's text. Each candidate's score starts as its similarity, then
//     - weighted prompt terms: score += term_weight_strength * (w - 1) * cos(term, record) for every
//       term with weight w != 1 (so "(red:1.5)" pulls towards red records, "(sea:0.5)" away);
//     - negative prompt (the rule): with n = the negative text's embedding and s = the candidate's
//       similarity to the shot, a candidate with cos(n, record) > s (closer to what is not wanted
//       than to what is) is dropped and listed as a negative record; any other candidate loses
//       negative_weight * max(0, cos(n, record)). The best pictures (similarity above 0) of a
//       search for the negative text itself, up to max_negatives, are listed as negative records
//       too, unless they stay in the shot's pool. Candidates without an embedding (lexical-only
//       hits) are kept as they are.
//     A score's calibrated value is z = (score - mean) / sd with the candidate's modality
//     background for the query (Candidate::background_*), plus the candidate's lexical part
//     (Candidate::lexical), as search fuses them; an uncalibrated score, from lexical-only
//     planning, counts as score / kUncalibratedScale. Pools are ranked by it.
//  1b. Threshold: a picture whose calibrated score is below picture_threshold is no keyframe and
//     no guidance (pinned pictures always are). A shot left without pictures gets a warning
//     naming it, its manuscript line and its best picture below the threshold; its frames borrow
//     and fall back as shot_pictures.h says, which the warning tells too.
//  2. Keyframes (pictures only): one per `seconds_per_keyframe` of the shot
//     (rounded, at least 1, at most max_keyframes). Pinned records come first, all of them, in the
//     order written. The first keyframe of an unpinned shot comes from the cross-shot pass below;
//     the rest by maximal marginal relevance:
//       argmax_c  lambda * (r(c) - reuse_penalty * used(c)) - (1 - lambda) * max_s sim(c, s)
//     over the shot's pictures c above the threshold, s ranging over the keyframes chosen so far.
//     used(c) says c is a keyframe of an earlier shot, or the first (or a pinned) keyframe of any
//     other shot; r is the calibrated score mapped linearly from mmr_relevance_floor (0) to the
//     shot's best (1), clamped (CLIP's text-image and image-image cosines live on different scales;
//     normalising relevance puts the two terms of MMR on comparable footing, and anchoring it on
//     the calibrated scale keeps it independent of how many candidates were fetched); without
//     calibration, r is min-max over the pool. sim is the cosine of embeddings, or for records
//     without one exp(-|dt| / continuity_window_ms) within the same source.
//  3. Guidance, among texts and pictures: the best `max_guidance` texts plus the best
//     `max_visual_guidance` pictures not chosen as keyframes (capped apart, so that footage cannot
//     crowd the texts out nor texts the footage), weighted softmax(z / guidance_temperature) over
//     their calibrated scores, which share one scale across modalities, so that they sum to 1.
//     Pinned texts are always included, scored as the best of the pool.
//
// Across shots (Viterbi): for each shot's first keyframe, the states are its top `viterbi_states`
// visual candidates (its first pinned record alone when it has one). A path scores the sum of
// relevance r (the calibrated scores min-max over the states, in [0, 1]) plus, between consecutive shots,
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
#include <set>
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
  // The background of the candidate's modality for the query (score_background.h): a score s
  // calibrates to (s - background_mean) / background_sd. background_sd 0: not calibrated.
  double background_mean = 0;
  double background_sd = 0;
  // The lexical part of the record's fused search score (kLexicalWeight x BM25 / the best BM25,
  // rank_fusion.h), on the calibrated scale: added to the calibrated score, so that a picture whose
  // own title or text matches the line is not buried by dense noise. 0 when not calibrated.
  double lexical = 0;
  std::int64_t source_id = 0;
  std::int64_t ts_ms = 0;
  std::vector<float> embedding;  // L2-normalised; may be empty for lexical-only hits
};

class CandidateSource {
 public:
  virtual ~CandidateSource() = default;
  // The best k records of one modality for the text (hybrid search), best first.
  virtual std::vector<Candidate> candidates(const std::string& query_text, Modality modality, int k) = 0;
  virtual std::optional<Candidate> record(std::int64_t id) = 0;                         // for pinned records
  virtual std::vector<float> embed_text(const std::string& text) = 0;                   // for negative prompts
  // Called once before a plan with every text the plan will query or embed (shot texts, weighted
  // terms, negative prompts), so that a source can encode them in one batch. Optional.
  virtual void prepare(const std::vector<std::string>& texts) { (void)texts; }
};

inline constexpr double kDefaultPictureThreshold = 1.0;
inline constexpr double kUncalibratedScale = 0.1;

struct PlannerOptions {
  int candidates_k = 64;
  double mmr_lambda = 0.7;
  double mmr_relevance_floor = -0.5;  // the calibrated score where MMR's relevance is 0
  double seconds_per_keyframe = 2.0;
  int max_keyframes = 4;
  int viterbi_states = 16;
  double continuity_weight = 0.5;  // 0 disables the continuity reward
  double reuse_penalty = 1.0;      // 0 allows a record to be a keyframe of several shots
  double continuity_window_ms = 10000;
  double same_source_share = 0.6;  // of continuity; the rest is visual similarity
  double guidance_temperature = 1.0;  // on the calibrated scale (background standard deviations)
  // Pictures whose calibrated score is below this are not used (see 1b). 0 keeps every picture
  // that is at least as close to the line as a typical picture of the archive.
  double picture_threshold = kDefaultPictureThreshold;
  std::map<int, std::vector<std::int64_t>> pins;  // shot index -> records pinned to it
  std::set<std::int64_t> excluded;
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

  // Fills every shot's keyframes, guidance and negatives (replacing earlier results), adds the
  // options' pins to the shots, appends a warning for every shot without pictures of its own
  // (replacing those of an earlier plan) and sets timeline.planned. Throws PlanningError and
  // whatever the source throws.
  void plan(Timeline& timeline);

 private:
  CandidateSource& source_;
  PlannerOptions options_;
  std::map<std::string, std::vector<float>> text_embeddings_;  // prompts recur across shots and runs
};

}  // namespace palimpsest
