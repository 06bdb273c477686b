#include "indexer/ingest/embedding_pass.h"

#include <chrono>

#include "indexer/clip/clip_encoder.h"
#include "indexer/media/image_codec.h"
#include "indexer/vector/vector_store.h"
#include "indexer/vector/vector_store_location.h"
#include "schema/embedding_store.h"

namespace palimpsest {

EmbeddingReport embed_missing_records(Catalog& catalog, ClipEncoder& encoder,
                                      const EmbeddingPassOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  const ClipModelInfo& info = encoder.info();
  EmbeddingReport report;
  report.model = info.name;
  report.model_id = catalog.embeddings().ensure_model(info.name, info.embed_dim, info.weights_sha256);
  const std::int64_t total =
      std::max<std::int64_t>(0, catalog.count_records() - catalog.embeddings().count(report.model_id));

  std::int64_t cursor = 0;
  while (true) {
    std::vector<RecordRow> batch =
        catalog.embeddings().records_without(report.model_id, {}, options.batch_size, cursor);
    if (batch.empty()) break;
    cursor = batch.back().id;

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
      } else {
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
    });
    report.embedded += static_cast<std::int64_t>(image_ids.size() + text_ids.size());
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
