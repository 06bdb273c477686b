#pragma once
// Where a record is in its file, as listings print it: "harbour.mp4 @ 00:12.300-00:15.000" for
// what has a time (frames, subtitle cues, audio segments, speech, OCR of a keyframe), "report.pdf
// p. 3" for what has a page (PDF pages, their paragraphs and OCR), the file name otherwise.

#include <string>

#include "schema/catalog_rows.h"

namespace palimpsest::cli {

std::string record_location(const RecordRow& record);

}  // namespace palimpsest::cli
