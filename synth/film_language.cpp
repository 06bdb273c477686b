#include "synth/film_language.h"

#include <set>

#include "indexer/clip/clip_encoder.h"
#include "indexer/clip/model_location.h"
#include "schema/embedding_store.h"
#include "synth/record_guidance.h"

namespace palimpsest {
namespace {

FilmMeter meter_without_vectors(ClipEncoder* encoder) {
  if (!encoder) return FilmMeter(nullptr, nullptr);
  return FilmMeter([encoder](const RgbImage& image) { return encoder->encode_images({image}).front(); }, nullptr);
}

}  // namespace

FilmLanguage::FilmLanguage(Catalog& catalog, const std::filesystem::path& model_dir) : catalog_(catalog) {
  const std::optional<std::filesystem::path> dir = model_dir.empty() ? default_model_dir() : model_dir;
  if (!dir) {
    warnings_.push_back("no CLIP model found (set --model or $PALIMPSEST_MODEL): language guidance and the CLIP "
                        "metrics are off");
    return;
  }
  try {
    encoder_ = ClipEncoder::load(*dir);
  } catch (const std::exception& e) {
    warnings_.push_back(std::string("the CLIP model did not load (") + e.what() +
                        "): language guidance and the CLIP metrics are off");
    return;
  }
  const ClipModelInfo& info = encoder_->info();
  if (auto model = catalog_.embeddings().find_model(info.name, info.weights_sha256)) model_id_ = model->id;
  if (model_id_ == 0 || catalog_.embeddings().count(model_id_) == 0) {
    warnings_.push_back("the catalog has no vectors for " + info.name +
                        " (run ingest with this model): language guidance and novelty are off");
    model_id_ = 0;
    return;
  }
  ClipEncoder* encoder = encoder_.get();
  const std::int64_t model_id = model_id_;
  guidance_ = std::make_unique<RecordGuidance>(
      [encoder](const std::vector<std::string>& texts) { return encoder->encode_texts(texts); },
      [&catalog, model_id](std::int64_t id) { return catalog.embeddings().get(id, model_id); },
      encoder->logit_scale());
}

FilmLanguage::~FilmLanguage() = default;

std::string FilmLanguage::fingerprint() const {
  if (!encoder_) return "none";
  return encoder_->info().name + ":" + encoder_->info().weights_sha256 + (model_id_ ? "" : ":no-vectors");
}

void FilmLanguage::attach(const Timeline& timeline, std::vector<FramePlan>& plans) {
  if (!guidance_) return;
  for (std::string& w : guidance_->attach(timeline, plans)) warnings_.push_back(std::move(w));
}

FilmMeter FilmLanguage::meter() {
  if (!encoder_ || model_id_ == 0) return meter_without_vectors(encoder_.get());
  if (!pictures_) {
    // The picture records (images, video frames) the frames are compared with.
    std::set<std::int64_t> ids;
    for (RecordKind kind : {RecordKind::image, RecordKind::frame}) {
      RecordFilter filter;
      filter.kind = kind;
      filter.limit = 1000;
      while (static_cast<std::int64_t>(ids.size()) < kMaxNoveltyPictures) {
        const std::vector<RecordRow> page = catalog_.records(filter);
        for (const RecordRow& r : page) ids.insert(r.id);
        if (page.size() < static_cast<std::size_t>(filter.limit)) break;
        filter.after_id = page.back().id;
      }
    }
    auto vectors = std::make_shared<std::vector<std::vector<float>>>();
    catalog_.embeddings().for_each(model_id_, [&](std::int64_t id, const float* v, int dim) {
      if (ids.count(id)) vectors->emplace_back(v, v + dim);
      return static_cast<std::int64_t>(vectors->size()) < kMaxNoveltyPictures;
    });
    if (static_cast<std::int64_t>(vectors->size()) >= kMaxNoveltyPictures)
      warnings_.push_back("novelty compares frames with the first " + std::to_string(kMaxNoveltyPictures) +
                          " picture records only");
    pictures_ = std::move(vectors);
  }
  ClipEncoder* encoder = encoder_.get();
  return FilmMeter([encoder](const RgbImage& image) { return encoder->encode_images({image}).front(); },
                   nearest_of(pictures_));
}

}  // namespace palimpsest
