#pragma once
// Decides what an archive file is from its first bytes, using the extension only as a hint:
// a PNG named .txt is an image, a .jpg holding text is an error, not an image.

#include <filesystem>
#include <string>
#include <string_view>

namespace palimpsest {

enum class FileKind { image, video, text, subtitle, unknown };

std::string_view to_string(FileKind kind);

struct KindDetection {
  FileKind kind = FileKind::unknown;
  std::string format;     // "png", "jpeg", "mp4", "matroska", "srt", "webvtt", "utf-8 text"...
  std::string problem;    // set when the file must be reported as failed (e.g. a .jpg that is text)
};

// Number of leading bytes detect_file_kind wants to see.
constexpr std::size_t kKindSniffBytes = 4096;

// `head` holds the first bytes of the file (up to kKindSniffBytes; fewer for short files).
// Unknown content with an unknown extension gives FileKind::unknown and no problem (skipped);
// unknown content whose extension promises an archive format gives a problem.
KindDetection detect_file_kind(const std::filesystem::path& path, std::string_view head);

// Reads the head of the file and calls detect_file_kind. Throws std::runtime_error when unreadable.
KindDetection detect_file_kind(const std::filesystem::path& path);

}  // namespace palimpsest
