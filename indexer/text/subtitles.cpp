#include "indexer/text/subtitles.h"

#include <cctype>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "indexer/text/line_reader.h"
#include "indexer/text/subtitle_block_parsers.h"
#include "indexer/text/subtitle_timing.h"
#include "indexer/text/utf8.h"

namespace palimpsest {
namespace {

using subtitle_detail::SourceLine;

constexpr std::size_t kHeadBytes = 4096;
constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool has_utf16_bom(std::string_view head) {
  return head.starts_with("\xFF\xFE") || head.starts_with("\xFE\xFF");
}

// The first lines of `head`, split like LineReader does, ignoring a possibly cut-off last line.
std::vector<std::string_view> head_lines(std::string_view head, std::size_t max_lines) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (lines.size() < max_lines) {
    const std::size_t end = head.find_first_of("\r\n", start);
    if (end == std::string_view::npos) break;
    lines.push_back(head.substr(start, end - start));
    start = end + 1;
    if (head[end] == '\r' && start < head.size() && head[start] == '\n') ++start;
  }
  if (lines.size() < max_lines && start < head.size()) lines.push_back(head.substr(start));
  return lines;
}

// A SubRip opening that a player would accept: blank lines, then a counter and a timing line, or
// a timing line straight away.
bool looks_like_srt(std::string_view head) {
  std::vector<std::string_view> lines = head_lines(head, 64);
  std::size_t i = 0;
  while (i < lines.size() && subtitle_detail::is_blank(lines[i])) ++i;
  if (i < lines.size() && subtitle_detail::is_counter(lines[i])) ++i;
  return i < lines.size() && parse_timing_line(lines[i], SubtitleFormat::srt).timing.has_value();
}

bool looks_like_webvtt(std::string_view head) {
  if (!head.starts_with("WEBVTT")) return false;
  return head.size() == 6 || std::strchr(" \t\r\n", head[6]) != nullptr;
}

bool is_text(std::string_view head) {
  return head.find('\0') == std::string_view::npos && !find_invalid_utf8(head, true) &&
         !subtitle_detail::is_blank(head);
}

}  // namespace

std::optional<SubtitleFormat> detect_subtitle_format(std::string_view head, std::string_view extension) {
  if (head.starts_with(kUtf8Bom)) head.remove_prefix(kUtf8Bom.size());
  if (looks_like_webvtt(head)) return SubtitleFormat::webvtt;
  if (looks_like_srt(head)) return SubtitleFormat::srt;
  std::string ext = lower_ascii(extension);
  if (!ext.empty() && ext.front() == '.') ext.erase(0, 1);
  if (ext != "srt" && ext != "vtt") return std::nullopt;
  // Trusting the name: the parser will report whatever is wrong inside, line by line.
  std::string_view visible = head;
  while (!visible.empty() && std::strchr(" \t\r\n", visible.front()) != nullptr) visible.remove_prefix(1);
  if (!is_text(visible)) return std::nullopt;
  return ext == "srt" ? SubtitleFormat::srt : SubtitleFormat::webvtt;
}

SubtitleParseResult parse_subtitles(std::istream& in, SubtitleFormat format) {
  subtitle_detail::CueSink sink(format);
  auto parser = format == SubtitleFormat::srt ? subtitle_detail::make_srt_parser(sink)
                                              : subtitle_detail::make_webvtt_parser(sink);
  LineReader reader(in, kDefaultMaxLineBytes);
  while (reader.next()) {
    SourceLine line{reader.text(), reader.number(), true};
    if (reader.too_long()) {
      sink.problem(line.number, 1, "line longer than " + std::to_string(reader.max_line_bytes()) + " bytes");
      line.valid = false;
    } else if (auto bad = find_invalid_utf8(line.text)) {
      sink.problem(line.number, subtitle_detail::column_at(line.text, *bad), "invalid UTF-8");
      line.valid = false;
    }
    parser->feed(line);
  }
  parser->finish();
  return sink.take();
}

SubtitleParseResult parse_subtitles_file(const std::filesystem::path& path) {
  const std::string name = path.string();
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw std::runtime_error(name + ": is a directory, not a subtitle file");
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::runtime_error(name + ": cannot open: " + std::strerror(errno));
  std::string head(kHeadBytes, '\0');
  file.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(file.gcount()));
  if (file.bad()) throw std::runtime_error(name + ": read error");
  if (has_utf16_bom(head))
    throw std::runtime_error(name + ": UTF-16 subtitle file; convert it to UTF-8");
  const std::optional<SubtitleFormat> format = detect_subtitle_format(head, path.extension().string());
  if (!format) throw std::runtime_error(name + ": not a SubRip or WebVTT subtitle file");
  file.clear();
  file.seekg(0);
  SubtitleParseResult result = parse_subtitles(file, *format);
  if (file.bad()) throw std::runtime_error(name + ": read error");
  return result;
}

}  // namespace palimpsest
