#include "indexer/text/subtitle_cue_collector.h"

#include "indexer/text/subtitle_cue_text.h"
#include "indexer/text/subtitle_timing.h"
#include "indexer/text/utf8.h"

namespace palimpsest::subtitle_detail {

bool contains_arrow(std::string_view line) { return line.find("-->") != std::string_view::npos; }

bool is_blank(std::string_view line) { return line.find_first_not_of(" \t") == std::string_view::npos; }

int column_at(std::string_view line, std::size_t byte_offset) {
  return static_cast<int>(utf8_length(line.substr(0, byte_offset))) + 1;
}

bool is_counter(std::string_view line) {
  const std::size_t first = line.find_first_not_of(" \t");
  if (first == std::string_view::npos) return false;
  const std::size_t last = line.find_last_not_of(" \t");
  const std::string_view digits = line.substr(first, last - first + 1);
  if (digits.size() > 18) return false;
  return digits.find_first_not_of("0123456789") == std::string_view::npos;
}

void CueSink::problem(int line, int column, std::string message) {
  result_.problems.push_back({line, column, std::move(message)});
}

void CueSink::add(SubtitleCue cue) {
  cue.index = static_cast<int>(result_.cues.size());
  result_.cues.push_back(std::move(cue));
}

void CueDraft::begin(const SourceLine& timing_line, std::string identifier, CueSink& sink) {
  active_ = true;
  dropped_ = !timing_line.valid;
  cue_ = {};
  lines_.clear();
  bytes_ = 0;
  cue_.line = timing_line.number;
  cue_.identifier = std::move(identifier);
  if (dropped_) return;
  TimingLineParse parsed = parse_timing_line(timing_line.text, sink.format());
  if (!parsed.timing) {
    sink.problem(timing_line.number, column_at(timing_line.text, parsed.error_offset),
                 "malformed cue timing: " + parsed.error);
    dropped_ = true;
    return;
  }
  cue_.start_ms = parsed.timing->start_ms;
  cue_.end_ms = parsed.timing->end_ms;
  cue_.settings = std::move(parsed.timing->settings);
}

void CueDraft::add_line(const SourceLine& line, CueSink& sink) {
  if (!line.valid) dropped_ = true;
  if (dropped_) {
    // Keep only what take_trailing_counter may need.
    lines_.assign(1, std::string(is_counter(line.text) ? line.text : ""));
    return;
  }
  bytes_ += line.text.size() + 1;
  if (bytes_ > kMaxCueBytes) {
    sink.problem(line.number, 1, "cue text longer than " + std::to_string(kMaxCueBytes) + " bytes");
    dropped_ = true;
    lines_.clear();
    return;
  }
  lines_.emplace_back(line.text);
}

std::optional<std::string> CueDraft::take_trailing_counter() {
  if (lines_.empty() || !is_counter(lines_.back())) return std::nullopt;
  std::string counter = std::move(lines_.back());
  lines_.pop_back();
  const std::size_t first = counter.find_first_not_of(" \t");
  const std::size_t last = counter.find_last_not_of(" \t");
  return counter.substr(first, last - first + 1);
}

void CueDraft::finish(CueSink& sink) {
  if (!active_) return;
  active_ = false;
  if (dropped_) return;
  for (std::size_t i = 0; i < lines_.size(); ++i) {
    if (i > 0) cue_.raw_text += '\n';
    cue_.raw_text += lines_[i];
  }
  CleanedCueText cleaned = clean_cue_text(cue_.raw_text);
  if (cleaned.text.empty()) {
    sink.problem(cue_.line, 1, "cue has no text");
    return;
  }
  cue_.text = std::move(cleaned.text);
  cue_.voice = std::move(cleaned.voice);
  sink.add(std::move(cue_));
}

}  // namespace palimpsest::subtitle_detail
