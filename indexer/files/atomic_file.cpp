#include "indexer/files/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace palimpsest {
namespace {

// The partial file is removed (a failed write leaves nothing behind) and the error names the
// file and the system's reason ("No space left on device").
[[noreturn]] void fail(const std::filesystem::path& partial, const std::string& what, int error) {
  std::error_code ignored;
  std::filesystem::remove(partial, ignored);
  throw std::runtime_error(what + " " + partial.string() + ": " + std::strerror(error));
}

}  // namespace

void write_file_atomically(const std::filesystem::path& path, std::string_view bytes) {
  const std::filesystem::path partial = path.string() + ".partial";
  const int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot write " + partial.string() + ": " + std::strerror(errno));
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = n < 0 ? errno : EIO;
      ::close(fd);
      fail(partial, "cannot write", error);
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  if (::close(fd) != 0) fail(partial, "cannot write", errno);
  std::error_code ec;
  std::filesystem::rename(partial, path, ec);
  if (ec) throw std::runtime_error("cannot rename " + partial.string() + " to " + path.string() + ": " + ec.message());
}

}  // namespace palimpsest
