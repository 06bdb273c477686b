// Text documents (one record per passage: a paragraph, or each passage of a long one, which
// indexer/text/passages.h cuts to fit the embedding model's context) and subtitle files (one
// record per cue).
#include <fstream>

#include "indexer/ingest/file_ingesters.h"
#include "indexer/text/paragraphs.h"
#include "indexer/text/passages.h"
#include "indexer/text/subtitles.h"
#include "indexer/text/timecode.h"

namespace palimpsest::ingest_detail {

void ingest_text(FileContext& file) {
  const std::filesystem::path& path = file.path;
  Catalog::SourceWriter& writer = file.writer;
  FileReport& report = file.report;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read");
  const std::string name = path.filename().string();
  std::int64_t count = 0, records = 0;
  split_paragraphs(in, [&](Paragraph&& p) {
    const std::vector<Passage> passages = split_passages(p);
    for (std::size_t i = 0; i < passages.size(); ++i) {
      const Passage& passage = passages[i];
      RecordRow record;
      record.kind = RecordKind::text;
      std::string title = name + " ¶" + std::to_string(count + 1);
      if (passages.size() > 1) title += " (" + std::to_string(i + 1) + "/" + std::to_string(passages.size()) + ")";
      record.title = p.heading.empty() ? title : p.heading + " — " + title;
      record.meta = {{"paragraph", count},
                     {"line", p.line},
                     {"byte_offset", passage.byte_offset},
                     {"byte_length", passage.byte_length},
                     {"char_offset", passage.char_offset}};
      if (passages.size() > 1) {
        record.meta["passage"] = i;
        record.meta["passages"] = passages.size();
      }
      if (!p.heading.empty()) record.meta["heading"] = p.heading;
      record.text = passage.text;
      writer.add_record(std::move(record));
      ++records;
    }
    ++count;
  });
  if (in.bad()) throw std::runtime_error("read error");
  report.records["text"] = records;
}

void ingest_subtitles(FileContext& file) {
  const std::filesystem::path& path = file.path;
  Catalog::SourceWriter& writer = file.writer;
  FileReport& report = file.report;
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
