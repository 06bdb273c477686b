#pragma once
// Where the default embedding model (palimpsest-tiny, committed under data/models/) is found.

#include <filesystem>
#include <optional>

namespace palimpsest {

// $PALIMPSEST_MODEL when set; else data/models/palimpsest-tiny next to the executable's parent
// folder (a build tree inside the checkout, or an install prefix with share data); else the
// source tree this binary was built from. nullopt when none of them holds a model.json.
std::optional<std::filesystem::path> default_model_dir();

}  // namespace palimpsest
