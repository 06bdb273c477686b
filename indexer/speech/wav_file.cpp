#include "indexer/speech/wav_file.h"

#include <cstring>
#include <fstream>
#include <string>

#include "indexer/speech/transcriber.h"

namespace palimpsest {
namespace {

std::uint32_t le32(const unsigned char* p) {
  return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}
std::uint16_t le16(const unsigned char* p) { return static_cast<std::uint16_t>(p[0] | (p[1] << 8)); }

void put32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v & 0xff));
  out.push_back(static_cast<char>(v >> 8));
}

constexpr std::uint16_t kFormatPcm = 1;
constexpr std::uint16_t kFormatExtensible = 0xFFFE;

}  // namespace

PcmAudio read_wav(const std::filesystem::path& path) {
  const std::string name = path.string();
  std::ifstream in(path, std::ios::binary);
  if (!in) throw SpeechError(name + ": cannot open");
  unsigned char riff[12];
  if (!in.read(reinterpret_cast<char*>(riff), sizeof riff) || std::memcmp(riff, "RIFF", 4) != 0 ||
      std::memcmp(riff + 8, "WAVE", 4) != 0)
    throw SpeechError(name + ": not a RIFF/WAVE file");
  PcmAudio audio;
  bool have_format = false;
  unsigned char header[8];
  while (in.read(reinterpret_cast<char*>(header), sizeof header)) {
    const std::uint32_t size = le32(header + 4);
    if (std::memcmp(header, "fmt ", 4) == 0) {
      if (size < 16 || size > 1024) throw SpeechError(name + ": malformed fmt chunk");
      std::vector<unsigned char> fmt(size);
      if (!in.read(reinterpret_cast<char*>(fmt.data()), size)) throw SpeechError(name + ": truncated fmt chunk");
      const std::uint16_t format = le16(fmt.data());
      const std::uint16_t bits = le16(fmt.data() + 14);
      audio.channels = le16(fmt.data() + 2);
      audio.sample_rate = static_cast<int>(le32(fmt.data() + 4));
      if ((format != kFormatPcm && format != kFormatExtensible) || bits != 16)
        throw SpeechError(name + ": WAV format " + std::to_string(format) + " with " + std::to_string(bits) +
                          "-bit samples; only 16-bit PCM is read here");
      if (audio.channels <= 0 || audio.sample_rate <= 0) throw SpeechError(name + ": no channels or no sample rate");
      have_format = true;
      if (size % 2) in.ignore(1);
    } else if (std::memcmp(header, "data", 4) == 0) {
      if (!have_format) throw SpeechError(name + ": data chunk before the fmt chunk");
      // Writers that stream leave the size at 0 or 0xFFFFFFFF: read to the end of the file then.
      const bool open_ended = size == 0 || size == 0xFFFFFFFFu;
      std::string bytes;
      if (open_ended) {
        bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      } else {
        bytes.resize(size);
        in.read(bytes.data(), size);
        bytes.resize(static_cast<std::size_t>(in.gcount()));
        if (bytes.size() < size) throw SpeechError(name + ": truncated (" + std::to_string(bytes.size()) + " of " +
                                                   std::to_string(size) + " data bytes)");
      }
      audio.samples.resize(bytes.size() / 2);
      const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
      for (std::size_t i = 0; i < audio.samples.size(); ++i)
        audio.samples[i] = static_cast<std::int16_t>(le16(p + 2 * i));
      audio.samples.resize(audio.samples.size() - audio.samples.size() % static_cast<std::size_t>(audio.channels));
      return audio;
    } else {
      in.ignore(static_cast<std::streamsize>(size) + (size % 2));
    }
  }
  throw SpeechError(name + (have_format ? ": no data chunk" : ": no fmt chunk"));
}

void write_wav(const std::filesystem::path& path, const PcmAudio& audio) {
  if (audio.channels <= 0 || audio.sample_rate <= 0)
    throw SpeechError(path.string() + ": cannot write audio without channels or sample rate");
  const std::uint32_t data_bytes = static_cast<std::uint32_t>(audio.samples.size() * 2);
  std::string out;
  out.reserve(44 + data_bytes);
  out += "RIFF";
  put32(out, 36 + data_bytes);
  out += "WAVEfmt ";
  put32(out, 16);
  put16(out, kFormatPcm);
  put16(out, static_cast<std::uint16_t>(audio.channels));
  put32(out, static_cast<std::uint32_t>(audio.sample_rate));
  put32(out, static_cast<std::uint32_t>(audio.sample_rate * audio.channels * 2));
  put16(out, static_cast<std::uint16_t>(audio.channels * 2));
  put16(out, 16);
  out += "data";
  put32(out, data_bytes);
  for (std::int16_t s : audio.samples) put16(out, static_cast<std::uint16_t>(s));
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file || !file.write(out.data(), static_cast<std::streamsize>(out.size())) || !file.flush())
    throw SpeechError(path.string() + ": cannot write");
}

}  // namespace palimpsest
