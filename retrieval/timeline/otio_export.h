#pragma once
// Timeline -> OpenTimelineIO JSON (.otio), so that editors (DaVinci Resolve, Premiere through
// adapters, otioview) can open a film's cut and see which archive records each shot came from.
//
// Layout: Timeline.1 -> Stack.1 "tracks" -> one Track.1 (kind "Video") holding, in film order, one
// Clip.1 per shot and a Gap.1 for any frames between shots (hand-edited timelines may have some).
// Times are RationalTime.1 at the film's fps, values in frames.
//
// A clip's media_reference is an ExternalReference.1 to the source file of the shot's first
// keyframe record (a file:// URL), its available_range the record's extent in that file (ts_ms and
// dur_ms; none for stills, which have no extent). The clip's source_range starts at the record's
// time and lasts as long as the shot, so an editor shows the source footage that the shot is built
// from at its place in the cut; a shot longer than its record runs past the record's range. A
// planned shot that found no picture but borrows one (shot_pictures.h) references the lending
// shot's first keyframe, with the role "borrowed" and the lending shot in the reference's metadata
// (an own keyframe has the role "keyframe"). A shot with nothing to show (empty), or whose record
// the lookup no longer knows, gets a MissingReference.1 saying why.
//
// Clip metadata, under "palimpsest": shot index, kind, text, raw text, character, scene, source
// line, frame range, keyframes (record ids, frames, pinned), guidance (ids and weights), negatives
// (ids), "pictures" (status own/borrowed/empty, lending shot, frames borrowed and empty; planned
// timelines only) and "provenance": a placeholder ({"status": "pending"}) that synthesis fills with the
// shot's per-record weights once frames exist.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "retrieval/timeline/timeline.h"
#include "schema/catalog_rows.h"

namespace palimpsest {

nlohmann::json to_otio(const Timeline& timeline,
                       const std::function<std::optional<RecordRow>(std::int64_t)>& lookup);

// "file:///archive/a%20b.mp4" for "/archive/a b.mp4"; a URI that already has a scheme is kept.
std::string file_uri(const std::string& path);

}  // namespace palimpsest
