#include "indexer/ingest/embedding_pass.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>

#include "indexer/clip/clip_encoder.h"
#include "indexer/ingest/claim_heartbeat.h"
#include "indexer/media/image_codec.h"
#include "indexer/vector/vector_store.h"
#include "indexer/vector/vector_store_location.h"
#include "schema/embedding_store.h"
#include "schema/work_claims.h"

namespace palimpsest {
namespace {

// Fault injection for crash tests: with PALIMPSEST_CRASH_AT_EMBED_BATCH=N the process kills itself
// (SIGKILL, as `kill -9`) once its Nth batch is committed.
void crash_point_after_batch(std::int64_t batch) {
  static const long long crash_at = [] {
    const char* v = std::getenv("PALIMPSEST_CRASH_AT_EMBED_BATCH");
    return v ? std::atoll(v) : -1LL;
  }();
  if (crash_at >= 0 && batch == crash_at) ::kill(::getpid(), SIGKILL);
}

}  // namespace

const std::vector<RecordKind>& embedded_record_kinds() {
  static const std::vector<RecordKind> kinds = {RecordKind::image,    RecordKind::frame,  RecordKind::text,
                                                RecordKind::subtitle, RecordKind::speech, RecordKind::ocr};
  return kinds;
}

EmbeddingReport embed_missing_records(Catalog& catalog, ClipEncoder& encoder,
                                      const EmbeddingPassOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  const ClipModelInfo& info = encoder.info();
  EmbeddingReport report;
  report.model = info.name;
  report.model_id = catalog.embeddings().ensure_model(info.name, info.embed_dim, info.weights_sha256);
  std::int64_t embeddable = 0;
  for (RecordKind kind : embedded_record_kinds()) embeddable += catalog.count_records(kind);
  const std::int64_t total = std::max<std::int64_t>(0, embeddable - catalog.embeddings().count(report.model_id));

  catalog.claims().release_dead_owners();  // a pass killed before this one left its claims
  const std::string owner = new_work_owner();
  const ClaimHeartbeat heartbeat(catalog.path(), owner, options.claim_heartbeat_s);
  const ClaimRelease claims([&] { catalog.claims().release_records(report.model_id, owner); });
  std::int64_t cursor = 0;
  std::int64_t batches = 0;
  while (true) {
    std::vector<RecordRow> batch =
        catalog.embeddings().records_without(report.model_id, embedded_record_kinds(), options.batch_size, cursor);
    if (batch.empty()) break;
    cursor = batch.back().id;
    // Only what this pass could claim: the rest another pass holds or has just embedded.
    std::vector<std::int64_t> ids;
    for (const RecordRow& r : batch) ids.push_back(r.id);
    const std::vector<std::int64_t> mine =
        catalog.claims().claim_records(report.model_id, ids, owner, options.claim_stale_after_s);
    report.deferred += static_cast<std::int64_t>(ids.size() - mine.size());
    std::erase_if(batch, [&](const RecordRow& r) { return !std::binary_search(mine.begin(), mine.end(), r.id); });
    if (batch.empty()) continue;

    std::vector<std::int64_t> image_ids, text_ids;
    std::vector<RgbImage> images;
    std::vector<std::string> texts;
    for (const RecordRow& r : batch) {
      if (r.kind == RecordKind::image || r.kind == RecordKind::frame) {
        try {
          auto jpeg = catalog.thumbnail(r.id);
          if (!jpeg) throw std::runtime_error("no thumbnail");
          images.push_back(decode_image_bytes(*jpeg));
          image_ids.push_back(r.id);
          ++report.by_kind[std::string(to_string(r.kind))];
        } catch (const std::exception& e) {
          report.failures.push_back("record " + std::to_string(r.id) + ": " + e.what());
        }
      } else if (!is_low_confidence_speech(r)) {
        texts.push_back(r.text.empty() ? r.title : r.text);
        text_ids.push_back(r.id);
        ++report.by_kind[std::string(to_string(r.kind))];
      }
    }
    const auto image_vectors = encoder.encode_images(images);
    const auto text_vectors = encoder.encode_texts(texts);
    // One transaction per batch: fast, and an interrupted pass keeps whole batches.
    catalog.transaction([&] {
      for (std::size_t i = 0; i < image_ids.size(); ++i)
        catalog.embeddings().put(image_ids[i], report.model_id, image_vectors[i]);
      for (std::size_t i = 0; i < text_ids.size(); ++i)
        catalog.embeddings().put(text_ids[i], report.model_id, text_vectors[i]);
      catalog.claims().release_records(report.model_id, owner);
    });
    report.embedded += static_cast<std::int64_t>(image_ids.size() + text_ids.size());
    crash_point_after_batch(++batches);
    if (options.progress) options.progress(report.embedded, total);
  }
  // Catch the vector store up (added vectors, and the ones of records replaced or deleted since
  // it was saved) and save it. Its failure never fails the pass: the catalog holds the vectors.
  if (options.update_index && catalog.embeddings().count(report.model_id) > 0) {
    try {
      VectorStoreOptions store_options;
      store_options.log = [&](const std::string& line) { report.index_notes.push_back(line); };
      const VectorStore store =
          VectorStore::open(catalog, report.model_id, vector_store_folder(catalog.path()), store_options);
      report.indexed = store.size();
    } catch (const std::exception& e) {
      report.index_notes.push_back(std::string("vector index not updated: ") + e.what());
    }
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

}  // namespace palimpsest
