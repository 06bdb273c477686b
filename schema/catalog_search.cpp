// Catalog: lexical search (FTS5) and search filters (see catalog.h).
#include <algorithm>
#include <cctype>

#include "schema/catalog.h"
#include "schema/sqlite_connection.h"

namespace palimpsest {
namespace {

// Turns free text into an FTS5 query: every word becomes a quoted string (so operators, column
// filters and stray quotes in user input are plain text), joined with OR; BM25 then rewards
// records matching more and rarer words. With all_words, the quoted words are joined with AND and
// matched in the title and text columns only (not metadata): records whose own title or text
// holds every one of them.
std::string fts_query(std::string_view text, LexicalMatch match) {
  std::string out, word;
  const bool all = match == LexicalMatch::all_words;
  auto flush = [&] {
    if (word.empty()) return;
    if (!out.empty()) out += all ? " AND " : " OR ";
    out += '"';
    for (char c : word) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    out += '"';
    word.clear();
  };
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    // unicode61 splits on ASCII punctuation and spaces; non-ASCII bytes stay inside words.
    if (u >= 0x80 || std::isalnum(u)) word += c;
    else flush();
  }
  flush();
  if (all && !out.empty()) return "{title text} : (" + out + ")";
  return out;
}

// The kinds of a filter as a JSON array for json_each(), "" when the filter names none.
std::string kinds_json(const SearchFilter& filter) {
  if (filter.kinds.empty()) return {};
  std::string out = "[";
  for (RecordKind kind : filter.kinds) out += (out.size() > 1 ? ",\"" : "\"") + std::string(to_string(kind)) + "\"";
  return out + "]";
}

}  // namespace

std::vector<LexicalHit> Catalog::lexical_search(std::string_view query, const SearchFilter& filter,
                                                int limit, LexicalMatch how) {
  std::vector<LexicalHit> out;
  const std::string match = fts_query(query, how);
  if (match.empty() || limit <= 0) return out;
  Statement& s = db_->statement(
      "SELECT r.id, -bm25(records_fts) AS score FROM records_fts JOIN records r ON r.id = records_fts.rowid "
      "WHERE records_fts MATCH ?1"
      " AND (?2 IS NULL OR r.archive_id = ?2)"
      " AND (?3 IS NULL OR r.kind = ?3)"
      " AND (?4 IS NULL OR r.ts_ms + coalesce(r.dur_ms, 0) >= ?4)"
      " AND (?5 IS NULL OR r.ts_ms <= ?5)"
      " AND (?7 OR r.kind <> 'speech' OR coalesce(json_extract(r.meta, '$.low_confidence'), 0) = 0)"
      " AND (?8 IS NULL OR r.kind IN (SELECT value FROM json_each(?8)))"
      " ORDER BY bm25(records_fts) LIMIT ?6");
  s.bind(1, match).bind(2, filter.archive_id).bind(4, filter.from_ms).bind(5, filter.to_ms);
  if (filter.kind) s.bind(3, to_string(*filter.kind));
  else s.bind_null(3);
  s.bind(6, static_cast<std::int64_t>(limit));
  s.bind(7, static_cast<std::int64_t>(filter.include_low_confidence ? 1 : 0));
  const std::string kinds = kinds_json(filter);
  if (kinds.empty()) s.bind_null(8);
  else s.bind(8, std::string_view(kinds));
  while (s.step()) out.push_back({s.int64(0), s.real(1)});
  return out;
}

std::vector<std::pair<std::int64_t, RecordKind>> Catalog::record_kinds() {
  std::vector<std::pair<std::int64_t, RecordKind>> out;
  Statement& s = db_->statement("SELECT id, kind FROM records ORDER BY id");
  while (s.step())
    if (const auto kind = parse_record_kind(s.text(1))) out.emplace_back(s.int64(0), *kind);
  return out;
}

bool Catalog::record_matches(const RecordRow& r, const SearchFilter& filter) const {
  if (filter.archive_id && r.archive_id != *filter.archive_id) return false;
  if (filter.kind && r.kind != *filter.kind) return false;
  if (!filter.kinds.empty() && std::find(filter.kinds.begin(), filter.kinds.end(), r.kind) == filter.kinds.end())
    return false;
  if (filter.from_ms && r.ts_ms + r.dur_ms.value_or(0) < *filter.from_ms) return false;
  if (filter.to_ms && r.ts_ms > *filter.to_ms) return false;
  if (!filter.include_low_confidence && is_low_confidence_speech(r)) return false;
  return true;
}

}  // namespace palimpsest
