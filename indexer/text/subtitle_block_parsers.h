#pragma once
// The per-format halves of parse_subtitles: each is fed validated lines one at a time and turns
// blocks (runs of lines between blank lines) into cues or problems. Internal to indexer/text.

#include <memory>

#include "indexer/text/subtitle_cue_collector.h"

namespace palimpsest::subtitle_detail {

class BlockParser {
 public:
  virtual ~BlockParser() = default;
  virtual void feed(const SourceLine& line) = 0;
  virtual void finish() = 0;  // end of input
};

std::unique_ptr<BlockParser> make_srt_parser(CueSink& sink);
std::unique_ptr<BlockParser> make_webvtt_parser(CueSink& sink);

}  // namespace palimpsest::subtitle_detail
