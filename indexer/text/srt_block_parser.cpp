// SubRip as found in the wild, not only as specified: counters may be missing or wrong, blank
// lines between cues may be missing, and stray text may sit between cues. A timing line ("-->")
// always starts a cue; the bare number just above it is its counter.

#include "indexer/text/subtitle_block_parsers.h"

namespace palimpsest::subtitle_detail {
namespace {

class SrtBlockParser final : public BlockParser {
 public:
  explicit SrtBlockParser(CueSink& sink) : sink_(sink) {}

  void feed(const SourceLine& line) override {
    if (line.valid && is_blank(line.text)) {
      end_block();
    } else if (contains_arrow(line.text)) {
      start_cue(line);
    } else if (cue_.active()) {
      cue_.add_line(line, sink_);
    } else {
      add_stray(line);
    }
  }

  void finish() override { end_block(); }

 private:
  // Lines outside any cue since the last blank line, summarised so that memory stays bounded
  // however much stray text there is.
  struct StrayLines {
    int count = 0;
    int first_line = 0;
    bool first_is_counter = false;
    int second_line = 0;
    bool reported = false;  // one of them was invalid and is already a problem
    std::string last;       // may be the counter of a cue that follows
  };

  void start_cue(const SourceLine& line) {
    std::string counter;
    if (cue_.active()) {
      if (auto taken = cue_.take_trailing_counter()) counter = std::move(*taken);
      cue_.finish(sink_);
    } else if (stray_.count > 0) {
      const bool last_is_counter = is_counter(stray_.last);
      if (last_is_counter) counter = trimmed(stray_.last);
      report_stray(stray_.count - (last_is_counter ? 1 : 0));
      stray_ = {};
    }
    cue_.begin(line, std::move(counter), sink_);
  }

  void end_block() {
    if (cue_.active()) {
      cue_.finish(sink_);
    } else {
      report_stray(stray_.count);
    }
    stray_ = {};
  }

  void add_stray(const SourceLine& line) {
    if (stray_.count == 0) {
      stray_.first_line = line.number;
      stray_.first_is_counter = line.valid && is_counter(line.text);
    } else if (stray_.count == 1) {
      stray_.second_line = line.number;
    }
    ++stray_.count;
    if (!line.valid) stray_.reported = true;
    stray_.last = line.valid ? std::string(line.text) : std::string();
  }

  // Reports the first `count` stray lines (the rest, if any, became a counter).
  void report_stray(int count) {
    if (count <= 0 || stray_.reported) return;
    if (stray_.first_is_counter && count == 1) {
      sink_.problem(stray_.first_line, 1, "cue number without a timing line");
    } else if (stray_.first_is_counter) {
      sink_.problem(stray_.second_line, 1, "expected a cue timing line (start --> end)");
    } else {
      sink_.problem(stray_.first_line, 1, "unexpected text outside a cue");
    }
  }

  static std::string trimmed(std::string_view s) {
    const std::size_t first = s.find_first_not_of(" \t");
    const std::size_t last = s.find_last_not_of(" \t");
    return std::string(s.substr(first, last - first + 1));
  }

  CueSink& sink_;
  CueDraft cue_;
  StrayLines stray_;
};

}  // namespace

std::unique_ptr<BlockParser> make_srt_parser(CueSink& sink) { return std::make_unique<SrtBlockParser>(sink); }

}  // namespace palimpsest::subtitle_detail
