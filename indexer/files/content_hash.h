#pragma once
// SHA-256 of a file's bytes, streamed (bounded memory for any file size).

#include <filesystem>
#include <string>
#include <string_view>

namespace palimpsest {

// Lower-case hex SHA-256 of the file. Throws std::runtime_error naming the file when unreadable.
std::string sha256_file(const std::filesystem::path& path);
std::string sha256_bytes(std::string_view bytes);

}  // namespace palimpsest
