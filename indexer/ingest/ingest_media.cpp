// Images and videos: decoded with libav; videos sampled at a fixed rate and cut into shots.
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

void ingest_image(Catalog::SourceWriter& writer, const std::filesystem::path& path,
                  const IngestOptions& options, FileReport& report) {
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
  writer.add_record(std::move(record), jpeg);
  writer.set_media_info(std::nullopt, info.width, info.height);
  report.records["image"] = 1;
  if (!info.reduced.empty()) report.warnings.push_back(info.reduced);
}

namespace {

// Streams the frames of one video into records: a keyframe per shot (its first frame) and a
// sample every 1/sample_fps seconds, each knowing the shot it belongs to.
class VideoRecorder {
 public:
  VideoRecorder(Catalog::SourceWriter& writer, const std::filesystem::path& path,
                const IngestOptions& options, const MediaInfo& info)
      : writer_(writer),
        options_(options),
        info_(info),
        name_(path.filename().string()),
        detector_(options.shots),
        sample_interval_ms_(std::max<std::int64_t>(1, static_cast<std::int64_t>(1000.0 / options.sample_fps))) {
    std::tie(thumb_w_, thumb_h_) = thumbnail_size(info.width, info.height, options.thumbnail_max_side);
    detect_w_ = std::min(options.detection_width, info.width);
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
    return writer_.add_record(std::move(record), jpeg);
  }

  // The keyframe's duration (and so its shot's extent) is known when the next shot begins.
  void close_shot(std::int64_t end_ms) {
    if (keyframe_id_ == 0) return;
    const nlohmann::json meta = {{"role", "keyframe"},
                                 {"shot", keyframe_shot_},
                                 {"shot_start_ms", shot_start_ms_},
                                 {"shot_end_ms", end_ms},
                                 {"also_sample", keyframe_is_sample_}};
    writer_.finish_record(keyframe_id_, end_ms - shot_start_ms_, meta);
    keyframe_id_ = 0;
    keyframe_is_sample_ = false;
  }

  Catalog::SourceWriter& writer_;
  const IngestOptions& options_;
  const MediaInfo& info_;
  std::string name_;
  ShotDetector detector_;
  std::int64_t sample_interval_ms_;
  int thumb_w_ = 0, thumb_h_ = 0, detect_w_ = 0, detect_h_ = 0;
  std::int64_t next_sample_ms_ = 0;
  std::int64_t shot_start_ms_ = 0;
  std::int64_t keyframe_id_ = 0;
  bool keyframe_is_sample_ = false;
  int keyframe_shot_ = 0;
  std::int64_t last_ts_ = 0;
  std::int64_t frames_ = 0;
  std::int64_t keyframes_ = 0;
  std::int64_t samples_ = 0;
};

}  // namespace

void ingest_video(Catalog::SourceWriter& writer, const std::filesystem::path& path,
                  const IngestOptions& options, FileReport& report, IngestObserver* observer) {
  MediaDecoder decoder(path, options.pixel_budget);
  const MediaInfo& info = decoder.info();
  if (info.is_still_image) {
    ingest_image(writer, path, options, report);
    return;
  }
  VideoRecorder recorder(writer, path, options, info);
  while (decoder.next_frame()) {
    recorder.frame(decoder);
    if (observer && decoder.frames_decoded() % 24 == 0)
      observer->on_frames(decoder.frames_decoded(), decoder.frame_ts_ms(), info.duration_ms);
  }
  recorder.finish();
  const std::int64_t duration = info.duration_ms > 0 ? info.duration_ms : recorder.end_ms();
  writer.set_media_info(duration, info.width, info.height);
  report.records["frame"] = recorder.keyframes() + recorder.samples();
  report.frames_decoded = decoder.frames_decoded();
  report.media_ms = recorder.end_ms();
  if (decoder.corrupt_packets() > 0) {
    report.warnings.push_back(std::to_string(decoder.corrupt_packets()) +
                              " corrupt packets skipped while decoding");
  }
}

}  // namespace palimpsest::ingest_detail
