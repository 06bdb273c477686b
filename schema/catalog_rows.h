#pragma once
// The catalog's vocabulary: the kinds, states and roles it stores (each with one to/from-string
// pair, the only place their spellings live) and the rows its stores return. Light on purpose:
// no SQLite, no catalog class, so the timeline and planning stages can speak of records without
// a database.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace palimpsest {

// What a record is. Pictures: image (a still, or a PDF page), frame (of a video). Texts: text (a
// paragraph), subtitle (a cue), speech (what was said in an audio segment), ocr (text found in a
// picture). Sound: audio (a segment of an audio file or of a video's sound track).
enum class RecordKind { image, frame, text, subtitle, audio, speech, ocr };
enum class SourceKind { image, video, text, subtitle, audio, pdf };
// How a record is seen, heard or read: what retrieval ranks apart (CLIP's text-to-text
// similarities sit far above its text-to-image ones, so one mixed ranking would always favour
// texts). picture: image, frame; text: text, subtitle, speech, ocr; sound: audio.
enum class Modality { picture, text, sound };
// A film's render state: planned -> rendering -> done | failed.
enum class FilmStatus { planned, rendering, done, failed };
// A render job (POST /api/v1/films): queued -> running -> done | failed | cancelled.
enum class JobState { queued, running, done, failed, cancelled };
// Why a record is in a frame's provenance.
enum class ProvenanceRole {
  keyframe,  // a keyframe record of the frame's shot that the frame's pixels came from
  guidance,  // a text/subtitle record that guided retrieval (weight: its guidance weight)
  denoiser,  // any other record the frame's pixels came from
  init,      // the record the frame's sequence started from (InitMode::record)
  borrowed,  // a picture of another shot, lent to a shot that found none of its own
  language,  // pixels drawn by language guidance rather than by a record (record_id 0)
};

std::string_view to_string(RecordKind kind);
std::string_view to_string(SourceKind kind);
std::string_view to_string(FilmStatus status);
std::string_view to_string(JobState state);
std::string_view to_string(ProvenanceRole role);
std::string_view to_string(Modality modality);
std::optional<RecordKind> parse_record_kind(std::string_view name);
// Every record kind, for help texts and errors: "image, frame, text, subtitle, audio, speech, ocr".
std::string record_kind_names();
std::optional<SourceKind> parse_source_kind(std::string_view name);
std::optional<FilmStatus> parse_film_status(std::string_view name);
std::optional<JobState> parse_job_state(std::string_view name);
std::optional<ProvenanceRole> parse_provenance_role(std::string_view name);
std::optional<Modality> parse_modality(std::string_view name);

Modality modality_of(RecordKind kind);
// The record kinds of a modality, in enum order.
std::vector<RecordKind> kinds_of(Modality modality);
constexpr Modality kModalities[] = {Modality::picture, Modality::text, Modality::sound};

struct ArchiveRow {
  std::int64_t id = 0;
  std::string name;
  std::string root;
  std::string created_at;
};

// One ingested file.
struct SourceRow {
  std::int64_t id = 0;
  std::int64_t archive_id = 0;
  std::string uri;  // absolute path of the file
  std::string sha256;
  SourceKind kind = SourceKind::image;
  std::int64_t size_bytes = 0;
  std::optional<std::int64_t> duration_ms;
  std::optional<std::int64_t> width;
  std::optional<std::int64_t> height;
  std::optional<std::int64_t> linked_source_id;  // subtitle -> its video
  std::string ingested_at;
  // Engine and model of each stage that derived records from the file ({"speech": "pocketsphinx
  // en-us <model id>", "ocr": "tesseract 5.3.0 eng psm3", ...}; migration 0005).
  nlohmann::json derived_with = nlohmann::json::object();
};

// One searchable unit: an image, a video frame, a text paragraph or a subtitle cue.
struct RecordRow {
  std::int64_t id = 0;
  std::int64_t archive_id = 0;
  std::int64_t source_id = 0;
  std::int64_t ordinal = 0;  // position within its source; assigned by SourceWriter
  RecordKind kind = RecordKind::image;
  std::string uri;
  std::string sha256;      // of the source file
  std::int64_t ts_ms = 0;  // start time for frames and cues; 0 for images and texts
  std::optional<std::int64_t> dur_ms;
  std::optional<std::int64_t> width;
  std::optional<std::int64_t> height;
  std::string title;
  std::string text;
  nlohmann::json meta = nlohmann::json::object();
  std::string created_at;
};

// A speech utterance its recogniser flagged low_confidence (meta "low_confidence": true): kept as a
// guess, out of search and embedding unless asked for (SearchFilter::include_low_confidence). The
// same rule is written in SQL in Catalog::lexical_search.
bool is_low_confidence_speech(const RecordRow& record);

// A lexical (FTS5 BM25) match: higher score is better (the negated bm25() of SQLite).
struct LexicalHit {
  std::int64_t record_id = 0;
  double score = 0;
};

// Restrictions shared by lexical and dense search.
struct SearchFilter {
  std::optional<std::int64_t> archive_id;
  std::optional<RecordKind> kind;
  std::vector<RecordKind> kinds;        // any of these (empty: any kind); both apply when both set
  std::optional<std::int64_t> from_ms;  // records overlapping [from_ms, to_ms]
  std::optional<std::int64_t> to_ms;
  // Speech utterances flagged low_confidence (what a recogniser makes of music and noise) are
  // stored but left out of search unless this is set.
  bool include_low_confidence = false;
};

// How lexical search matches the query's words: any of them, or all of them in a record's own text.
enum class LexicalMatch { any_word, all_words };

struct RecordFilter {
  std::optional<std::int64_t> archive_id;
  std::optional<RecordKind> kind;
  std::optional<std::int64_t> source_id;
  std::int64_t after_id = 0;  // keyset pagination: records with id > after_id
  int limit = 100;
};

struct FilmRow {
  std::int64_t id = 0;
  std::string title;
  std::string manuscript;        // path of the manuscript it was planned from
  nlohmann::json timeline;       // the Timeline document (null until planned, or not read)
  nlohmann::json params = nlohmann::json::object();
  FilmStatus status = FilmStatus::planned;
  double progress = 0;
  std::string video_path;
  std::string created_at;
  std::string output_dir;   // folder of frames/, maps/, film.mp4 ("" until a render started)
  std::string error;        // why the last render failed ("" otherwise)
  std::int64_t frame_count = 0;      // frames in the timeline
  std::int64_t frames_rendered = 0;  // rows in film_frames
  std::string updated_at;
};

// The film metrics of one rendered frame (synth/film_metrics.h says how each is measured);
// unset where it was not measured.
struct FrameMetrics {
  std::optional<double> clip_score;  // CLIP similarity to the shot's text (the film's model)
  std::optional<double> flicker;     // mean |frame - previous frame moved by the camera|, 0 .. 1
  std::optional<double> top_share;   // the largest provenance share of the frame
  std::optional<double> entropy;     // of the frame's provenance shares, in nats
  std::optional<double> novelty;     // 1 - cosine to the nearest picture record of the archive
  bool operator==(const FrameMetrics&) const = default;
};

// The record id the `language` role is stored under: pixels drawn by language guidance rather
// than by a record (no record has id 0).
inline constexpr std::int64_t kLanguageRecord = 0;

// One frame of a rendered film.
struct FilmFrameRow {
  std::int64_t frame = 0;
  std::int64_t shot = 0;
  bool diffused = true;  // false for a cadence in-between frame
  bool has_map = false;  // an attribution map exists (maps/NNNNNN.png)
  double language = 0;   // the share language guidance drew (the `language` role's weight)
  FrameMetrics metrics{};
};

// One record's share of a frame, in a role.
struct ProvenanceRow {
  std::int64_t record_id = 0;
  ProvenanceRole role = ProvenanceRole::denoiser;
  double weight = 0;
};

// One record's share of a whole film: its weights summed over frames, divided by the frames.
struct FilmShareRow {
  std::int64_t record_id = 0;
  ProvenanceRole role = ProvenanceRole::denoiser;
  double share = 0;
  std::int64_t frames = 0;  // frames it appears in
};

// One record's share of one shot: its weights summed over the shot's rendered frames, divided
// by them.
struct ShotShareRow {
  std::int64_t shot = 0;
  std::int64_t record_id = 0;
  ProvenanceRole role = ProvenanceRole::denoiser;
  double share = 0;
  std::int64_t frames = 0;  // frames of the shot it appears in
};

// One frame of a film that used a record (reverse provenance).
struct RecordUse {
  std::int64_t film_id = 0;
  std::string film_title;
  std::int64_t frame = 0;
  ProvenanceRole role = ProvenanceRole::denoiser;
  double weight = 0;
};

// A film's soundtrack as mixed into its film.mp4 (migration 0006). The provenance of its sound is
// kept per interval: one film frame when a frame is a whole number of samples (sample_rate / fps),
// else one second. Interval i covers samples [i x interval_samples, (i + 1) x interval_samples),
// the last one cut at `samples`; frame f starts at sample round(f x sample_rate / fps), the
// mixer's rounding of film times.
struct FilmSoundtrackRow {
  std::int64_t film_id = 0;
  int sample_rate = 48000;
  std::int64_t samples = 0;           // the film's duration, in samples
  std::int64_t interval_samples = 1;  // the provenance interval
  double fps = 12;
  std::int64_t clips = 0;             // clips of archive audio mixed into it
  double gain_db = 0;                 // the one loudness-normalisation gain
  std::optional<double> mix_lufs;     // before normalisation; nullopt when silent (-inf)
  std::optional<double> output_lufs;
  std::optional<double> true_peak_dbtp;
  std::vector<std::string> warnings;
  std::string created_at;

  double duration_s() const;
  double interval_s() const;
  bool per_frame() const;  // an interval is exactly one frame
  std::int64_t intervals() const;
  std::int64_t frame_start_sample(std::int64_t frame) const;
  // The interval holding frame `frame`'s first sample.
  std::int64_t interval_of_frame(std::int64_t frame) const;
  double interval_start_s(std::int64_t interval) const;
  double interval_end_s(std::int64_t interval) const;
  // The frames whose first sample lies in the interval: [first, end).
  std::pair<std::int64_t, std::int64_t> frames_of_interval(std::int64_t interval) const;
};

// A record heard in one interval of a film's soundtrack, at its mean effective gain over the
// interval (clip gain x fades x normalisation; 0 where it does not play).
struct HeardRow {
  std::int64_t interval = 0;
  std::int64_t record_id = 0;
  double gain = 0;
};

// What is heard in one interval: its times and records, loudest first.
struct SoundInterval {
  std::int64_t interval = 0;
  double from_s = 0;
  double to_s = 0;
  std::vector<HeardRow> records;
};

// One record's share of a film's sound: share = its gain x time over all records' gain x time
// (the shares of a soundtrack sum to 1); mean_gain = its gain x time over the film's duration.
struct SoundShareRow {
  std::int64_t record_id = 0;
  double share = 0;
  double mean_gain = 0;
  double seconds = 0;          // length of the intervals it is heard in
  std::int64_t intervals = 0;
};

// One interval of a film in which a record is heard (reverse provenance of sound).
struct RecordHeard {
  std::int64_t film_id = 0;
  std::string film_title;
  std::int64_t interval = 0;
  double from_s = 0;
  double to_s = 0;
  std::int64_t first_frame = 0;  // frames starting in the interval: [first_frame, end_frame)
  std::int64_t end_frame = 0;
  double gain = 0;
};

struct JobRow {
  std::int64_t id = 0;
  std::int64_t film_id = 0;
  JobState state = JobState::queued;
  double progress = 0;
  std::string error;
  nlohmann::json options = nlohmann::json::object();  // render options given with the request
  std::int64_t attempts = 0;  // times a worker claimed it (a resumed job has more than one)
  std::string owner;          // the server process running it
  std::string created_at;
  std::string started_at;
  std::string finished_at;
  std::string heartbeat_at;
  std::string kind = "render";  // "render" (a film) or "sweep" (synth/sweep.h)
};

// What JobQueue::recover() did to one stale job.
struct RecoveredJob {
  std::int64_t job_id = 0;
  std::int64_t film_id = 0;
  bool requeued = false;  // false: failed (too many attempts)
};

// An embedding model known to the catalog; vectors are stored per (record, model).
struct ModelRow {
  std::int64_t id = 0;
  std::string name;
  int dim = 0;
  std::string weights_sha256;
};

}  // namespace palimpsest
