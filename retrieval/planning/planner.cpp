// The planner (rules and formulas in planner.h): gather and score each shot's candidates, choose
// first keyframes across shots with a Viterbi pass, then fill each shot's keyframes by maximal
// marginal relevance and weight its guidance.

#include "retrieval/planning/planner.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <cstdio>
#include <unordered_set>

#include "retrieval/timeline/shot_pictures.h"

namespace palimpsest {
namespace {

bool is_visual(RecordKind kind) { return kind == RecordKind::image || kind == RecordKind::frame; }

// Cosine of two embeddings; nullopt when either is missing or their sizes differ.
std::optional<double> cosine(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.empty() || a.size() != b.size()) return std::nullopt;
  double dot = 0, na = 0, nb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    dot += static_cast<double>(a[i]) * b[i];
    na += static_cast<double>(a[i]) * a[i];
    nb += static_cast<double>(b[i]) * b[i];
  }
  if (na <= 0 || nb <= 0) return std::nullopt;
  return dot / std::sqrt(na * nb);
}

std::string shot_name(const Shot& shot) {
  return "shot " + std::to_string(shot.index) +
         (shot.source_line > 0 ? " (line " + std::to_string(shot.source_line) + ")" : "");
}

struct Scored {
  Candidate candidate;
  double score = 0;
  // The score on the calibrated scale, with the candidate's lexical part (planner.h, 1.).
  double calibrated() const {
    if (candidate.background_sd > 0)
      return (score - candidate.background_mean) / candidate.background_sd + candidate.lexical;
    return score / kUncalibratedScale;
  }
};

struct ShotPool {
  std::vector<Scored> pinned_visual;  // in the order written
  std::vector<Scored> pinned_text;
  std::vector<Scored> visual;  // best first, without pinned or dropped records
  std::vector<Scored> text;    // best first, without pinned or dropped records
  std::vector<NegativeRecord> negatives;
  int keyframe_count = 1;
  std::optional<Scored> best_below;  // the best picture the threshold left out
};

// Best first on the calibrated scale; equal scores by smaller record id, so plans do not depend
// on the source's order.
void sort_best_first(std::vector<Scored>& items) {
  std::stable_sort(items.begin(), items.end(), [](const Scored& a, const Scored& b) {
    if (a.calibrated() != b.calibrated()) return a.calibrated() > b.calibrated();
    return a.candidate.record_id < b.candidate.record_id;
  });
}

// Each score min-max normalised against `range` (its lowest and highest value), clamped to
// [0, 1]; all 1 when the range does not spread.
std::vector<double> min_max(const std::vector<double>& scores, const std::vector<double>& range) {
  if (scores.empty()) return {};
  std::vector<double> out(scores.size(), 1.0);
  if (range.empty()) return out;
  const auto [lo, hi] = std::minmax_element(range.begin(), range.end());
  const double spread = *hi - *lo;
  if (spread <= 1e-12) return out;
  for (std::size_t i = 0; i < scores.size(); ++i) out[i] = std::clamp((scores[i] - *lo) / spread, 0.0, 1.0);
  return out;
}

class PlanRun {
 public:
  PlanRun(CandidateSource& source, const PlannerOptions& options, std::map<std::string, std::vector<float>>& cache)
      : source_(source), options_(options), text_embeddings_(cache) {}

  void run(Timeline& timeline) {
    std::vector<ShotPool> pools;
    pools.reserve(timeline.shots.size());
    const int total = static_cast<int>(timeline.shots.size());
    for (const Shot& shot : timeline.shots) {
      pools.push_back(gather(shot, timeline.fps));
      if (options_.on_progress) options_.on_progress(static_cast<int>(pools.size()), total);
    }
    const std::vector<std::optional<std::size_t>> firsts = first_keyframes(pools);
    // The cross-shot pass has committed every shot's first keyframe (and pins are fixed): the other
    // keyframes of a shot must not take one of those from another shot.
    for (std::size_t t = 0; t < pools.size(); ++t) {
      for (const Scored& pinned : pools[t].pinned_visual) reserved_.insert(pinned.candidate.record_id);
      if (pools[t].pinned_visual.empty() && firsts[t]) reserved_.insert(pools[t].visual[*firsts[t]].candidate.record_id);
    }
    for (std::size_t t = 0; t < timeline.shots.size(); ++t) fill(timeline.shots[t], pools[t], firsts[t]);
    timeline.planned = true;
    warn(timeline, pools);
  }

 private:
  const std::vector<float>& text_embedding(const std::string& text) {
    auto it = text_embeddings_.find(text);
    if (it == text_embeddings_.end()) it = text_embeddings_.emplace(text, source_.embed_text(text)).first;
    return it->second;
  }

  // A warning for every shot without pictures of its own (planner.h, 1b), replacing the planner's
  // warnings of an earlier run (they start with "shot N").
  void warn(Timeline& timeline, const std::vector<ShotPool>& pools) const {
    std::erase_if(timeline.warnings, [](const std::string& w) { return w.rfind("shot ", 0) == 0; });
    for (const ShotPictures& p : shot_pictures(timeline)) {
      if (p.status == ShotPictureStatus::own) continue;
      const ShotPool& pool = pools.at(static_cast<std::size_t>(p.shot));
      char threshold[32];
      std::snprintf(threshold, sizeof threshold, "%.2g", options_.picture_threshold);
      std::string why;
      if (timeline.shots[static_cast<std::size_t>(p.shot)].text.empty() && pool.pinned_visual.empty()) {
        why = "no text to search pictures for";
      } else if (pool.best_below) {
        char best[96];
        std::snprintf(best, sizeof best, "best: record %lld at %.2f", static_cast<long long>(pool.best_below->candidate.record_id),
                      pool.best_below->calibrated());
        why = std::string("no picture above the threshold ") + threshold + " (" + best + ")";
      } else {
        why = "no picture found";
      }
      timeline.warnings.push_back(shot_pictures_warning(timeline, p, why));
    }
  }

  // ---- one shot's candidates -------------------------------------------------------------------

  ShotPool gather(const Shot& shot, double fps) {
    ShotPool pool;
    const double seconds = static_cast<double>(shot.frame_count()) / fps;
    const long wanted = std::lround(seconds / std::max(options_.seconds_per_keyframe, 1e-9));
    pool.keyframe_count = static_cast<int>(std::clamp<long>(wanted, 1, std::max(1, options_.max_keyframes)));

    std::unordered_set<std::int64_t> seen;
    std::vector<std::int64_t> pinned_records = shot.pinned_records;
    if (const auto pins = options_.pins.find(shot.index); pins != options_.pins.end())
      pinned_records.insert(pinned_records.end(), pins->second.begin(), pins->second.end());
    for (std::int64_t id : pinned_records) {
      if (options_.excluded.count(id))
        throw PlanningError(shot_name(shot) + ": record " + std::to_string(id) + " is both pinned and excluded");
      if (!seen.insert(id).second) continue;
      std::optional<Candidate> record = source_.record(id);
      if (!record) throw PlanningError(shot_name(shot) + ": pinned record " + std::to_string(id) + " does not exist");
      Scored pinned{std::move(*record), 0};
      pinned.score = pinned.candidate.similarity;
      (is_visual(pinned.candidate.kind) ? pool.pinned_visual : pool.pinned_text).push_back(std::move(pinned));
    }

    std::vector<Scored> found;
    if (!shot.text.empty()) {
      for (Modality modality : {Modality::picture, Modality::text}) {
        for (Candidate& candidate : source_.candidates(shot.text, modality, options_.candidates_k)) {
          if (options_.excluded.count(candidate.record_id) || !seen.insert(candidate.record_id).second) continue;
          const double similarity = candidate.similarity;
          found.push_back({std::move(candidate), similarity});
        }
      }
    }
    weigh_terms(shot, found);
    apply_negative(shot, found, pool);

    for (Scored& item : found) {
      if (!is_visual(item.candidate.kind)) {
        pool.text.push_back(std::move(item));
      } else if (item.calibrated() >= options_.picture_threshold) {
        pool.visual.push_back(std::move(item));
      } else if (!pool.best_below || item.calibrated() > pool.best_below->calibrated()) {
        pool.best_below = std::move(item);
      }
    }
    sort_best_first(pool.visual);
    sort_best_first(pool.text);
    return pool;
  }

  void weigh_terms(const Shot& shot, std::vector<Scored>& found) {
    if (options_.term_weight_strength == 0) return;
    for (const PromptTerm& term : shot.terms) {
      if (term.weight == 1.0 || term.text.empty()) continue;
      const std::vector<float>& e = text_embedding(term.text);
      for (Scored& item : found)
        if (const auto c = cosine(e, item.candidate.embedding))
          item.score += options_.term_weight_strength * (term.weight - 1.0) * *c;
    }
  }

  void apply_negative(const Shot& shot, std::vector<Scored>& found, ShotPool& pool) {
    if (shot.negative.empty()) return;
    const std::vector<float>& negative = text_embedding(shot.negative);
    std::vector<Scored> kept;
    kept.reserve(found.size());
    for (Scored& item : found) {
      const auto c = cosine(negative, item.candidate.embedding);
      if (c && *c > item.candidate.similarity) {
        pool.negatives.push_back({item.candidate.record_id, *c});
        continue;
      }
      if (c) item.score -= options_.negative_weight * std::max(0.0, *c);
      kept.push_back(std::move(item));
    }
    found = std::move(kept);

    // The records that best show what is not wanted, unless the shot keeps them.
    std::unordered_set<std::int64_t> excluded;
    for (const Scored& item : found) excluded.insert(item.candidate.record_id);
    for (const auto* pins : {&pool.pinned_visual, &pool.pinned_text})
      for (const Scored& item : *pins) excluded.insert(item.candidate.record_id);
    for (const NegativeRecord& n : pool.negatives) excluded.insert(n.record_id);
    std::vector<Scored> hits;
    for (Candidate& hit : source_.candidates(shot.negative, Modality::picture, options_.candidates_k)) {
      if (!is_visual(hit.kind) || hit.similarity <= 0 || excluded.count(hit.record_id) ||
          options_.excluded.count(hit.record_id))
        continue;
      const double similarity = hit.similarity;
      hits.push_back({std::move(hit), similarity});
    }
    sort_best_first(hits);
    int added = 0;
    for (const Scored& hit : hits) {
      if (added >= options_.max_negatives) break;
      if (!excluded.insert(hit.candidate.record_id).second) continue;
      const auto c = cosine(negative, hit.candidate.embedding);
      pool.negatives.push_back({hit.candidate.record_id, c ? *c : hit.score});
      ++added;
    }
    std::stable_sort(pool.negatives.begin(), pool.negatives.end(), [](const NegativeRecord& a, const NegativeRecord& b) {
      if (a.similarity != b.similarity) return a.similarity > b.similarity;
      return a.record_id < b.record_id;
    });
  }

  // ---- across shots ----------------------------------------------------------------------------

  double continuity(const Candidate& a, const Candidate& b) const {
    double temporal = 0;
    if (a.source_id == b.source_id) {
      const double dt = std::fabs(static_cast<double>(a.ts_ms - b.ts_ms));
      temporal = std::exp(-dt / std::max(options_.continuity_window_ms, 1e-9));
    }
    const double visual = std::max(0.0, cosine(a.embedding, b.embedding).value_or(0.0));
    return options_.same_source_share * temporal + (1.0 - options_.same_source_share) * visual;
  }

  // For each shot, the index into its visual pool of the first keyframe (0 for a pinned first
  // keyframe, which is its only state), or nullopt when it has no visual record at all.
  std::vector<std::optional<std::size_t>> first_keyframes(const std::vector<ShotPool>& pools) const {
    struct State {
      const Candidate* record = nullptr;  // nullptr: a shot without visual records
      std::size_t pool_index = 0;
      double relevance = 0;
    };
    std::vector<std::vector<State>> layers;
    layers.reserve(pools.size());
    for (const ShotPool& pool : pools) {
      std::vector<State> states;
      if (!pool.pinned_visual.empty()) {
        states.push_back({&pool.pinned_visual.front().candidate, 0, 1.0});
      } else {
        const std::size_t n = std::min<std::size_t>(pool.visual.size(), static_cast<std::size_t>(std::max(1, options_.viterbi_states)));
        std::vector<double> scores;
        for (std::size_t i = 0; i < n; ++i) scores.push_back(pool.visual[i].calibrated());
        const std::vector<double> relevance = min_max(scores, scores);
        for (std::size_t i = 0; i < n; ++i) states.push_back({&pool.visual[i].candidate, i, relevance[i]});
      }
      if (states.empty()) states.push_back({});
      layers.push_back(std::move(states));
    }
    if (layers.empty()) return {};

    std::vector<std::vector<int>> back(layers.size());
    std::vector<double> totals;
    std::vector<std::unordered_set<std::int64_t>> paths;  // records on each state's best path
    for (std::size_t t = 0; t < layers.size(); ++t) {
      const std::vector<State>& states = layers[t];
      std::vector<double> next_totals(states.size());
      std::vector<std::unordered_set<std::int64_t>> next_paths(states.size());
      back[t].assign(states.size(), -1);
      for (std::size_t j = 0; j < states.size(); ++j) {
        const State& to = states[j];
        double best = 0;
        int arg = -1;
        if (t > 0) {
          best = -std::numeric_limits<double>::infinity();
          const std::vector<State>& previous = layers[t - 1];
          for (std::size_t i = 0; i < previous.size(); ++i) {
            double value = totals[i];
            if (to.record && previous[i].record)
              value += options_.continuity_weight * continuity(*previous[i].record, *to.record);
            if (to.record && paths[i].count(to.record->record_id)) value -= options_.reuse_penalty;
            if (value > best + 1e-12) {
              best = value;
              arg = static_cast<int>(i);
            }
          }
          next_paths[j] = paths[static_cast<std::size_t>(arg)];
        }
        next_totals[j] = best + to.relevance;
        back[t][j] = arg;
        if (to.record) next_paths[j].insert(to.record->record_id);
      }
      totals = std::move(next_totals);
      paths = std::move(next_paths);
    }

    std::size_t state = 0;
    for (std::size_t j = 1; j < totals.size(); ++j)
      if (totals[j] > totals[state] + 1e-12) state = j;
    std::vector<std::optional<std::size_t>> out(layers.size());
    for (std::size_t t = layers.size(); t-- > 0;) {
      const State& chosen = layers[t][state];
      if (chosen.record) out[t] = chosen.pool_index;
      if (t > 0) state = static_cast<std::size_t>(back[t][state]);
    }
    return out;
  }

  // ---- one shot's results ----------------------------------------------------------------------

  // MMR's relevance r of each picture of the pool (planner.h, 2.): its calibrated score between
  // mmr_relevance_floor (0) and the pool's best (1); min-max over the pool when uncalibrated.
  std::vector<double> mmr_relevance(const ShotPool& pool) const {
    std::vector<double> scores;
    bool calibrated = true;
    for (const Scored& item : pool.visual) {
      scores.push_back(item.score);
      calibrated = calibrated && item.candidate.background_sd > 0;
    }
    if (!calibrated || pool.visual.empty()) return min_max(scores, scores);
    std::vector<double> z;
    for (const Scored& item : pool.visual) z.push_back(item.calibrated());
    return min_max(z, {options_.mmr_relevance_floor, *std::max_element(z.begin(), z.end())});
  }

  // Redundancy between two records for MMR.
  double redundancy(const Candidate& a, const Candidate& b) const {
    if (a.record_id == b.record_id) return 1.0;
    if (const auto c = cosine(a.embedding, b.embedding)) return *c;
    if (a.source_id != b.source_id) return 0.0;
    return std::exp(-std::fabs(static_cast<double>(a.ts_ms - b.ts_ms)) / std::max(options_.continuity_window_ms, 1e-9));
  }

  // Whether a record is a keyframe elsewhere: of an earlier shot, or the first (or pinned) keyframe
  // of any shot. Called only for records not yet chosen for the shot being filled.
  bool used(std::int64_t id) const { return used_.count(id) > 0 || reserved_.count(id) > 0; }

  void fill(Shot& shot, const ShotPool& pool, std::optional<std::size_t> first) {
    shot.keyframes.clear();
    shot.guidance.clear();
    shot.negatives = pool.negatives;

    struct Chosen {
      const Scored* item;
      bool pinned;
    };
    std::vector<Chosen> chosen;
    std::vector<bool> taken(pool.visual.size(), false);
    for (const Scored& item : pool.pinned_visual) chosen.push_back({&item, true});
    if (pool.pinned_visual.empty() && first) {
      chosen.push_back({&pool.visual[*first], false});
      taken[*first] = true;
    }

    const std::vector<double> relevance = mmr_relevance(pool);
    const double lambda = options_.mmr_lambda;
    while (static_cast<int>(chosen.size()) < pool.keyframe_count) {
      std::optional<std::size_t> best;
      double best_value = -std::numeric_limits<double>::infinity();
      for (std::size_t i = 0; i < pool.visual.size(); ++i) {
        if (taken[i]) continue;
        const Candidate& c = pool.visual[i].candidate;
        double similar = 0;
        for (const Chosen& s : chosen) similar = std::max(similar, redundancy(c, s.item->candidate));
        const double value =
            lambda * (relevance[i] - (used(c.record_id) ? options_.reuse_penalty : 0.0)) - (1.0 - lambda) * similar;
        if (value > best_value + 1e-12) {
          best_value = value;
          best = i;
        }
      }
      if (!best) break;
      taken[*best] = true;
      chosen.push_back({&pool.visual[*best], false});
    }

    const std::int64_t frames = shot.frame_count();
    const auto count = static_cast<std::int64_t>(chosen.size());
    for (std::int64_t j = 0; j < count; ++j) {
      const Chosen& k = chosen[static_cast<std::size_t>(j)];
      shot.keyframes.push_back({k.item->candidate.record_id, shot.start_frame + (j * frames) / count, k.pinned, k.item->score});
      used_.insert(k.item->candidate.record_id);
    }

    // Guidance: the best texts and the best visual records left over (each group capped on its own,
    // so that footage, usually closer to the query than prose, cannot crowd the texts out), best
    // first, then softmax weights.
    std::vector<const Scored*> guidance;
    const auto text_cap = static_cast<std::size_t>(std::max(0, options_.max_guidance));
    for (std::size_t i = 0; i < pool.text.size() && i < text_cap; ++i) guidance.push_back(&pool.text[i]);
    std::size_t visual_left = static_cast<std::size_t>(std::max(0, options_.max_visual_guidance));
    for (std::size_t i = 0; i < pool.visual.size() && visual_left > 0; ++i) {
      if (taken[i]) continue;
      guidance.push_back(&pool.visual[i]);
      --visual_left;
    }
    std::stable_sort(guidance.begin(), guidance.end(), [](const Scored* a, const Scored* b) {
      if (a->calibrated() != b->calibrated()) return a->calibrated() > b->calibrated();
      return a->candidate.record_id < b->candidate.record_id;
    });
    const double pool_best = guidance.empty() ? -std::numeric_limits<double>::infinity() : guidance.front()->calibrated();

    struct Weighted {
      const Scored* item;
      double score;  // calibrated
      bool pinned;
    };
    std::vector<Weighted> weighted;
    for (const Scored& item : pool.pinned_text) weighted.push_back({&item, std::max(item.calibrated(), pool_best), true});
    for (const Scored* item : guidance) weighted.push_back({item, item->calibrated(), false});
    if (weighted.empty()) return;
    const double temperature = std::max(options_.guidance_temperature, 1e-6);
    double top = -std::numeric_limits<double>::infinity();
    for (const Weighted& w : weighted) top = std::max(top, w.score);
    std::vector<double> exps;
    double sum = 0;
    for (const Weighted& w : weighted) {
      exps.push_back(std::exp((w.score - top) / temperature));
      sum += exps.back();
    }
    for (std::size_t i = 0; i < weighted.size(); ++i) {
      const Candidate& c = weighted[i].item->candidate;
      // similarity stays the raw score (a cosine after terms and negatives); the weight came from z.
      shot.guidance.push_back({c.record_id, c.kind, exps[i] / sum, weighted[i].item->score, weighted[i].pinned});
    }
  }

  CandidateSource& source_;
  const PlannerOptions& options_;
  std::map<std::string, std::vector<float>>& text_embeddings_;
  std::unordered_set<std::int64_t> used_;      // keyframes of shots filled so far
  std::unordered_set<std::int64_t> reserved_;  // first and pinned keyframes of every shot
};

}  // namespace

Planner::Planner(CandidateSource& source, PlannerOptions options) : source_(source), options_(std::move(options)) {}

void Planner::plan(Timeline& timeline) {
  for (const auto& [shot, records] : options_.pins)
    if (shot < 0 || shot >= static_cast<int>(timeline.shots.size()))
      throw PlanningError("a record is pinned to shot " + std::to_string(shot) + ", but the timeline has shots 0 .. " +
                          std::to_string(static_cast<int>(timeline.shots.size()) - 1));
  std::vector<std::string> texts;
  for (const Shot& shot : timeline.shots) {
    if (!shot.text.empty()) texts.push_back(shot.text);
    if (!shot.negative.empty()) texts.push_back(shot.negative);
    if (options_.term_weight_strength != 0)
      for (const PromptTerm& term : shot.terms)
        if (term.weight != 1.0 && !term.text.empty()) texts.push_back(term.text);
  }
  source_.prepare(texts);
  PlanRun(source_, options_, text_embeddings_).run(timeline);
}

}  // namespace palimpsest
