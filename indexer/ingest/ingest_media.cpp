// Images and videos: decoded with libav; videos sampled at a fixed rate and cut into shots, their
// sound track handed to ingest_sound; the writing in images (and keyframes) read by OCR.
#include "indexer/audio/audio_format.h"
#include "indexer/ingest/file_ingesters.h"
#include "indexer/media/image_codec.h"
#include "indexer/media/media_decoder.h"
#include "indexer/text/timecode.h"

namespace palimpsest::ingest_detail {

std::pair<int, int> thumbnail_size(int width, int height, int max_side) {
  if (width <= max_side && height <= max_side) return {width, height};
  const double scale = static_cast<double>(max_side) / std::max(width, height);
  return {std::max(1, static_cast<int>(width * scale + 0.5)),
          std::max(1, static_cast<int>(height * scale + 0.5))};
}

std::string without_path(const std::string& message, const std::filesystem::path& path) {
  const std::string prefix = path.string() + ": ";
  return message.compare(0, prefix.size(), prefix) == 0 ? message.substr(prefix.size()) : message;
}

void ingest_image(FileContext& file) {
  const std::filesystem::path& path = file.path;
  const IngestOptions& options = file.options;
  FileReport& report = file.report;
  MediaDecoder decoder(path, options.pixel_budget);
  if (!decoder.next_frame()) throw MediaError("no image could be decoded");
  const MediaInfo& info = decoder.info();
  auto [tw, th] = thumbnail_size(info.width, info.height, options.thumbnail_max_side);
  const std::string jpeg = encode_jpeg(decoder.frame_rgb(tw, th));
  RecordRow record;
  record.kind = RecordKind::image;
  record.width = info.width;
  record.height = info.height;
  record.title = path.filename().string();
  record.meta = {{"container", info.container}, {"codec", info.codec}};
  nlohmann::json meta = record.meta;
  const std::int64_t id = file.writer.add_record(std::move(record), jpeg);
  file.writer.set_media_info(std::nullopt, info.width, info.height);
  report.records["image"] = 1;
  if (!info.reduced.empty()) report.warnings.push_back(info.reduced);
  if (file.engines.ocr_images()) {
    nlohmann::json ocr_meta = nlohmann::json::object();
    // Boxes are in the pixels OCR saw: the image's own, or its reduced decode.
    const RgbImage picture = decoder.frame_rgb();
    if (picture.width != info.width) ocr_meta["picture_scale"] = static_cast<double>(picture.width) / info.width;
    if (const std::int64_t ocr = add_ocr_record(file, picture, id, "image", path.filename().string() + " text", 0, 0, ocr_meta)) {
      meta["ocr_record_id"] = ocr;
      file.writer.finish_record(id, std::nullopt, meta);
    }
  }
}

namespace {

// Streams the frames of one video into records: a keyframe per shot (its first frame) and a
// sample every 1/sample_fps seconds, each knowing the shot it belongs to.
class VideoRecorder {
 public:
  VideoRecorder(FileContext& file, const MediaInfo& info)
      : file_(file),
        writer_(file.writer),
        options_(file.options),
        info_(info),
        name_(file.name()),
        detector_(file.options.shots),
        sample_interval_ms_(std::max<std::int64_t>(1, static_cast<std::int64_t>(1000.0 / file.options.sample_fps))) {
    std::tie(thumb_w_, thumb_h_) = thumbnail_size(info.width, info.height, options_.thumbnail_max_side);
    detect_w_ = std::min(options_.detection_width, info.width);
    detect_h_ = std::max(2, static_cast<int>(static_cast<double>(info.height) * detect_w_ / info.width));
  }

  void frame(MediaDecoder& decoder) {
    const std::int64_t ts = decoder.frame_ts_ms();
    const bool first = frames_ == 0;
    const bool cut = detector_.update(decoder.frame_rgb(detect_w_, detect_h_), ts);
    std::string jpeg;  // encoded at most once per frame
    auto thumbnail = [&]() -> const std::string& {
      if (jpeg.empty()) jpeg = encode_jpeg(decoder.frame_rgb(thumb_w_, thumb_h_));
      return jpeg;
    };
    if (first || cut) {
      close_shot(ts);
      shot_start_ms_ = ts;
      keyframe_id_ = add(ts, std::nullopt, "keyframe", thumbnail());
      keyframe_shot_ = detector_.shot_index();
      ++keyframes_;
      if (file_.engines.ocr_frames()) {
        keyframe_ocr_id_ = add_ocr_record(file_, decoder.frame_rgb(), keyframe_id_, "frame @ " + format_timestamp(ts),
                                          name_ + " text @ " + format_timestamp(ts), ts, 0, {{"shot", keyframe_shot_}});
      }
    }
    if (ts >= next_sample_ms_) {
      if (!(first || cut)) {
        add(ts, sample_interval_ms_, "sample", thumbnail());
        ++samples_;
      } else {
        keyframe_is_sample_ = true;  // one record serves as both
      }
      while (next_sample_ms_ <= ts) next_sample_ms_ += sample_interval_ms_;
    }
    last_ts_ = ts;
    ++frames_;
  }

  void finish() {
    const std::int64_t frame_ms = info_.fps > 0 ? static_cast<std::int64_t>(1000.0 / info_.fps) : 0;
    close_shot(last_ts_ + frame_ms);
  }

  std::int64_t keyframes() const { return keyframes_; }
  std::int64_t samples() const { return samples_; }
  std::int64_t end_ms() const { return last_ts_; }
  // The frame records written, by time (ties: keyframe first).
  std::vector<FrameSpan> frames() const {
    std::vector<FrameSpan> sorted = frames_written_;
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const FrameSpan& a, const FrameSpan& b) { return a.ts_ms < b.ts_ms; });
    return sorted;
  }

 private:
  std::int64_t add(std::int64_t ts, std::optional<std::int64_t> dur, const char* role,
                   const std::string& jpeg) {
    RecordRow record;
    record.kind = RecordKind::frame;
    record.ts_ms = ts;
    record.dur_ms = dur;
    record.width = info_.width;
    record.height = info_.height;
    record.title = name_ + " shot " + std::to_string(detector_.shot_index() + 1) + " @ " +
                   format_timestamp(ts);
    record.meta = {{"role", role},
                   {"shot", detector_.shot_index()},
                   {"shot_start_ms", shot_start_ms_},
                   {"cut_score", detector_.last_score()}};
    const std::int64_t id = writer_.add_record(std::move(record), jpeg);
    frames_written_.push_back({id, ts, ts + dur.value_or(0)});
    return id;
  }

  // The keyframe's duration (and so its shot's extent) is known when the next shot begins.
  void close_shot(std::int64_t end_ms) {
    if (keyframe_id_ == 0) return;
    nlohmann::json meta = {{"role", "keyframe"},
                           {"shot", keyframe_shot_},
                           {"shot_start_ms", shot_start_ms_},
                           {"shot_end_ms", end_ms},
                           {"also_sample", keyframe_is_sample_}};
    if (keyframe_ocr_id_) meta["ocr_record_id"] = keyframe_ocr_id_;
    writer_.finish_record(keyframe_id_, end_ms - shot_start_ms_, meta);
    for (FrameSpan& f : frames_written_)
      if (f.record_id == keyframe_id_) f.end_ms = end_ms;
    keyframe_id_ = 0;
    keyframe_ocr_id_ = 0;
    keyframe_is_sample_ = false;
  }

  FileContext& file_;
  Catalog::SourceWriter& writer_;
  const IngestOptions& options_;
  const MediaInfo& info_;
  std::vector<FrameSpan> frames_written_;
  std::string name_;
  ShotDetector detector_;
  std::int64_t sample_interval_ms_;
  int thumb_w_ = 0, thumb_h_ = 0, detect_w_ = 0, detect_h_ = 0;
  std::int64_t next_sample_ms_ = 0;
  std::int64_t shot_start_ms_ = 0;
  std::int64_t keyframe_id_ = 0;
  std::int64_t keyframe_ocr_id_ = 0;
  bool keyframe_is_sample_ = false;
  int keyframe_shot_ = 0;
  std::int64_t last_ts_ = 0;
  std::int64_t frames_ = 0;
  std::int64_t keyframes_ = 0;
  std::int64_t samples_ = 0;
};

}  // namespace

void ingest_video(FileContext& file) {
  const std::filesystem::path& path = file.path;
  FileReport& report = file.report;
  IngestObserver* observer = file.observer;
  MediaDecoder decoder(path, file.options.pixel_budget);
  const MediaInfo& info = decoder.info();
  if (info.is_still_image) {
    ingest_image(file);
    return;
  }
  VideoRecorder recorder(file, info);
  while (decoder.next_frame()) {
    recorder.frame(decoder);
    if (observer && decoder.frames_decoded() % 24 == 0)
      observer->on_frames(decoder.frames_decoded(), decoder.frame_ts_ms(), info.duration_ms);
  }
  recorder.finish();
  const std::int64_t duration = info.duration_ms > 0 ? info.duration_ms : recorder.end_ms();
  file.writer.set_media_info(duration, info.width, info.height);
  report.records["frame"] = recorder.keyframes() + recorder.samples();
  report.frames_decoded = decoder.frames_decoded();
  report.media_ms = recorder.end_ms();
  if (decoder.corrupt_packets() > 0) {
    report.warnings.push_back(std::to_string(decoder.corrupt_packets()) +
                              " corrupt packets skipped while decoding");
  }
  // The sound track: a video without one is a silent film, not a problem; a sound track that
  // cannot be read costs its audio records, never the frames (a warning says so).
  try {
    ingest_sound(file, recorder.frames());
  } catch (const NoAudioStreamError&) {
  } catch (const MediaError& e) {
    report.warnings.push_back("sound track not read: " + without_path(e.what(), path));
  }
}

}  // namespace palimpsest::ingest_detail
