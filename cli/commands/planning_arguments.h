#pragma once
// The planning controls `plan` and `make` share: --title, --kinds, --archive, --exclude RECORD
// (repeatable), --pin SHOT=RECORD (repeatable), --threshold Z and --borrow-seconds S. Registered
// on a subcommand, then applied to the TimelineOptions (the title) and FilmPlanningOptions once
// the catalog is open (archive names are the catalog's).

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "retrieval/film_planning.h"
#include "retrieval/timeline/manuscript.h"

namespace palimpsest::cli {

struct PlanningArguments {
  std::string title;
  std::vector<std::string> kinds;
  std::string archive;
  std::vector<std::int64_t> excluded;
  std::vector<std::string> pins;
  double threshold = kDefaultPictureThreshold;
  double borrow_seconds = kDefaultBorrowSeconds;

  void add_to(CLI::App& command);
  // Throws palimpsest::Error (exit 2) for a malformed --pin or kind, (exit 1) for an unknown archive.
  FilmPlanningOptions options(Catalog& catalog) const;
  void apply_title(TimelineOptions& timeline) const;
};

// Once per catalog that is not the demo's, when `model` is the embedded palimpsest-tiny: what it
// knows and how to bring a real model (empty otherwise, and on every later call).
std::string demo_model_notice(Catalog& catalog, const std::string& model);

// Plain lines for people: the pictures summary, then each warning as "palimpsest: warning: ...".
void print_planning(const PlannedFilm& planned, std::FILE* summary_to);

}  // namespace palimpsest::cli
