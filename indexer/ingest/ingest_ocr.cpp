// Writing in pictures: an `ocr` record for every picture (image, keyframe, PDF page without a
// text layer) in which the OCR engine reads text, linked to the picture's record. Pictures without
// writing cost only the engine's text-likelihood test and leave no record.
#include "indexer/ingest/file_ingesters.h"
#include "indexer/ocr/ocr_result.h"

namespace palimpsest::ingest_detail {

std::int64_t add_ocr_record(FileContext& file, const RgbImage& picture, std::int64_t picture_record_id,
                    const std::string& name, const std::string& title, std::int64_t ts_ms, int dpi,
                    const nlohmann::json& meta) {
  FileReport& report = file.report;
  OcrResult result;
  OcrEngine* engine = nullptr;
  try {
    engine = &file.engines.ocr_engine();
    ++report.ocr_pictures;
    result = engine->recognize(picture, name, dpi);
  } catch (const OcrError& e) {
    // The picture stays; only its writing is not read.
    report.warnings.push_back(std::string("OCR: ") + e.what());
    return 0;
  }
  for (const std::string& w : result.warnings) report.warnings.push_back("OCR: " + w);
  if (!result.has_text()) {
    ++report.ocr_text_free;
    return 0;
  }
  RecordRow record;
  record.kind = RecordKind::ocr;
  record.ts_ms = ts_ms;
  record.width = result.width;
  record.height = result.height;
  record.title = title;
  record.text = result.text;
  record.meta = to_json(result);
  record.meta.erase("text");  // the record's text
  record.meta["picture_record_id"] = picture_record_id;
  record.meta["engine"] = engine->engine();
  record.meta["model"] = engine->model();
  record.meta["words"] = result.words_kept;
  if (dpi > 0) record.meta["dpi"] = dpi;
  record.meta.update(meta);
  const std::int64_t id = file.writer.add_record(std::move(record));
  ++report.records["ocr"];
  return id;
}

}  // namespace palimpsest::ingest_detail
