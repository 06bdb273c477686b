// Sound: an audio file, or a video's sound track, decoded once to 16 kHz mono (what both the
// segmenter and the speech recogniser want), cut at silences into `audio` records, and what is
// said in them transcribed into `speech` records.
//
// Memory is bounded whatever the length: the decoder delivers blocks, the segmenter holds at most
// max_length_s plus about two minimum lengths, the samples are kept only back to the start of the
// segment the segmenter has not delivered yet, and segments wait for the transcriber in batches
// of at most kBatchSpeechMs per decoder thread. Records are written in time order, each audio
// record followed by its utterances.
#include <algorithm>
#include <chrono>
#include <cmath>

#include "indexer/audio/audio_decoder.h"
#include "indexer/audio/audio_segmenter.h"
#include "indexer/audio/waveform.h"
#include "indexer/ingest/file_ingesters.h"
#include "indexer/speech/speech_activity.h"
#include "indexer/text/timecode.h"

namespace palimpsest::ingest_detail {
namespace {

// Audio waiting for the transcriber, per decoder thread, before a batch is transcribed.
constexpr std::int64_t kBatchSpeechMs = 60'000;
// Segments waiting (silent ones included) before a batch is written regardless.
constexpr std::size_t kBatchSegments = 64;

nlohmann::json finite_or_null(double value) {
  if (!std::isfinite(value)) return nullptr;
  return std::round(value * 100) / 100;
}

struct PendingSegment {
  AudioSegment segment;
  std::int64_t ts_ms = 0;               // on the record time line (a video's, for its sound track)
  std::string speech;                   // "transcribed", "silent", "no speech activity", "off"...
  std::int64_t speech_active_ms = 0;
  std::vector<std::int16_t> samples;    // only for segments going to the transcriber
  std::vector<Utterance> utterances;
};

class SoundRecorder {
 public:
  SoundRecorder(FileContext& file, const AudioSourceInfo& info, const std::vector<FrameSpan>& frames)
      : file_(file),
        info_(info),
        frames_(frames),
        video_(!frames.empty() || info.has_video),
        offset_ms_(video_ ? std::llround(info.video_offset_s * 1000) : 0),
        segmenter_description_(describe(file.options.segments)) {
    for (const FrameSpan& f : frames_) longest_frame_ms_ = std::max(longest_frame_ms_, f.end_ms - f.ts_ms);
  }

  // Keeps the samples of the segments to come.
  void samples(const AudioBlock& block) {
    if (window_.empty()) window_start_ = block.start_frame;
    window_.insert(window_.end(), block.s16, block.s16 + block.frames);
  }

  void segment(AudioSegment&& s) {
    PendingSegment p;
    p.ts_ms = offset_ms_ + s.start_ms();
    const std::int64_t first = s.start_frame - window_start_;
    const std::int64_t count = std::min<std::int64_t>(s.frames, static_cast<std::int64_t>(window_.size()) - first);
    const std::span<const std::int16_t> samples(window_.data() + std::max<std::int64_t>(0, first),
                                                static_cast<std::size_t>(std::max<std::int64_t>(0, count)));
    if (!file_.engines.speech()) {
      p.speech = "off";
    } else if (!speech_error_.empty()) {
      p.speech = "not transcribed (" + speech_error_ + ")";
    } else if (s.silent) {
      p.speech = "silent";
    } else {
      const SpeechActivity activity = measure_speech_activity(samples);
      p.speech_active_ms = activity.active_ms;
      if (activity.may_contain_speech) {
        p.speech = "transcribed";
        p.samples.assign(samples.begin(), samples.end());
        waiting_speech_ms_ += s.end_ms() - s.start_ms();
      } else {
        p.speech = "no speech activity";
      }
    }
    // Everything before this segment's end has been delivered.
    const std::int64_t drop = std::clamp<std::int64_t>(first + s.frames, 0, static_cast<std::int64_t>(window_.size()));
    window_.erase(window_.begin(), window_.begin() + drop);
    window_start_ += drop;
    p.segment = std::move(s);
    pending_.push_back(std::move(p));
    const std::int64_t threads = file_.engines.speech() ? std::max(1, transcriber_threads()) : 1;
    if (waiting_speech_ms_ >= kBatchSpeechMs * threads || pending_.size() >= kBatchSegments) flush();
  }

  // Transcribes the waiting segments (in parallel) and writes their records.
  void flush() {
    transcribe();
    for (PendingSegment& p : pending_) write(p);
    pending_.clear();
    waiting_speech_ms_ = 0;
  }

  // How far decoding has got (for the speech phase's progress).
  void decoded(std::int64_t ms) { decoded_ms_ = ms; }

 private:
  int transcriber_threads() {
    try {
      return file_.engines.transcriber().threads();
    } catch (const SpeechError&) {
      return 1;
    }
  }

  void transcribe() {
    std::vector<SpeechSegment> work;
    std::vector<PendingSegment*> owners;
    for (PendingSegment& p : pending_) {
      if (p.speech != "transcribed") continue;
      work.push_back({p.samples, p.ts_ms});
      owners.push_back(&p);
    }
    if (work.empty()) return;
    try {
      std::vector<std::vector<Utterance>> results = file_.engines.transcriber().transcribe(work);
      for (std::size_t i = 0; i < owners.size(); ++i) owners[i]->utterances = std::move(results[i]);
    } catch (const SpeechError& e) {
      // The sound is still recorded; its speech is not, and the report says why (once).
      speech_error_ = e.what();
      file_.report.warnings.push_back("speech not transcribed: " + speech_error_);
      for (PendingSegment* p : owners) p->speech = "not transcribed (" + speech_error_ + ")";
      return;
    }
    for (const PendingSegment* p : owners) {
      transcribed_ms_ += p->segment.end_ms() - p->segment.start_ms();
      file_.report.speech_ms += p->segment.end_ms() - p->segment.start_ms();
    }
    if (file_.observer) file_.observer->on_phase("speech", transcribed_ms_, decoded_ms_);
  }

  void write(PendingSegment& p) {
    const AudioSegment& s = p.segment;
    RecordRow record;
    record.kind = RecordKind::audio;
    record.ts_ms = p.ts_ms;
    record.dur_ms = s.end_ms() - s.start_ms();
    record.title = file_.name() + " sound @ " + format_timestamp(p.ts_ms);
    record.meta = {{"segment", segments_},
                   {"loudness_lufs", finite_or_null(s.loudness_lufs)},
                   {"peak_dbfs", finite_or_null(s.peak_dbfs)},
                   {"silent", s.silent},
                   {"cut", to_string(s.cut)},
                   {"segmenter", segmenter_description_},
                   {"stream", info_.stream_index},
                   {"stream_offset_ms", offset_ms_},
                   {"codec", info_.codec},
                   {"sample_rate", info_.sample_rate},
                   {"channels", info_.channels},
                   {"channel_layout", info_.channel_layout},
                   {"notes", info_.notes},
                   {"speech", p.speech},
                   {"speech_active_ms", p.speech_active_ms},
                   {"utterances", p.utterances.size()}};
    if (video_) record.meta["video_source_id"] = file_.writer.source_id();
    const std::optional<std::int64_t> duration = record.dur_ms;
    nlohmann::json meta = record.meta;
    const std::string waveform = s.waveform.empty() ? std::string() : waveform_png(s.waveform);
    const std::int64_t audio_id = file_.writer.add_record(std::move(record), waveform);
    ++file_.report.records["audio"];
    ++segments_;
    if (p.utterances.empty()) return;
    meta["speech_record_ids"] = nlohmann::json::array();
    for (const Utterance& u : p.utterances) meta["speech_record_ids"].push_back(write_speech(u, audio_id));
    file_.writer.finish_record(audio_id, duration, meta);
  }

  std::int64_t write_speech(const Utterance& u, std::int64_t audio_id) {
    const SpeechModelInfo& model = file_.engines.speech_model();
    nlohmann::json words = nlohmann::json::array();
    for (const SpokenWord& w : u.words)
      words.push_back({{"text", w.text}, {"start_ms", w.start_ms}, {"end_ms", w.end_ms},
                       {"confidence", std::round(w.confidence * 1000) / 1000}});
    RecordRow record;
    record.kind = RecordKind::speech;
    record.ts_ms = u.start_ms;
    record.dur_ms = u.end_ms - u.start_ms;
    record.title = file_.name() + " speech @ " + format_timestamp(u.start_ms);
    record.text = u.text;
    record.meta = {{"audio_record_id", audio_id},
                   {"words", std::move(words)},
                   {"confidence", std::round(u.confidence * 1000) / 1000},
                   {"low_confidence", u.low_confidence},
                   {"cut", u.cut},
                   {"engine", model.engine},
                   {"language", model.language},
                   {"model", model.id}};
    if (video_) record.meta["frame_record_ids"] = frames_heard(u.start_ms, u.end_ms);
    const std::int64_t id = file_.writer.add_record(std::move(record));
    ++file_.report.records["speech"];
    if (u.low_confidence) ++file_.report.low_confidence;
    return id;
  }

  // The frame records whose time overlaps [start_ms, end_ms).
  std::vector<std::int64_t> frames_heard(std::int64_t start_ms, std::int64_t end_ms) const {
    std::vector<std::int64_t> ids;
    auto it = std::lower_bound(frames_.begin(), frames_.end(), start_ms - longest_frame_ms_,
                               [](const FrameSpan& f, std::int64_t t) { return f.ts_ms < t; });
    for (; it != frames_.end() && it->ts_ms < end_ms; ++it)
      if (it->end_ms > start_ms || (it->end_ms == it->ts_ms && it->ts_ms >= start_ms)) ids.push_back(it->record_id);
    return ids;
  }

  FileContext& file_;
  const AudioSourceInfo& info_;
  const std::vector<FrameSpan>& frames_;
  bool video_;
  std::int64_t offset_ms_;
  std::string segmenter_description_;
  std::int64_t longest_frame_ms_ = 0;
  std::vector<std::int16_t> window_;
  std::int64_t window_start_ = 0;
  std::vector<PendingSegment> pending_;
  std::int64_t waiting_speech_ms_ = 0;
  std::int64_t transcribed_ms_ = 0;
  std::int64_t decoded_ms_ = 0;
  std::int64_t segments_ = 0;
  std::string speech_error_;
};

}  // namespace

void ingest_sound(FileContext& file, const std::vector<FrameSpan>& frames) {
  const auto started = std::chrono::steady_clock::now();
  AudioDecoderOptions options;
  options.format = kSpeechFormat;  // one decode serves the segmenter and the transcriber
  AudioDecoder decoder(file.path, options);
  const AudioSourceInfo& info = decoder.info();
  const std::int64_t duration_ms = std::llround(info.duration_s * 1000);
  SoundRecorder recorder(file, info, frames);
  AudioSegmenter segmenter(kSpeechFormat.sample_rate, kSpeechFormat.channels, file.options.segments,
                           [&](AudioSegment&& s) { recorder.segment(std::move(s)); });
  AudioBlock block;
  std::int64_t blocks = 0;
  while (decoder.next(block)) {
    recorder.samples(block);
    segmenter.push(block);
    const std::int64_t decoded_ms = (block.start_frame + block.frames) * 1000 / kSpeechFormat.sample_rate;
    recorder.decoded(decoded_ms);
    if (file.observer && ++blocks % 16 == 0) file.observer->on_phase("sound", decoded_ms, duration_ms);
  }
  segmenter.finish();
  recorder.flush();
  file.report.audio_ms = decoder.frames_delivered() * 1000 / kSpeechFormat.sample_rate;
  file.report.sound_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (file.observer) file.observer->on_phase("sound", file.report.audio_ms, duration_ms);
  // Notes that only decoding could find (corrupt packets skipped) are warnings about the file.
  for (const std::string& note : info.notes)
    if (note.find("corrupt") != std::string::npos) file.report.warnings.push_back("sound: " + note);
}

}  // namespace palimpsest::ingest_detail
