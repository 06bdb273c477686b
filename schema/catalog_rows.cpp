#include "schema/catalog_rows.h"

#include <array>

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

}  // namespace palimpsest
