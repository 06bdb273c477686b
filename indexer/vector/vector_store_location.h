#pragma once
// Where a catalog's vector store files live: beside the catalog, in a hidden folder named after
// it, `<catalog folder>/.<catalog file name>.vectors/` (one `vectors-<model id>.pvec` per model).
//
// - Beside the catalog: the index is a cache of the catalog's embeddings table and moves, is
//   backed up and is deleted with it (deleting the folder is always safe: the next open rebuilds).
// - Named after the catalog file: two catalogs in one folder never share (model ids collide
//   between catalogs, and the files would be rebuilt back and forth).
// - Hidden: ingest skips hidden entries, so a catalog kept inside the folder being ingested does
//   not have its index files offered as archive content.

#include <filesystem>

namespace palimpsest {

std::filesystem::path vector_store_folder(const std::filesystem::path& catalog_path);

}  // namespace palimpsest
