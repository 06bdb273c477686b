#include "server/film_credits.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "schema/film_store.h"

namespace palimpsest::server {
namespace {

using Key = std::pair<std::int64_t, std::string>;  // record, role

std::string fixed(double v, int digits) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", digits, v);
  return text;
}

std::string record_title(const CreditedRecord& c) {
  if (c.record_id == kLanguageRecord) return "language guidance (pixels drawn by the text)";
  if (!c.record) return "record " + std::to_string(c.record_id) + " (deleted)";
  const RecordRow& r = *c.record;
  if (!r.title.empty()) return r.title;
  std::string text = r.text.substr(0, std::min<std::size_t>(r.text.size(), 120));
  return text.empty() ? std::string(to_string(r.kind)) + " " + std::to_string(r.id) : text;
}

std::string record_kind(const CreditedRecord& c) {
  if (c.record_id == kLanguageRecord) return "language";
  return c.record ? std::string(to_string(c.record->kind)) : "";
}

std::string csv_cell(std::string text) {
  if (!text.empty() && std::string("=+-@\t\r").find(text[0]) != std::string::npos) text.insert(0, "'");
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

std::vector<FrameRange> frame_ranges(const std::vector<std::int64_t>& frames) {
  std::vector<FrameRange> out;
  for (std::int64_t f : frames) {
    if (!out.empty() && f == out.back().last + 1)
      out.back().last = f;
    else if (out.empty() || f > out.back().last)
      out.push_back({f, f});
  }
  return out;
}

std::string ranges_text(const std::vector<FrameRange>& ranges) {
  std::string out;
  for (const FrameRange& r : ranges) {
    if (!out.empty()) out += ' ';
    out += std::to_string(r.first);
    if (r.last != r.first) out += "-" + std::to_string(r.last);
  }
  return out;
}

FilmCredits film_credits(Catalog& catalog, const FilmRow& film, double fps) {
  FilmCredits credits;
  credits.film_id = film.id;
  credits.title = film.title;
  credits.fps = fps > 0 ? fps : 12;
  credits.frame_count = film.frame_count;
  credits.frames_rendered = film.frames_rendered;
  FilmStore& films = catalog.films();

  std::map<Key, std::vector<std::int64_t>> frames_of;
  for (const auto& [frame, rows] : films.all_frame_provenance(film.id))
    for (const ProvenanceRow& row : rows) frames_of[{row.record_id, std::string(to_string(row.role))}].push_back(frame);

  std::map<std::int64_t, std::size_t> index;  // record id -> credits.records position
  auto credited = [&](std::int64_t id) -> CreditedRecord& {
    auto [it, added] = index.emplace(id, credits.records.size());
    if (added) {
      CreditedRecord c;
      c.record_id = id;
      if (id != kLanguageRecord) c.record = catalog.record(id);
      if (c.record) c.source = catalog.source(c.record->source_id);
      credits.records.push_back(std::move(c));
    }
    return credits.records[it->second];
  };

  for (const FilmShareRow& s : films.shares(film.id)) {
    CreditLine line{s.record_id, std::string(to_string(s.role)), s.share, s.frames, s.frames / credits.fps, {}};
    std::vector<std::int64_t>& frames = frames_of[{s.record_id, line.role}];
    std::sort(frames.begin(), frames.end());
    line.ranges = frame_ranges(frames);
    credited(s.record_id).lines.push_back(std::move(line));
  }

  if (const std::optional<FilmSoundtrackRow> soundtrack = films.soundtrack(film.id)) {
    std::map<std::int64_t, std::set<std::int64_t>> heard_frames;
    for (const HeardRow& h : films.all_heard(film.id)) {
      if (h.gain <= 0) continue;
      const auto [first, end] = soundtrack->frames_of_interval(h.interval);
      for (std::int64_t f = first; f < end; ++f) heard_frames[h.record_id].insert(f);
    }
    for (const SoundShareRow& s : films.sound_shares(film.id)) {
      const std::set<std::int64_t>& set = heard_frames[s.record_id];
      const std::vector<std::int64_t> frames(set.begin(), set.end());
      credited(s.record_id).lines.push_back(
          {s.record_id, "heard", s.share, static_cast<std::int64_t>(frames.size()), s.seconds, frame_ranges(frames)});
    }
  }
  return credits;
}

std::string credits_csv(const FilmCredits& credits) {
  std::string out = "record_id,kind,title,source,role,share,frames,seconds,frame_ranges\r\n";
  for (const CreditedRecord& c : credits.records) {
    const std::string prefix = std::to_string(c.record_id) + "," + csv_cell(record_kind(c)) + "," +
                               csv_cell(record_title(c)) + "," + csv_cell(c.source ? c.source->uri : "") + ",";
    for (const CreditLine& line : c.lines)
      out += prefix + line.role + "," + fixed(line.share, 6) + "," + std::to_string(line.frames) + "," +
             fixed(line.seconds, 3) + "," + ranges_text(line.ranges) + "\r\n";
  }
  return out;
}

std::string credits_html(const FilmCredits& c) {
  const std::string film = std::to_string(c.film_id);
  const std::string title = c.title.empty() ? "film " + film : c.title;
  std::string out =
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Credits: " + html_escape(title) +
      "</title>\n<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse}"
      "th,td{text-align:left;vertical-align:top;padding:.3rem .6rem;border-bottom:1px solid #ddd}"
      "td.n{text-align:right;font-variant-numeric:tabular-nums}.muted{color:#666;font-size:.85rem}</style></head>\n<body>\n";
  out += "<h1>Credits: " + html_escape(title) + "</h1>\n<p class=\"muted\">film " + film + " &middot; " +
         std::to_string(c.frames_rendered) + " of " + std::to_string(c.frame_count) + " frames rendered &middot; " +
         fixed(c.fps, 2) + " fps &middot; " + std::to_string(c.records.size()) +
         " records &middot; <a href=\"credits.csv\">CSV</a></p>\n";
  if (c.records.empty()) out += "<p>No provenance recorded for this film yet.</p>\n";
  out += "<table id=\"credits\">\n<thead><tr><th>Record</th><th>Kind</th><th>Source</th><th>Role</th>"
         "<th>Share</th><th>Frames</th><th>Frame ranges</th></tr></thead>\n<tbody>\n";
  for (const CreditedRecord& r : c.records) {
    const std::string span = std::to_string(r.lines.size());
    const std::string name = html_escape(record_title(r));
    bool first = true;
    for (const CreditLine& line : r.lines) {
      out += "<tr data-record=\"" + std::to_string(r.record_id) + "\" data-role=\"" + line.role + "\">";
      if (first) {
        out += "<td rowspan=\"" + span + "\">" +
               (r.record ? "<a href=\"/#/record/" + std::to_string(r.record_id) + "\">#" + std::to_string(r.record_id) +
                               " " + name + "</a>"
                         : name) +
               "</td><td rowspan=\"" + span + "\">" + html_escape(record_kind(r)) + "</td><td rowspan=\"" + span +
               "\">" + html_escape(r.source ? r.source->uri : "") + "</td>";
        first = false;
      }
      out += "<td>" + line.role + "</td><td class=\"n\">" + fixed(line.share * 100, 2) + "%</td><td class=\"n\">" +
             std::to_string(line.frames) + "</td><td>";
      bool sep = false;
      for (const FrameRange& range : line.ranges) {
        if (sep) out += ", ";
        sep = true;
        out += "<a href=\"/#/film/" + film + "/" + std::to_string(range.first) + "\">" + std::to_string(range.first) +
               (range.last != range.first ? "&ndash;" + std::to_string(range.last) : "") + "</a> (" +
               fixed(range.first / c.fps, 1) + "&ndash;" + fixed((range.last + 1) / c.fps, 1) + " s)";
      }
      out += "</td></tr>\n";
    }
  }
  out += "</tbody></table>\n</body></html>\n";
  return out;
}

}  // namespace palimpsest::server
