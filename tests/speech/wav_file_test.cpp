#include "indexer/speech/wav_file.h"

#include <gtest/gtest.h>

#include "indexer/speech/transcriber.h"
#include "tests/common/test_support.h"

namespace palimpsest {
namespace {

using testing::TempDir;

std::string little_endian(std::uint32_t value, int bytes) {
  std::string out;
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
  return out;
}

// A WAV with the given fmt fields and an extra chunk before the data.
std::string wav_bytes(std::uint16_t format, std::uint16_t channels, std::uint32_t rate, std::uint16_t bits,
                      const std::string& data, bool list_chunk) {
  std::string fmt = little_endian(format, 2) + little_endian(channels, 2) + little_endian(rate, 4) +
                    little_endian(rate * channels * bits / 8, 4) + little_endian(channels * bits / 8, 2) +
                    little_endian(bits, 2);
  std::string body = "WAVEfmt " + little_endian(16, 4) + fmt;
  if (list_chunk) body += "LIST" + little_endian(5, 4) + "INFOx" + std::string(1, '\0');  // odd size, padded
  body += "data" + little_endian(static_cast<std::uint32_t>(data.size()), 4) + data;
  return "RIFF" + little_endian(static_cast<std::uint32_t>(body.size()), 4) + body;
}

TEST(WavFile, RoundTripsSamples) {
  TempDir dir;
  PcmAudio audio{16000, 2, {0, -1, 32767, -32768, 1234, -4321}};
  write_wav(dir / "a.wav", audio);
  const PcmAudio back = read_wav(dir / "a.wav");
  EXPECT_EQ(back.sample_rate, 16000);
  EXPECT_EQ(back.channels, 2);
  EXPECT_EQ(back.samples, audio.samples);
  EXPECT_EQ(back.frames(), 3);
  EXPECT_EQ(std::filesystem::file_size(dir / "a.wav"), 44u + 12u);
}

TEST(WavFile, SkipsOtherChunks) {
  TempDir dir;
  testing::write_file(dir / "list.wav", wav_bytes(1, 1, 22050, 16, std::string("\x01\x00\xff\xff", 4), true));
  const PcmAudio audio = read_wav(dir / "list.wav");
  EXPECT_EQ(audio.sample_rate, 22050);
  EXPECT_EQ(audio.samples, (std::vector<std::int16_t>{1, -1}));
}

TEST(WavFile, RefusesWhatItDoesNotReadWithOneLineNamingTheFile) {
  TempDir dir;
  testing::write_file(dir / "float.wav", wav_bytes(3, 1, 16000, 32, std::string(8, '\0'), false));
  testing::write_file(dir / "24bit.wav", wav_bytes(1, 1, 16000, 24, std::string(6, '\0'), false));
  testing::write_file(dir / "text.wav", "hello, I am not a WAV file at all");
  std::string truncated = wav_bytes(1, 1, 16000, 16, std::string(100, '\0'), false);
  truncated.resize(truncated.size() - 40);
  testing::write_file(dir / "truncated.wav", truncated);
  const std::pair<const char*, const char*> cases[] = {
      {"float.wav", "WAV format 3 with 32-bit samples; only 16-bit PCM is read here"},
      {"24bit.wav", "WAV format 1 with 24-bit samples; only 16-bit PCM is read here"},
      {"text.wav", "not a RIFF/WAVE file"},
      {"truncated.wav", "truncated (60 of 100 data bytes)"},
      {"missing.wav", "cannot open"},
  };
  for (const auto& [name, reason] : cases) {
    try {
      read_wav(dir / name);
      ADD_FAILURE() << name << " was read";
    } catch (const SpeechError& e) {
      EXPECT_EQ(std::string(e.what()), (dir / name).string() + ": " + reason);
    }
  }
}

}  // namespace
}  // namespace palimpsest
