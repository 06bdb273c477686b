// safetensors files: the 8-byte header length, the JSON header and the tensors it declares. Any
// bytes are read as a file (through a memfd): a ClipModelError naming it, or entries whose every
// tensor reads back within the file.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include "indexer/clip/clip_error.h"
#include "indexer/clip/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const int fd = memfd_create("fuzz.safetensors", MFD_CLOEXEC);
  if (fd < 0) return 0;
  for (std::size_t done = 0; done < size;) {
    const ssize_t n = ::write(fd, data + done, size - done);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  try {
    const palimpsest::SafetensorsReader reader("/proc/self/fd/" + std::to_string(fd));
    for (const auto& [name, entry] : reader.entries()) {
      if (entry.end < entry.begin || entry.end > size) __builtin_trap();
      try {
        reader.read_f32(name);
      } catch (const palimpsest::ClipModelError&) {  // not a float dtype
      }
    }
  } catch (const palimpsest::ClipModelError&) {
  }
  ::close(fd);
  return 0;
}
