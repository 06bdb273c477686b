#pragma once
// Where the default embedding model (palimpsest-tiny, committed under data/models/) is found.

#include <filesystem>
#include <optional>

namespace palimpsest {

// $PALIMPSEST_MODEL when set; else embedded_model_dir(). nullopt when none of them holds a
// model.json.
std::optional<std::filesystem::path> default_model_dir();

// palimpsest-tiny itself, whatever $PALIMPSEST_MODEL says: data/models/palimpsest-tiny next to
// the executable's parent folder (a build tree inside the checkout, or an install prefix with
// share data), else the source tree this binary was built from.
std::optional<std::filesystem::path> embedded_model_dir();

}  // namespace palimpsest
