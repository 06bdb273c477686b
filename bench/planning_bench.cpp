// Planning benchmark: how long Planner::plan takes for real screenplays on a catalog (the demo
// archive), with three candidate sources measured in the same run:
//
//   before   the path `palimpsest plan` took before the vector store: ExactDenseIndex (every
//            embedding read into memory at open), the shot text encoded twice per search, one
//            catalog.record() per fused hit and one catalog.embeddings().get() per candidate, no caches
//            (a faithful copy of the old ArchiveCandidateSource + Searcher, kept here as the
//            baseline);
//   lexical  FTS5 only (no model): the floor set by SQLite;
//   store    what `plan` does now: open_dense_index (the FAISS vector store beside the catalog),
//            ArchiveCandidateSource with its caches and one batched text encoding per plan.
//
// Each timing is Planner::plan alone (what `palimpsest plan` prints as "planning N ms"), median
// of --repeat runs, each with a fresh source (cold caches). Index opening is timed apart. The
// plans of "before" and "store" are compared shot by shot (keyframes and guidance records).
//
//   palimpsest --db /tmp/d/palimpsest.db demo --out /tmp/d     # the demo archive, embedded
//   OMP_WAIT_POLICY=passive build-a/bench/planning_bench --db /tmp/d/palimpsest.db
//       [--manuscript FILE]... [--repeat 5]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "indexer/clip/clip_encoder.h"
#include "indexer/clip/model_location.h"
#include "indexer/vector/parallel_for.h"
#include "retrieval/archive_candidate_source.h"
#include "retrieval/search/dense_index.h"
#include "retrieval/timeline/manuscript.h"
#include "retrieval/planning/planner.h"
#include "retrieval/search/rank_fusion.h"
#include "schema/embedding_store.h"

using namespace palimpsest;

#ifndef PALIMPSEST_SOURCE_DIR
#define PALIMPSEST_SOURCE_DIR "."  // run from the repository root
#endif

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

std::string load_average() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return a + " " + b + " " + c;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Reciprocal rank fusion (k = 60), as search fused before its lists were calibrated.
std::vector<FusedHit> reciprocal_rank_fusion(const std::vector<ScoredId>& dense, const std::vector<ScoredId>& lexical) {
  std::map<std::int64_t, FusedHit> by_id;
  auto add = [&](const std::vector<ScoredId>& list, bool is_dense) {
    int rank = 0;
    for (const ScoredId& hit : list) {
      FusedHit& f = by_id[hit.record_id];
      f.record_id = hit.record_id;
      auto& r = is_dense ? f.dense_rank : f.lexical_rank;
      ++rank;
      if (r) continue;
      r = rank;
      (is_dense ? f.dense_score : f.lexical_score) = hit.score;
      f.fused_score += 1.0 / (60 + rank);
    }
  };
  add(dense, true);
  add(lexical, false);
  std::vector<FusedHit> out;
  for (auto& [id, hit] : by_id) out.push_back(hit);
  std::stable_sort(out.begin(), out.end(), [](const FusedHit& a, const FusedHit& b) { return a.fused_score > b.fused_score; });
  return out;
}

// The candidate source `plan` used before this change, verbatim in behaviour.
class BeforeCandidateSource : public CandidateSource {
 public:
  BeforeCandidateSource(Catalog& catalog, ClipEncoder* encoder, DenseIndex* index, std::int64_t model_id)
      : catalog_(catalog), encoder_(encoder), index_(index), model_id_(model_id) {}

  // The old mixed ranking, cut to the modality asked for (the planner now asks per modality).
  std::vector<Candidate> candidates(const std::string& query_text, Modality modality, int k) override {
    std::vector<Candidate> out;
    if (query_text.find_first_not_of(" \t\r\n") == std::string::npos) return out;
    k = std::clamp(k, 1, 1000);
    std::vector<float> query;
    if (encoder_ && index_) query = encode(query_text);  // ArchiveCandidateSource's own copy
    const int depth = std::max(k * 2, 50);
    std::vector<ScoredId> dense, lexical;
    if (encoder_ && index_) dense = index_->search(encode(query_text), depth, nullptr);  // the Searcher's
    for (const LexicalHit& h : catalog_.lexical_search(query_text, SearchFilter{}, depth))
      lexical.push_back({h.record_id, h.score});
    std::vector<std::pair<RecordRow, FusedHit>> results;
    for (FusedHit& hit : reciprocal_rank_fusion(dense, lexical)) {
      if (static_cast<int>(results.size()) >= k) break;
      auto record = catalog_.record(hit.record_id);
      if (!record || modality_of(record->kind) != modality) continue;
      results.emplace_back(std::move(*record), hit);
    }
    double best_lexical = 0;
    for (const auto& r : results) best_lexical = std::max(best_lexical, r.second.lexical_score.value_or(0));
    for (const auto& r : results) {
      out.push_back(to_candidate(r.first, query.empty() ? nullptr : &query));
      if (query.empty() && best_lexical > 0) out.back().similarity = r.second.lexical_score.value_or(0) / best_lexical;
    }
    return out;
  }
  std::optional<Candidate> record(std::int64_t id) override {
    auto r = catalog_.record(id);
    if (!r) return std::nullopt;
    return to_candidate(*r, nullptr);
  }
  std::vector<float> embed_text(const std::string& text) override {
    if (!encoder_) return {};
    return encoder_->encode_texts({text}).at(0);
  }

 private:
  std::vector<float> encode(const std::string& text) { return encoder_->encode_texts({text}).at(0); }
  Candidate to_candidate(const RecordRow& r, const std::vector<float>* query) {
    Candidate c;
    c.record_id = r.id;
    c.kind = r.kind;
    c.source_id = r.source_id;
    c.ts_ms = r.ts_ms;
    if (encoder_ && model_id_ > 0)
      if (auto v = catalog_.embeddings().get(r.id, model_id_)) c.embedding = std::move(*v);
    if (query && c.embedding.size() == query->size()) {
      double dot = 0;
      for (std::size_t i = 0; i < query->size(); ++i) dot += static_cast<double>(c.embedding[i]) * (*query)[i];
      c.similarity = dot;
    }
    return c;
  }
  Catalog& catalog_;
  ClipEncoder* encoder_;
  DenseIndex* index_;
  std::int64_t model_id_;
};

struct Plan {
  double ms = 0;
  Timeline timeline;
};

Plan plan_once(const Timeline& shots, CandidateSource& source) {
  Plan p;
  p.timeline = shots;
  const auto t0 = Clock::now();
  Planner(source).plan(p.timeline);
  p.ms = ms_since(t0);
  return p;
}

// Shots whose keyframe records (in order) are the same in both plans, and those whose guidance
// records (as a set, in order) are too.
std::pair<int, int> agreement(const Timeline& a, const Timeline& b) {
  int keyframes = 0, guidance = 0;
  for (std::size_t i = 0; i < a.shots.size() && i < b.shots.size(); ++i) {
    std::vector<std::int64_t> ka, kb, ga, gb;
    for (const auto& k : a.shots[i].keyframes) ka.push_back(k.record_id);
    for (const auto& k : b.shots[i].keyframes) kb.push_back(k.record_id);
    for (const auto& g : a.shots[i].guidance) ga.push_back(g.record_id);
    for (const auto& g : b.shots[i].guidance) gb.push_back(g.record_id);
    keyframes += ka == kb;
    guidance += ga == gb;
  }
  return {keyframes, guidance};
}

}  // namespace

int main(int argc, char** argv) {
  std::string db;
  std::vector<std::string> manuscripts;
  int repeat = 5;
  std::string command = argv[0];
  for (int i = 1; i < argc; ++i) command += std::string(" ") + argv[i];
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--db") db = value;
    else if (flag == "--manuscript") manuscripts.push_back(value);
    else if (flag == "--repeat") repeat = std::max(1, std::stoi(value));
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  if (db.empty()) {
    std::fprintf(stderr, "usage: planning_bench --db CATALOG [--manuscript FILE]... [--repeat N]\n");
    return 2;
  }
  if (manuscripts.empty())
    manuscripts = {std::string(PALIMPSEST_SOURCE_DIR) + "/data/demo.fountain",
                   std::string(PALIMPSEST_SOURCE_DIR) + "/tests/timeline/data/harbour_lights.fountain"};
  std::printf("command: %s\nload average at start: %s\n", command.c_str(), load_average().c_str());

  Catalog catalog(db);
  const auto model_dir = default_model_dir();
  if (!model_dir) {
    std::fprintf(stderr, "no embedding model found\n");
    return 1;
  }
  auto t0 = Clock::now();
  std::unique_ptr<ClipEncoder> encoder = ClipEncoder::load(*model_dir);
  const double load_model_ms = ms_since(t0);
  const auto model = catalog.embeddings().find_model(encoder->info().name, encoder->info().weights_sha256);
  if (!model || catalog.embeddings().count(model->id) == 0) {
    std::fprintf(stderr, "the catalog has no vectors for %s: run palimpsest demo or ingest first\n",
                 encoder->info().name.c_str());
    return 1;
  }
  t0 = Clock::now();
  ExactDenseIndex exact(catalog, model->id);
  const double open_exact_ms = ms_since(t0);
  t0 = Clock::now();
  std::unique_ptr<DenseIndex> store = open_dense_index(catalog, model->id);
  const double open_store_ms = ms_since(t0);
  std::printf("model %s loaded in %.0f ms; %lld vectors; ExactDenseIndex opened in %.1f ms, vector store in %.1f ms\n",
              encoder->info().name.c_str(), load_model_ms,
              static_cast<long long>(catalog.embeddings().count(model->id)), open_exact_ms, open_store_ms);

  std::printf("\n| manuscript | shots | before (ms) | lexical only (ms) | store (ms) | before / store | same keyframes | same guidance |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const std::string& path : manuscripts) {
    const Timeline shots = plan_shots(std::filesystem::path(path));
    std::vector<double> before_ms, lexical_ms, store_ms;
    Plan before_plan, store_plan;
    // A warm-up of each path, then `repeat` interleaved runs.
    for (int r = 0; r <= repeat; ++r) {
      {
        BeforeCandidateSource source(catalog, encoder.get(), &exact, model->id);
        Plan p = plan_once(shots, source);
        if (r > 0) before_ms.push_back(p.ms);
        before_plan = std::move(p);
      }
      {
        ArchiveCandidateSource source(catalog, nullptr, nullptr, model->id);
        Plan p = plan_once(shots, source);
        if (r > 0) lexical_ms.push_back(p.ms);
      }
      {
        ArchiveCandidateSource source(catalog, encoder.get(), store.get(), model->id);
        Plan p = plan_once(shots, source);
        if (r > 0) store_ms.push_back(p.ms);
        store_plan = std::move(p);
      }
    }
    // What the shot texts cost the text encoder: one batch (what the store path does through
    // prepare()) against one call per text.
    std::vector<std::string> texts;
    for (const Shot& shot : shots.shots)
      if (!shot.text.empty()) texts.push_back(shot.text);
    auto te = Clock::now();
    (void)encoder->encode_texts(texts);
    const double batch_ms = ms_since(te);
    te = Clock::now();
    for (const std::string& t : texts) (void)encoder->encode_texts({t});
    const double single_ms = ms_since(te);
    double one_thread_ms = 0;
    {
      OmpThreadScope one(1);
      te = Clock::now();
      (void)encoder->encode_texts(texts);
      one_thread_ms = ms_since(te);
    }
    std::fprintf(stderr, "%s: %zu shot texts encoded in one batch in %.1f ms (one OpenMP thread: %.1f ms), one by one in %.1f ms\n",
                 std::filesystem::path(path).filename().string().c_str(), texts.size(), batch_ms, one_thread_ms, single_ms);
    const auto [same_keyframes, same_guidance] = agreement(before_plan.timeline, store_plan.timeline);
    std::printf("| %s | %zu | %.1f | %.1f | %.1f | %.1fx | %d/%zu | %d/%zu |\n",
                std::filesystem::path(path).filename().string().c_str(), shots.shots.size(), median(before_ms),
                median(lexical_ms), median(store_ms), median(before_ms) / std::max(median(store_ms), 1e-9),
                same_keyframes, shots.shots.size(), same_guidance, shots.shots.size());
    std::fflush(stdout);
  }
  std::printf("\nmedian of %d runs each (after one warm-up), Planner::plan only, fresh source per run; "
              "load average at end: %s\n",
              repeat, load_average().c_str());
  return 0;
}
