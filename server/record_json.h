#pragma once
// Records in API responses (internal to server/).

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "schema/catalog_rows.h"

namespace palimpsest::server {

// schema/catalog_json.h's shapes of a record with the API's links: to its page, thumbnail, media
// and reverse provenance, and (record_links_json) to the records it hangs together with.
nlohmann::json api_record_json(const RecordRow& record);          // every field, and the links
nlohmann::json api_record_summary_json(const RecordRow& record);  // what a list or grid needs

// "#rrggbb": the colour a record is drawn in on attribution maps (synth's record_colour); white
// for language. The viewer's map legend matches map pixels to records by it.
std::string record_colour_hex(std::int64_t record_id);
// Adds "colour" to a provenance entry or share ({record_id, role, ...}) of a role that lends
// pixels; guidance (which lends none) gets null.
void add_map_colour(nlohmann::json& entry);

}  // namespace palimpsest::server
