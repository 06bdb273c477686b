#include "indexer/ingest/file_kind.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <vector>

#include "indexer/text/subtitles.h"
#include "indexer/text/utf8.h"

extern "C" {
#include <libavformat/avformat.h>
}

namespace palimpsest {
namespace {

std::string lower_extension(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext;
}

bool starts_with(std::string_view s, std::string_view prefix, std::size_t at = 0) {
  return s.size() >= at + prefix.size() && s.compare(at, prefix.size(), prefix) == 0;
}

bool is_image_extension(std::string_view ext) {
  for (std::string_view e : {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".gif", ".bmp",
                             ".avif", ".heic", ".jxl"})
    if (ext == e) return true;
  return false;
}

bool is_video_extension(std::string_view ext) {
  for (std::string_view e : {".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg",
                             ".ts", ".mts", ".m2ts", ".flv", ".ogv", ".wmv", ".3gp"})
    if (ext == e) return true;
  return false;
}

bool is_text_extension(std::string_view ext) {
  return ext == ".txt" || ext == ".md" || ext == ".markdown" || ext == ".text";
}

// Still-image signatures. These are checked before asking libavformat because its probes are
// tuned for streams and can mistake a small image for something else.
std::string image_signature(std::string_view h) {
  if (starts_with(h, "\xFF\xD8\xFF")) return "jpeg";
  if (starts_with(h, "\x89PNG\r\n\x1A\n")) return "png";
  if (starts_with(h, "GIF87a") || starts_with(h, "GIF89a")) return "gif";
  if (starts_with(h, "RIFF") && starts_with(h, "WEBP", 8)) return "webp";
  if (starts_with(h, std::string_view("II*\0", 4)) || starts_with(h, std::string_view("MM\0*", 4)))
    return "tiff";
  if (starts_with(h, "BM") && h.size() >= 26) return "bmp";
  if (starts_with(h, "ftyp", 4) && (starts_with(h, "avif", 8) || starts_with(h, "heic", 8)))
    return starts_with(h, "avif", 8) ? "avif" : "heic";
  return {};
}

std::string video_signature(std::string_view h) {
  if (starts_with(h, "ftyp", 4)) return "mp4";  // ISO base media: mp4, mov, m4v, 3gp
  if (starts_with(h, "\x1A\x45\xDF\xA3")) return "matroska";
  if (starts_with(h, "RIFF") && starts_with(h, "AVI ", 8)) return "avi";
  if (starts_with(h, "FLV")) return "flv";
  if (starts_with(h, "OggS")) return "ogg";
  if (starts_with(h, std::string_view("\x00\x00\x01\xBA", 4))) return "mpeg-ps";
  if (h.size() > 376 && h[0] == 0x47 && h[188] == 0x47 && h[376] == 0x47) return "mpeg-ts";
  // Anything else libavformat recognises with confidence from content alone.
  std::vector<std::uint8_t> buffer(h.size() + AVPROBE_PADDING_SIZE, 0);
  std::memcpy(buffer.data(), h.data(), h.size());
  AVProbeData probe{};
  probe.filename = "";
  probe.buf = buffer.data();
  probe.buf_size = static_cast<int>(h.size());
  int score = 0;
  const AVInputFormat* format = av_probe_input_format3(&probe, 1, &score);
  if (format && score >= AVPROBE_SCORE_MAX / 2) {
    const std::string name = format->name;
    // Text-like demuxers (subtitles, playlists) are not video.
    for (std::string_view text_like : {"srt", "webvtt", "ass", "hls", "tty", "mpl2", "subviewer"})
      if (name.find(text_like) != std::string::npos) return {};
    return name;
  }
  return {};
}

bool looks_like_text(std::string_view head) {
  if (head.find('\0') != std::string_view::npos) return false;
  return !find_invalid_utf8(head, /*allow_truncated_tail=*/true).has_value();
}

}  // namespace

std::string_view to_string(FileKind kind) {
  switch (kind) {
    case FileKind::image: return "image";
    case FileKind::video: return "video";
    case FileKind::text: return "text";
    case FileKind::subtitle: return "subtitle";
    case FileKind::unknown: break;
  }
  return "unknown";
}

KindDetection detect_file_kind(const std::filesystem::path& path, std::string_view head) {
  const std::string ext = lower_extension(path);
  KindDetection d;
  if (head.empty()) {
    if (is_image_extension(ext) || is_video_extension(ext) || is_text_extension(ext) ||
        ext == ".srt" || ext == ".vtt")
      d.problem = "empty file";
    return d;
  }
  if (std::string f = image_signature(head); !f.empty()) {
    d.kind = FileKind::image;
    d.format = f;
    return d;
  }
  if (std::string f = video_signature(head); !f.empty()) {
    d.kind = FileKind::video;
    d.format = f;
    return d;
  }
  if (looks_like_text(head)) {
    if (auto format = detect_subtitle_format(head, ext)) {
      d.kind = FileKind::subtitle;
      d.format = *format == SubtitleFormat::srt ? "srt" : "webvtt";
      return d;
    }
    if (is_text_extension(ext)) {
      d.kind = FileKind::text;
      d.format = "utf-8 text";
      return d;
    }
    if (ext == ".srt" || ext == ".vtt") {
      d.problem = "extension " + ext + " promises subtitles, but no cue timing was found";
      return d;
    }
  } else if (is_text_extension(ext) || ext == ".srt" || ext == ".vtt") {
    auto bad = find_invalid_utf8(head, true);
    d.problem = bad ? "invalid UTF-8 at byte " + std::to_string(*bad) : "binary content (NUL bytes)";
    d.problem += " in a " + ext + " file";
    return d;
  }
  if (is_image_extension(ext)) {
    d.problem = "extension " + ext + " promises an image, but the content is not a known image format";
  } else if (is_video_extension(ext)) {
    d.problem = "extension " + ext + " promises a video, but the content is not a known container";
  }
  return d;
}

KindDetection detect_file_kind(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::runtime_error("cannot read: " + std::string(std::strerror(errno)));
  std::string head(kKindSniffBytes, '\0');
  file.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(file.gcount()));
  return detect_file_kind(path, head);
}

}  // namespace palimpsest
