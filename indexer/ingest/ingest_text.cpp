// Text documents (one record per paragraph) and subtitle files (one record per cue).
#include <fstream>

#include "indexer/ingest/file_ingesters.h"
#include "indexer/text/paragraphs.h"
#include "indexer/text/subtitles.h"
#include "indexer/text/timecode.h"

namespace palimpsest::ingest_detail {

void ingest_text(Catalog::SourceWriter& writer, const std::filesystem::path& path,
                 const IngestOptions&, FileReport& report) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read");
  const std::string name = path.filename().string();
  std::int64_t count = 0;
  split_paragraphs(in, [&](Paragraph&& p) {
    RecordRow record;
    record.kind = RecordKind::text;
    record.title = p.heading.empty() ? name + " ¶" + std::to_string(count + 1)
                                     : p.heading + " — " + name + " ¶" + std::to_string(count + 1);
    record.meta = {{"paragraph", count},
                   {"line", p.line},
                   {"byte_offset", p.byte_offset},
                   {"byte_length", p.byte_length},
                   {"char_offset", p.char_offset}};
    if (!p.heading.empty()) record.meta["heading"] = p.heading;
    record.text = std::move(p.text);
    writer.add_record(std::move(record));
    ++count;
  });
  if (in.bad()) throw std::runtime_error("read error");
  report.records["text"] = count;
}

void ingest_subtitles(Catalog::SourceWriter& writer, const std::filesystem::path& path,
                      const IngestOptions&, FileReport& report) {
  SubtitleParseResult parsed = parse_subtitles_file(path);
  for (const SubtitleProblem& problem : parsed.problems) {
    const std::string where =
        "line " + std::to_string(problem.line) + ", column " + std::to_string(problem.column);
    // Text that is not UTF-8 is refused outright, as for text documents; other problems cost
    // only the malformed cue.
    if (problem.message.find("UTF-8") != std::string::npos)
      throw std::runtime_error(where + ": " + problem.message);
    report.warnings.push_back(where + ": " + problem.message);
  }
  if (parsed.cues.empty()) {
    if (!parsed.problems.empty())
      throw std::runtime_error("no valid cue; first problem at line " +
                               std::to_string(parsed.problems.front().line) + ": " +
                               parsed.problems.front().message);
    report.warnings.push_back("no cues");
  }
  const std::string name = path.filename().string();
  for (SubtitleCue& cue : parsed.cues) {
    RecordRow record;
    record.kind = RecordKind::subtitle;
    record.ts_ms = cue.start_ms;
    record.dur_ms = cue.end_ms - cue.start_ms;
    record.title = name + " @ " + format_timestamp(cue.start_ms);
    record.meta = {{"cue", cue.index}, {"line", cue.line}, {"end_ms", cue.end_ms}};
    if (!cue.identifier.empty()) record.meta["identifier"] = cue.identifier;
    if (!cue.settings.empty()) record.meta["settings"] = cue.settings;
    record.text = std::move(cue.text);
    writer.add_record(std::move(record));
  }
  report.records["subtitle"] = static_cast<std::int64_t>(parsed.cues.size());
}

}  // namespace palimpsest::ingest_detail
