#pragma once
// Records in API responses (internal to server/).

#include <nlohmann/json.hpp>

#include "schema/catalog_rows.h"

namespace palimpsest::server {

// schema/catalog_json.h's shapes of a record with the API's links: to its page, thumbnail, media
// and reverse provenance.
nlohmann::json api_record_json(const RecordRow& record);          // every field, and the links
nlohmann::json api_record_summary_json(const RecordRow& record);  // what a list or grid needs

}  // namespace palimpsest::server
