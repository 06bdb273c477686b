#pragma once
// The film's CLIP model as the synthesis stage uses it: record-level language guidance
// (synth/record_guidance.h), the image tower for clip-mode guidance (synth/clip_guidance.h) and the
// film metrics (synth/film_metrics.h). Loaded once per render (make_film) or sweep. No libtorch.
//
// "The film's model" is the model folder given (else $PALIMPSEST_MODEL, else palimpsest-tiny:
// indexer/clip/model_location.h), with the records' vectors the catalog holds for it. When there is
// no model, or the catalog has no vectors for it, guidance and the CLIP metrics are off and
// warnings() says so; the render goes on.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "retrieval/timeline/timeline.h"
#include "schema/catalog.h"
#include "synth/film_metrics.h"
#include "synth/frame_plan.h"

namespace palimpsest {

class ClipEncoder;
class RecordGuidance;

// Novelty compares frames with at most this many picture records (the first by id); beyond it a
// warning says so.
inline constexpr std::int64_t kMaxNoveltyPictures = 50000;

class FilmLanguage {
 public:
  // model_dir empty: default_model_dir().
  FilmLanguage(Catalog& catalog, const std::filesystem::path& model_dir);
  ~FilmLanguage();
  FilmLanguage(const FilmLanguage&) = delete;
  FilmLanguage& operator=(const FilmLanguage&) = delete;

  // Null when no model could be loaded.
  ClipEncoder* encoder() const { return encoder_.get(); }
  // "palimpsest-tiny:<sha256>" or "none": what render fingerprints record.
  std::string fingerprint() const;
  // Why guidance or metrics are off or partial, one line each.
  const std::vector<std::string>& warnings() const { return warnings_; }

  // Attaches the shots' language targets and the records' scores to `plans`
  // (RecordGuidance::attach); does nothing without vectors. Adds its warnings to warnings().
  void attach(const Timeline& timeline, std::vector<FramePlan>& plans);
  // A meter with this model's image tower and the archive's picture vectors.
  FilmMeter meter();

 private:
  Catalog& catalog_;
  std::unique_ptr<ClipEncoder> encoder_;
  std::int64_t model_id_ = 0;
  std::unique_ptr<RecordGuidance> guidance_;
  std::shared_ptr<const std::vector<std::vector<float>>> pictures_;
  std::vector<std::string> warnings_;
};

}  // namespace palimpsest
