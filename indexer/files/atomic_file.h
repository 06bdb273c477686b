#pragma once
// Whole-or-nothing file writes: `path`.partial is written, then renamed over `path`, so a file
// under its final name is always complete (a crash leaves at most the .partial, which the next
// write replaces).

#include <filesystem>
#include <stdexcept>
#include <string_view>

namespace palimpsest {

// Throws std::runtime_error naming the file when it cannot be written or renamed.
void write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

}  // namespace palimpsest
