// WebVTT after the W3C parsing rules: a signature line, header lines up to the first blank line,
// then blocks. A block is a cue (optional identifier line, then a timing line, then payload), a
// NOTE comment, or a STYLE or REGION definition (only before the first cue). Where the W3C parser
// silently drops a block, this one also reports it, so that authors learn what was lost.

#include "indexer/text/subtitle_block_parsers.h"

namespace palimpsest::subtitle_detail {
namespace {

// "NOTE", "NOTE text", "NOTE\ttext", but not "NOTES".
bool starts_with_keyword(std::string_view line, std::string_view keyword) {
  if (!line.starts_with(keyword)) return false;
  return line.size() == keyword.size() || line[keyword.size()] == ' ' || line[keyword.size()] == '\t';
}

bool is_signature(std::string_view line) { return starts_with_keyword(line, "WEBVTT"); }

class WebVttBlockParser final : public BlockParser {
 public:
  explicit WebVttBlockParser(CueSink& sink) : sink_(sink) {}

  void feed(const SourceLine& line) override {
    switch (phase_) {
      case Phase::signature:
        phase_ = Phase::header;
        if (is_signature(line.text)) return;
        if (line.valid) sink_.problem(line.number, 1, "missing WEBVTT header");
        // Read on, since the cues may still be fine: this line opens the header unless it is
        // already a timing line.
        if (!contains_arrow(line.text)) return;
        phase_ = Phase::body;
        break;
      case Phase::header:
        if (line.text.empty()) {
          phase_ = Phase::body;
          return;
        }
        if (!contains_arrow(line.text)) return;  // header metadata, ignored
        phase_ = Phase::body;                    // a timing line ends the header, as in the W3C parser
        break;
      case Phase::body:
        break;
    }
    feed_body(line);
  }

  void finish() override { end_block(); }

 private:
  enum class Phase { signature, header, body };
  enum class Block { none, identifier, cue, ignored, stray };

  void feed_body(const SourceLine& line) {
    // Only a truly empty line ends a block in WebVTT; a line of spaces is payload.
    if (line.valid && line.text.empty()) {
      end_block();
      return;
    }
    const bool arrow = contains_arrow(line.text);
    switch (block_) {
      case Block::none:
        open_block(line, arrow);
        break;
      case Block::identifier:
        if (arrow) {
          start_cue(line, std::move(identifier_));
        } else {
          report_stray();
          block_ = Block::stray;
        }
        break;
      case Block::cue:
        if (arrow) {  // a new cue without a blank line before it
          cue_.finish(sink_);
          block_ = Block::none;
          open_block(line, arrow);
        } else {
          cue_.add_line(line, sink_);
        }
        break;
      case Block::stray:
        if (arrow) {  // the W3C parser restarts a block at a timing line after two or more lines
          block_ = Block::none;
          open_block(line, arrow);
        }
        break;
      case Block::ignored:
        break;
    }
  }

  void open_block(const SourceLine& line, bool arrow) {
    if (arrow) {
      start_cue(line, {});
    } else if (line.valid && starts_with_keyword(line.text, "NOTE")) {
      block_ = Block::ignored;
    } else if (line.valid && (starts_with_keyword(line.text, "STYLE") || starts_with_keyword(line.text, "REGION"))) {
      block_ = Block::ignored;
      if (seen_cue_)
        sink_.problem(line.number, 1, "STYLE and REGION blocks must come before the first cue; ignored");
    } else {
      block_ = Block::identifier;
      identifier_ = std::string(line.text);
      identifier_line_ = line.number;
      identifier_valid_ = line.valid;
    }
  }

  void start_cue(const SourceLine& line, std::string identifier) {
    block_ = Block::cue;
    seen_cue_ = true;
    cue_.begin(line, std::move(identifier), sink_);
    if (!identifier_valid_) cue_.drop();
    identifier_valid_ = true;
  }

  void report_stray() {
    if (identifier_valid_) sink_.problem(identifier_line_, 1, "expected a cue timing line (start --> end)");
    identifier_valid_ = true;
  }

  void end_block() {
    if (block_ == Block::cue) cue_.finish(sink_);
    if (block_ == Block::identifier) report_stray();
    block_ = Block::none;
  }

  CueSink& sink_;
  Phase phase_ = Phase::signature;
  Block block_ = Block::none;
  bool seen_cue_ = false;
  CueDraft cue_;
  std::string identifier_;
  int identifier_line_ = 0;
  bool identifier_valid_ = true;
};

}  // namespace

std::unique_ptr<BlockParser> make_webvtt_parser(CueSink& sink) {
  return std::make_unique<WebVttBlockParser>(sink);
}

}  // namespace palimpsest::subtitle_detail
