#pragma once
// The JSON shape of a record in CLI output (records, record, search).

#include <nlohmann/json.hpp>

#include "schema/catalog.h"

namespace palimpsest::cli {

nlohmann::json record_json(const RecordRow& record);

}  // namespace palimpsest::cli
