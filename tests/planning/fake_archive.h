#pragma once
// A small archive in memory for planner and OTIO tests: records with captions in the demo world's
// vocabulary, embedded as normalised bags of words (plus a little per-record jitter so that equal
// captions are not equal vectors), searched exhaustively per modality and calibrated against each
// modality's scores for the query. It stands in for CLIP + FAISS + FTS5
// behind CandidateSource, so the tests know exactly why a record is similar to a text.

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "retrieval/planning/planner.h"
#include "schema/catalog_rows.h"

namespace palimpsest::testing {

class FakeArchive : public CandidateSource {
 public:
  static constexpr int kDim = 64;

  struct Entry {
    RecordRow row;
    std::vector<float> embedding;  // empty: found only lexically
  };

  // A video source (frames every `step_ms`, captions changing every `scene_ms`), stills and texts.
  static FakeArchive demo(int image_count = 60) {
    FakeArchive archive;
    const std::vector<std::string> scenes = {
        "white circle over the sea at night", "red square in the snow",     "orange triangles over the desert",
        "green ring in the forest",          "yellow star in the sky",     "purple squares over the sunset",
        "blue cross over the city at night", "black triangle in the snow", "white ring over the sea"};
    std::int64_t ts = 0;
    for (const std::string& caption : scenes) {
      for (int i = 0; i < 10; ++i, ts += 500) archive.add(RecordKind::frame, 1, "/archive/footage/harbour.mp4", ts, 500, caption);
    }
    std::uint64_t state = 12345;
    auto next = [&state](std::size_t n) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      return static_cast<std::size_t>((state >> 33) % n);
    };
    const std::vector<std::string> colours = {"red", "green", "blue", "yellow", "white", "black", "orange", "purple"};
    const std::vector<std::string> shapes = {"circle", "square", "triangle", "star", "ring", "cross"};
    const std::vector<std::string> places = {"sky", "sea", "night", "desert", "forest", "snow", "sunset", "city"};
    for (int i = 0; i < image_count; ++i) {
      const std::string caption = colours[next(colours.size())] + " " + shapes[next(shapes.size())] + " over the " +
                                  places[next(places.size())];
      archive.add(RecordKind::image, 100 + i, "/archive/images/scene_" + std::to_string(i) + ".png", 0, std::nullopt, caption);
    }
    for (const std::string& caption : scenes)
      archive.add(RecordKind::text, 50, "/archive/texts/notes.md", 0, std::nullopt, "notes about the " + caption);
    ts = 0;
    for (const std::string& caption : scenes) {
      archive.add(RecordKind::subtitle, 51, "/archive/footage/harbour.srt", ts, 5000, caption);
      ts += 5000;
    }
    return archive;
  }

  std::int64_t add(RecordKind kind, std::int64_t source_id, const std::string& uri, std::int64_t ts_ms,
                   std::optional<std::int64_t> dur_ms, const std::string& caption, bool embedded = true) {
    Entry entry;
    entry.row.id = static_cast<std::int64_t>(entries_.size()) + 1;
    entry.row.kind = kind;
    entry.row.source_id = source_id;
    entry.row.uri = uri;
    entry.row.ts_ms = ts_ms;
    entry.row.dur_ms = dur_ms;
    entry.row.text = caption;
    entry.row.title = caption;
    if (embedded) entry.embedding = embed(caption, entry.row.id);
    entries_.push_back(std::move(entry));
    return entries_.back().row.id;
  }

  // Adds a record with an exact embedding (for hand-made situations).
  std::int64_t add_vector(RecordKind kind, std::int64_t source_id, std::int64_t ts_ms, std::vector<float> embedding,
                          const std::string& caption = "") {
    const std::int64_t id = add(kind, source_id, "/archive/s" + std::to_string(source_id), ts_ms, 1000, caption, false);
    entries_.back().embedding = normalised(std::move(embedding));
    return id;
  }

  const Entry& entry(std::int64_t id) const { return entries_.at(static_cast<std::size_t>(id - 1)); }
  std::size_t size() const { return entries_.size(); }
  std::optional<RecordRow> row(std::int64_t id) const {
    if (id < 1 || id > static_cast<std::int64_t>(entries_.size())) return std::nullopt;
    return entry(id).row;
  }

  // One modality's best k, best first, each with the modality's background for the query (the
  // mean and standard deviation of its cosine over every embedded record of the modality, as
  // ScoreBackground computes over its sample), unless `calibrate` is off.
  std::vector<Candidate> candidates(const std::string& query_text, Modality modality, int k) override {
    ++searches;
    const std::vector<float> query = embed(query_text, 0);
    auto cosine = [&](const Entry& e) {
      double similarity = 0;
      for (int d = 0; d < kDim; ++d) similarity += static_cast<double>(query[d]) * e.embedding[d];
      return similarity;
    };
    double sum = 0, squares = 0;
    int n = 0;
    for (const Entry& e : entries_) {
      if (modality_of(e.row.kind) != modality || e.embedding.empty()) continue;
      const double s = gapped(cosine(e), modality);
      sum += s;
      squares += s * s;
      ++n;
    }
    const double mean = n ? sum / n : 0;
    const double sd = n ? std::max(std::sqrt(std::max(0.0, squares / n - mean * mean)), 0.01) : 0;
    std::vector<Candidate> all;
    for (const Entry& e : entries_) {
      if (modality_of(e.row.kind) != modality) continue;
      double similarity = 0;
      if (!e.embedding.empty()) {
        similarity = gapped(cosine(e), modality);
      } else {
        similarity = lexical_overlap(query_text, e.row.text);  // a lexical-only hit
        if (similarity <= 0) continue;
      }
      all.push_back(candidate(e, similarity));
      if (calibrate && n > 0) {
        all.back().background_mean = mean;
        all.back().background_sd = sd;
      }
    }
    std::stable_sort(all.begin(), all.end(), [](const Candidate& a, const Candidate& b) { return a.similarity > b.similarity; });
    if (all.size() > static_cast<std::size_t>(k)) all.resize(static_cast<std::size_t>(k));
    if (reverse_order) std::reverse(all.begin(), all.end());  // a source that breaks its promise of best first
    return all;
  }

  std::optional<Candidate> record(std::int64_t id) override {
    if (id < 1 || id > static_cast<std::int64_t>(entries_.size())) return std::nullopt;
    return candidate(entry(id), 0);
  }

  std::vector<float> embed_text(const std::string& text) override {
    ++embeddings;
    return embed(text, 0);
  }

  // The word's dimension: the demo vocabulary has its own, other words share hashed ones.
  static int dimension(const std::string& word) {
    static const std::vector<std::string> vocabulary = {
        "red", "green", "blue", "yellow", "white", "black", "orange", "purple", "circle", "square", "triangle",
        "star", "ring", "cross", "sky", "sea", "night", "desert", "forest", "snow", "sunset", "city", "building",
        "car", "people", "notes", "left", "right", "top", "bottom", "centre", "large", "small"};
    std::string w = word;
    if (w.size() > 3 && w.back() == 's') w.pop_back();  // plurals
    for (std::size_t i = 0; i < vocabulary.size(); ++i)
      if (vocabulary[i] == w) return static_cast<int>(i);
    std::uint32_t hash = 2166136261u;
    for (char c : w) hash = (hash ^ static_cast<unsigned char>(c)) * 16777619u;
    return static_cast<int>(vocabulary.size() + hash % (kDim - vocabulary.size()));
  }

  static std::vector<std::string> words(const std::string& text) {
    static const std::vector<std::string> stop = {"the", "a", "an", "at", "of", "over", "in", "on", "and", "is", "to", "it"};
    std::vector<std::string> out;
    std::string word;
    auto flush = [&] {
      if (!word.empty() && std::find(stop.begin(), stop.end(), word) == stop.end()) out.push_back(word);
      word.clear();
    };
    for (char c : text) {
      if (std::isalpha(static_cast<unsigned char>(c))) {
        word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      } else {
        flush();
      }
    }
    flush();
    return out;
  }

  // Bag of words; `jitter_seed` != 0 adds a small deterministic perturbation.
  static std::vector<float> embed(const std::string& text, std::int64_t jitter_seed) {
    std::vector<float> v(kDim, 0.0f);
    for (const std::string& w : words(text)) v[static_cast<std::size_t>(dimension(w))] += 1.0f;
    if (jitter_seed != 0) {
      std::uint64_t state = static_cast<std::uint64_t>(jitter_seed) * 0x9E3779B97F4A7C15ull;
      for (float& x : v) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        x += 0.08f * (static_cast<float>((state >> 40) % 1000) / 1000.0f - 0.5f);
      }
    }
    return normalised(std::move(v));
  }

  static std::vector<float> normalised(std::vector<float> v) {
    double norm = 0;
    for (float x : v) norm += static_cast<double>(x) * x;
    norm = std::sqrt(norm);
    if (norm > 0)
      for (float& x : v) x = static_cast<float>(x / norm);
    return v;
  }

  int searches = 0;
  int embeddings = 0;
  bool reverse_order = false;
  // CLIP's modality gap: text queries and text records share a direction pictures lack, so
  // text-to-text cosines sit far above text-to-picture ones (~0.8 against ~0.3). With gap g > 0,
  // a text record's cosine s becomes (s + g^2) / (1 + g^2) (a shared unit component of weight g
  // added to both vectors) and a picture's becomes kPictureScale * s.
  double modality_gap = 0;
  static constexpr double kPictureScale = 0.35;
  bool calibrate = true;

 private:
  double gapped(double cosine, Modality modality) const {
    if (modality_gap <= 0) return cosine;
    if (modality == Modality::picture) return kPictureScale * cosine;
    const double g2 = modality_gap * modality_gap;
    return (cosine + g2) / (1 + g2);
  }

  static double lexical_overlap(const std::string& query, const std::string& text) {
    const std::vector<std::string> q = words(query), t = words(text);
    int shared = 0;
    for (const std::string& w : q) shared += std::find(t.begin(), t.end(), w) != t.end();
    return q.empty() ? 0 : 0.5 * shared / static_cast<double>(q.size());
  }

  static Candidate candidate(const Entry& e, double similarity) {
    Candidate c;
    c.record_id = e.row.id;
    c.kind = e.row.kind;
    c.similarity = similarity;
    c.source_id = e.row.source_id;
    c.ts_ms = e.row.ts_ms;
    c.embedding = e.embedding;
    return c;
  }

  std::vector<Entry> entries_;
};

}  // namespace palimpsest::testing
