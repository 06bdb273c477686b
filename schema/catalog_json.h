#pragma once
// The JSON shapes of catalog rows: one writer for each, shared by the CLI's --json output, the
// files a render writes (provenance.json) and the HTTP API, which only adds links and record
// summaries to these objects. A shape changes here or nowhere.
//
// Every JSON text Palimpsest writes (CLI --json, API responses, files a render writes, JSON kept in
// catalog columns) comes from json_text(): a string in a document need not be valid UTF-8 (a file
// name is bytes, a query may be `%ff`), and nlohmann's own dump() throws on one.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "schema/catalog_rows.h"

namespace palimpsest {

// The document's JSON text (compact, or indented by `indent` spaces), for any bytes in its strings:
// each byte that is not part of valid UTF-8 becomes U+FFFD (nlohmann's error_handler_t::replace),
// so writing never throws for the text in it, and the output is always valid UTF-8 JSON.
std::string json_text(const nlohmann::json& document, int indent = -1);

// Every field of a record: id, archive_id, source_id, kind, uri, ts_ms, dur_ms, width, height,
// title, text, meta, sha256, created_at.
nlohmann::json record_json(const RecordRow& record);
// What a list of records needs: id, kind, title, excerpt (the text's first 200 bytes, cut on a
// character boundary), source_name (the file name), ts_ms, dur_ms, page (a PDF page's number, for
// the page's records; null otherwise).
nlohmann::json record_summary_json(const RecordRow& record);

// How a record hangs together with others, from its meta, for a viewer to follow: an audio
// segment's video source and speech records; an utterance's audio record and the frames heard;
// OCR's picture; a PDF page's number, page count, text or OCR records; a paragraph's page record.
// Only the links the record has: {"audio_record_id": 12, "frame_record_ids": [3, 4]}.
nlohmann::json record_links_json(const RecordRow& record);

// {record_id, role, weight} per row, in the rows' order.
nlohmann::json provenance_entries_json(const std::vector<ProvenanceRow>& rows);
// A rendered frame and its provenance: {frame, shot, diffused, entries, heard, metrics}; heard is
// the sound interval holding the frame's first sample (sound_interval_json), null when the film
// has no soundtrack.
nlohmann::json frame_provenance_json(const FilmFrameRow& frame, const std::vector<ProvenanceRow>& rows,
                                     const std::optional<SoundInterval>& heard);
// {clip_score, flicker, top_share, entropy, novelty}, null where unmeasured.
nlohmann::json metrics_json(const FrameMetrics& metrics);
// Each metric's mean over the frames that have it (unset when none has).
FrameMetrics mean_metrics(const std::vector<FrameMetrics>& frames);
// A film's metrics: {film: {means..., frames}, shots: [{shot, frames, means...}],
// frames: [{frame, shot, diffused, language, metrics...}]} (shot -1: frames outside any shot).
nlohmann::json film_metrics_json(const std::vector<FilmFrameRow>& frames);
// {record_id, role, share, frames} per record and role.
nlohmann::json shares_json(const std::vector<FilmShareRow>& shares);
nlohmann::json share_json(const FilmShareRow& share);
nlohmann::json share_json(const ShotShareRow& share);

// What is heard in one interval of a soundtrack: {interval, from_s, to_s, records: [{record_id,
// gain}]}, loudest first.
nlohmann::json sound_interval_json(const SoundInterval& heard);
// A film's soundtrack and each record's share of its sound: {sample_rate, duration_s, interval
// ("frame" or "second"), interval_s, clips, gain_db, mix_lufs, output_lufs, true_peak_dbtp
// (null when silent), warnings, shares: [sound_share_json...]}; null without a soundtrack.
nlohmann::json soundtrack_json(const std::optional<FilmSoundtrackRow>& soundtrack,
                               const std::vector<SoundShareRow>& shares);
// {record_id, share, mean_gain, seconds, intervals}.
nlohmann::json sound_share_json(const SoundShareRow& share);
// Where a record is heard: {interval, from_s, to_s, first_frame, end_frame, gain}.
nlohmann::json record_heard_json(const RecordHeard& heard);

}  // namespace palimpsest
