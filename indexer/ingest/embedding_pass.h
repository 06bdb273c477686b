#pragma once
// Embeds every record that has no vector for a model yet: images and frames (PDF pages included)
// by their pixels (the catalog's thumbnail); texts, subtitles, speech and OCR records by their
// text. Audio records get no vector: CLIP has no ear, and a vector of their title would only
// match file names; they are found through their speech records, which link to them. Speech
// utterances flagged low_confidence get none either (they stay out of search, see
// is_low_confidence_speech). Vectors go to the catalog's
// embeddings table, the source of truth from which vector indexes are built. Resumable: an
// interrupted pass leaves whole batches committed, and the next pass continues from there.
// Afterwards the model's vector store (indexer/vector/, saved beside the catalog) is brought in
// line with the table and saved, so that the first search does not have to catch up.
//
// Passes on one catalog at once share the work: each claims the records of a batch
// (schema/work_claims.h, kept fresh by a heartbeat) before encoding them, and leaves those another
// live pass holds, or has embedded meanwhile, to it. No record is encoded twice.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "schema/catalog.h"

namespace palimpsest {

class ClipEncoder;

struct EmbeddingReport {
  std::int64_t model_id = 0;
  std::string model;
  std::int64_t embedded = 0;
  std::map<std::string, std::int64_t> by_kind;
  std::vector<std::string> failures;  // "record N: reason"
  std::int64_t deferred = 0;          // records another pass on the catalog was embedding
  double seconds = 0;
  // The vector store after the pass: live vectors, and what happened to it (repairs, or why it
  // could not be saved: the next search then builds it from the catalog).
  std::int64_t indexed = 0;
  std::vector<std::string> index_notes;
};

struct EmbeddingPassOptions {
  int batch_size = 64;
  // Called after each batch with (records embedded so far, records that needed it at the start).
  std::function<void(std::int64_t done, std::int64_t total)> progress;
  // Bring the model's vector store up to date after embedding (off: the next search does it).
  bool update_index = true;
  double claim_heartbeat_s = 2;     // how often the pass refreshes its claims
  double claim_stale_after_s = 20;  // a claim without a heartbeat this long is taken over
};

// The kinds of record the pass embeds.
const std::vector<RecordKind>& embedded_record_kinds();

// Registers the encoder's model in the catalog (by name and weights hash) and embeds what is
// missing. Records that cannot be embedded (e.g. no thumbnail) are reported and skipped.
EmbeddingReport embed_missing_records(Catalog& catalog, ClipEncoder& encoder,
                                      const EmbeddingPassOptions& options = {});

}  // namespace palimpsest
