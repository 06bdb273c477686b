#pragma once
// How a record is read from an SQL row (internal to schema/): the columns and the reader that
// the catalog and the embedding store share.

#include <string_view>

#include "schema/catalog_rows.h"
#include "schema/sqlite_statement.h"

namespace palimpsest {

inline constexpr std::string_view kRecordColumns =
    "id, archive_id, source_id, ordinal, kind, uri, sha256, ts_ms, dur_ms, width, height, title, "
    "text, meta, created_at";

// Reads a row selected with kRecordColumns, in that order.
RecordRow read_record(const Statement& s);

}  // namespace palimpsest
