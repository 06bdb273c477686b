#pragma once
// JSON shapes of records in API responses (internal to server/).

#include <nlohmann/json.hpp>

#include "schema/catalog.h"

namespace palimpsest::server {

// Everything about a record, with links to its thumbnail, media and reverse provenance.
nlohmann::json record_json(const RecordRow& record);
// The fields a list or grid needs.
nlohmann::json record_summary_json(const RecordRow& record);

}  // namespace palimpsest::server
