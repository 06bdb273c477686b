#pragma once
// The JSON shapes of catalog rows: one writer for each, shared by the CLI's --json output, the
// files a render writes (provenance.json) and the HTTP API, which only adds links and record
// summaries to these objects. A shape changes here or nowhere.

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "schema/catalog_rows.h"

namespace palimpsest {

// Every field of a record: id, archive_id, source_id, kind, uri, ts_ms, dur_ms, width, height,
// title, text, meta, sha256, created_at.
nlohmann::json record_json(const RecordRow& record);
// What a list of records needs: id, kind, title, excerpt (the text's first 200 bytes, cut on a
// character boundary), source_name (the file name), ts_ms, dur_ms.
nlohmann::json record_summary_json(const RecordRow& record);

// {record_id, role, weight} per row, in the rows' order.
nlohmann::json provenance_entries_json(const std::vector<ProvenanceRow>& rows);
// A rendered frame and its provenance: {frame, shot, diffused, entries}.
nlohmann::json frame_provenance_json(const FilmFrameRow& frame, const std::vector<ProvenanceRow>& rows);
// {record_id, role, share, frames} per record and role.
nlohmann::json shares_json(const std::vector<FilmShareRow>& shares);
nlohmann::json share_json(const FilmShareRow& share);
nlohmann::json share_json(const ShotShareRow& share);

}  // namespace palimpsest
