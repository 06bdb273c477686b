#include "cli/commands/planning_arguments.h"
#include "cli/commands/terminal_text.h"

#include <cstdio>
#include <iostream>

#include "cli/commands/catalog_arguments.h"

namespace palimpsest::cli {

void PlanningArguments::add_to(CLI::App& command) {
  command.add_option("--title", title, "The film's title (default: the manuscript's)");
  command.add_option("--kinds", kinds, "Only records of these kinds, e.g. image,frame,subtitle");
  command.add_option("--archive", archive, "Only records of this archive");
  command.add_option("--exclude", excluded, "Never use this record (repeatable)");
  command.add_option("--pin", pins, "SHOT=RECORD: make RECORD a keyframe (picture) or guidance (text) of shot SHOT (repeatable)");
  command.add_option("--threshold", threshold,
                     "Pictures below this calibrated score (standard deviations above the archive's typical picture) are not used")
      ->capture_default_str();
  command.add_option("--borrow-seconds", borrow_seconds,
                     "A shot without pictures borrows the previous shot's for at most this long, then falls back to its init")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600.0));
}

FilmPlanningOptions PlanningArguments::options(Catalog& catalog) const {
  FilmPlanningOptions out;
  out.filter.kinds = kinds_argument(kinds);
  if (!archive.empty()) out.filter.archive_id = archive_argument(catalog, archive);
  for (std::int64_t id : excluded) {
    if (id <= 0) throw Error("--exclude takes a record id, not " + std::to_string(id), error_class::bad_request);
    out.excluded.insert(id);
  }
  for (const std::string& pin : pins) {
    long long shot = -1, record = -1;
    char rest = 0;
    if (std::sscanf(pin.c_str(), "%lld=%lld%c", &shot, &record, &rest) != 2 || shot < 0 || record <= 0)
      throw Error("--pin takes SHOT=RECORD (a shot index from 0, a record id), not '" + pin + "'", error_class::bad_request);
    if (!catalog.record(record)) throw Error("--pin " + pin + ": no record " + std::to_string(record), error_class::not_found);
    out.pins[static_cast<int>(shot)].push_back(record);
  }
  out.picture_threshold = threshold;
  out.borrow_seconds = borrow_seconds;
  return out;
}

void PlanningArguments::apply_title(TimelineOptions& timeline) const {
  if (!title.empty()) timeline.title = title;
}

std::string demo_model_notice(Catalog& catalog, const std::string& model) {
  if (model != "palimpsest-tiny") return {};
  bool demo_only = true;
  for (const ArchiveRow& a : catalog.archives()) demo_only = demo_only && a.name == "demo";
  if (demo_only) return {};
  constexpr const char* kKey = "notice.palimpsest-tiny";
  if (catalog.state(kKey)) return {};
  catalog.set_state(kKey, "shown");
  return "palimpsest-tiny, the embedded model, was trained only on the procedural demo world (coloured shapes over "
         "seas, deserts, snow and cities): on this archive its matches are close to chance. Bring a real CLIP "
         "model: palimpsest model import PATH (an OpenAI .pt, an open_clip checkpoint or folder) or palimpsest "
         "model fetch NAME, then ingest again with --model. (Said once per catalog.)";
}

void print_planning(const PlannedFilm& planned, std::FILE* summary_to) {
  std::fprintf(summary_to, "pictures: %s\n", planned.summary.to_string().c_str());
  std::fflush(summary_to);
  for (const std::string& w : planned.timeline.warnings) std::cerr << "palimpsest: warning: " << error_line(w) << "\n";
}

}  // namespace palimpsest::cli
