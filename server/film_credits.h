#pragma once
// A film's credits: every record that made it, with the frames it is in (as ranges), its share
// per role, and the file it came from; and every record heard in its sound. Read from the
// catalog's provenance (schema/film_store.h: shares, all_frame_provenance, sound_shares,
// all_heard), so the report agrees with /films/{id}/provenance by construction. Written as CSV
// (one line per record and role) and as an HTML page (one row per record). Internal to server/.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "schema/catalog.h"

namespace palimpsest::server {

struct FrameRange {
  std::int64_t first = 0;  // inclusive
  std::int64_t last = 0;   // inclusive
};

// One record in one role. `role` is a provenance role's spelling, or "heard" for the sound.
struct CreditLine {
  std::int64_t record_id = 0;
  std::string role;
  double share = 0;          // FilmShareRow::share, or SoundShareRow::share for "heard"
  std::int64_t frames = 0;   // frames it is in (heard: frames starting while it sounds)
  double seconds = 0;        // heard: SoundShareRow::seconds; else frames / fps
  std::vector<FrameRange> ranges;
};

struct CreditedRecord {
  std::int64_t record_id = 0;
  std::optional<RecordRow> record;  // nullopt: language (record 0), or deleted since
  std::optional<SourceRow> source;
  std::vector<CreditLine> lines;    // pixel roles first (largest share first), guidance, heard
};

struct FilmCredits {
  std::int64_t film_id = 0;
  std::string title;
  double fps = 12;
  std::int64_t frame_count = 0;
  std::int64_t frames_rendered = 0;
  std::vector<CreditedRecord> records;  // in the order of their first line in shares() order
};

FilmCredits film_credits(Catalog& catalog, const FilmRow& film, double fps);

// Consecutive frame numbers (sorted, unique) as ranges.
std::vector<FrameRange> frame_ranges(const std::vector<std::int64_t>& sorted_frames);

// "0-11 24-30 40": inclusive ranges, a single frame as one number.
std::string ranges_text(const std::vector<FrameRange>& ranges);

// RFC 4180 CSV with a header line: record_id, kind, title, source, role, share, frames, seconds,
// frame_ranges. Text cells that a spreadsheet would read as a formula (=, +, -, @) get a leading '.
std::string credits_csv(const FilmCredits& credits);

// A self-contained HTML page (no scripts, no external resources); every text from the catalog is
// escaped. Links go to the viewer's record and frame pages.
std::string credits_html(const FilmCredits& credits);

}  // namespace palimpsest::server
