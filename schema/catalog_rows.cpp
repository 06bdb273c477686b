#include "schema/catalog_rows.h"

#include <array>
#include <algorithm>
#include <cmath>

namespace palimpsest {
namespace {

// The one spelling of each value, in enum order; stored in the catalog and shown in the API.
constexpr std::array<std::string_view, 7> kRecordKinds = {"image", "frame", "text", "subtitle", "audio", "speech", "ocr"};
constexpr std::array<std::string_view, 6> kSourceKinds = {"image", "video", "text", "subtitle", "audio", "pdf"};
constexpr std::array<std::string_view, 4> kFilmStatuses = {"planned", "rendering", "done", "failed"};
constexpr std::array<std::string_view, 5> kJobStates = {"queued", "running", "done", "failed", "cancelled"};
constexpr std::array<std::string_view, 6> kProvenanceRoles = {"keyframe", "guidance", "denoiser", "init", "borrowed", "language"};
constexpr std::array<std::string_view, 3> kModalityNames = {"picture", "text", "sound"};

template <typename Enum, std::size_t N>
std::string_view name_of(const std::array<std::string_view, N>& names, Enum value) {
  const auto i = static_cast<std::size_t>(value);
  return i < N ? names[i] : std::string_view("unknown");
}

template <typename Enum, std::size_t N>
std::optional<Enum> parse(const std::array<std::string_view, N>& names, std::string_view name) {
  for (std::size_t i = 0; i < N; ++i)
    if (names[i] == name) return static_cast<Enum>(i);
  return std::nullopt;
}

}  // namespace

std::string_view to_string(RecordKind kind) { return name_of(kRecordKinds, kind); }
std::string_view to_string(SourceKind kind) { return name_of(kSourceKinds, kind); }
std::string_view to_string(FilmStatus status) { return name_of(kFilmStatuses, status); }
std::string_view to_string(JobState state) { return name_of(kJobStates, state); }
std::string_view to_string(ProvenanceRole role) { return name_of(kProvenanceRoles, role); }
std::string_view to_string(Modality modality) { return name_of(kModalityNames, modality); }

std::optional<RecordKind> parse_record_kind(std::string_view name) { return parse<RecordKind>(kRecordKinds, name); }
std::optional<SourceKind> parse_source_kind(std::string_view name) { return parse<SourceKind>(kSourceKinds, name); }
std::optional<FilmStatus> parse_film_status(std::string_view name) { return parse<FilmStatus>(kFilmStatuses, name); }
std::optional<JobState> parse_job_state(std::string_view name) { return parse<JobState>(kJobStates, name); }
std::optional<ProvenanceRole> parse_provenance_role(std::string_view name) {
  return parse<ProvenanceRole>(kProvenanceRoles, name);
}
std::optional<Modality> parse_modality(std::string_view name) { return parse<Modality>(kModalityNames, name); }

Modality modality_of(RecordKind kind) {
  switch (kind) {
    case RecordKind::image:
    case RecordKind::frame:
      return Modality::picture;
    case RecordKind::audio:
      return Modality::sound;
    case RecordKind::text:
    case RecordKind::subtitle:
    case RecordKind::speech:
    case RecordKind::ocr:
      break;
  }
  return Modality::text;
}

std::vector<RecordKind> kinds_of(Modality modality) {
  std::vector<RecordKind> out;
  for (std::size_t i = 0; i < kRecordKinds.size(); ++i)
    if (modality_of(static_cast<RecordKind>(i)) == modality) out.push_back(static_cast<RecordKind>(i));
  return out;
}

std::string record_kind_names() {
  std::string names;
  for (std::string_view name : kRecordKinds) names += (names.empty() ? "" : ", ") + std::string(name);
  return names;
}

bool is_low_confidence_speech(const RecordRow& record) {
  if (record.kind != RecordKind::speech || !record.meta.is_object()) return false;
  const auto it = record.meta.find("low_confidence");
  return it != record.meta.end() && it->is_boolean() && it->get<bool>();
}

double FilmSoundtrackRow::duration_s() const { return static_cast<double>(samples) / sample_rate; }
double FilmSoundtrackRow::interval_s() const { return static_cast<double>(interval_samples) / sample_rate; }
bool FilmSoundtrackRow::per_frame() const {
  return std::abs(static_cast<double>(interval_samples) * fps - sample_rate) < 1e-6;
}
std::int64_t FilmSoundtrackRow::intervals() const { return (samples + interval_samples - 1) / interval_samples; }

std::int64_t FilmSoundtrackRow::frame_start_sample(std::int64_t frame) const {
  return std::llround(static_cast<double>(frame) / fps * sample_rate);
}

std::int64_t FilmSoundtrackRow::interval_of_frame(std::int64_t frame) const {
  return frame_start_sample(frame) / interval_samples;
}

double FilmSoundtrackRow::interval_start_s(std::int64_t interval) const {
  return static_cast<double>(interval * interval_samples) / sample_rate;
}

double FilmSoundtrackRow::interval_end_s(std::int64_t interval) const {
  return static_cast<double>(std::min(samples, (interval + 1) * interval_samples)) / sample_rate;
}

std::pair<std::int64_t, std::int64_t> FilmSoundtrackRow::frames_of_interval(std::int64_t interval) const {
  // The first frame starting at or after `sample`: estimated, then corrected for the rounding.
  auto first_frame_from = [&](std::int64_t sample) {
    auto f = static_cast<std::int64_t>(std::ceil(static_cast<double>(sample) * fps / sample_rate));
    while (f > 0 && frame_start_sample(f - 1) >= sample) --f;
    while (frame_start_sample(f) < sample) ++f;
    return f;
  };
  const std::int64_t first = first_frame_from(interval * interval_samples);
  const std::int64_t end = first_frame_from(std::min(samples, (interval + 1) * interval_samples));
  return {first, std::max(first, end)};
}

}  // namespace palimpsest
