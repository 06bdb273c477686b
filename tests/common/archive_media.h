#pragma once
// Real-looking archive files made in the test, for the ingest, search and API tests of the
// records that speak and carry writing: speech (espeak-ng, as the speech tests make it) in a WAV
// and as the sound of an MP4; typed text rendered into a picture; PDFs with and without a text
// layer. Needs tests/speech/speech_test_support.cpp in the test binary (espeak-ng, resampling).

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "indexer/media/image_codec.h"
#include "indexer/pdf/pdf_writer.h"
#include "indexer/speech/wav_file.h"
#include "tests/audio/audio_test_media.h"
#include "tests/common/test_support.h"
#include "tests/ocr/rendered_text.h"
#include "tests/speech/speech_test_support.h"

namespace palimpsest::testing {

// Sentences pocketsphinx's en-us model gets mostly right from espeak-ng's Klatt voice (the speech
// tests measure 22.5 % WER on them).
inline const std::vector<std::string>& spoken_sentences() {
  static const std::vector<std::string> sentences = {
      "The film was shot in black and white on the streets of Paris.",
      "I would like to buy a cup of coffee and a piece of cake.",
  };
  return sentences;
}

// The sentences, each after `pause_s` of room tone (-60 dBFS noise), 16 kHz mono, with room tone
// at the end. `starts_ms` receives where each sentence starts.
inline std::vector<std::int16_t> spoken_clip(double pause_s = 1.5, std::vector<std::int64_t>* starts_ms = nullptr) {
  std::vector<std::int16_t> samples;
  auto room_tone = [&](double seconds) {
    std::vector<std::int16_t> tone(static_cast<std::size_t>(seconds * 16000), 0);
    add_noise_floor(tone);
    samples.insert(samples.end(), tone.begin(), tone.end());
  };
  for (const std::string& sentence : spoken_sentences()) {
    room_tone(pause_s);
    if (starts_ms) starts_ms->push_back(static_cast<std::int64_t>(samples.size()) / 16);
    const std::vector<std::int16_t> speech = synthesise_speech(sentence);
    samples.insert(samples.end(), speech.begin(), speech.end());
  }
  room_tone(pause_s);
  return samples;
}

inline void write_wav_16k(const std::filesystem::path& path, const std::vector<std::int16_t>& samples,
                          int rate = 16000) {
  std::filesystem::create_directories(path.parent_path());
  write_wav(path, PcmAudio{rate, 1, samples});
}

// `samples` (16 kHz mono) as the 48 kHz stereo sound of an MP4 with a small moving picture.
inline void write_video_with_speech(const std::filesystem::path& path, const std::vector<std::int16_t>& samples,
                                    int fps = 12) {
  std::filesystem::create_directories(path.parent_path());
  const std::int64_t frames48 = static_cast<std::int64_t>(samples.size()) * 3;
  const int video_frames = static_cast<int>(samples.size() * fps / 16000);
  write_mp4_with_sound(path, video_frames, fps, frames48, [&](std::int64_t first, std::int64_t count, float* out) {
    for (std::int64_t i = 0; i < count; ++i) {
      // Linear interpolation from 16 kHz up to 48 kHz.
      const double at = static_cast<double>(first + i) / 3.0;
      const std::size_t k = static_cast<std::size_t>(at);
      const double f = at - static_cast<double>(k);
      const double a = k < samples.size() ? samples[k] : 0.0;
      const double b = k + 1 < samples.size() ? samples[k + 1] : a;
      const float v = static_cast<float>((a + (b - a) * f) / 32768.0);
      out[2 * i] = v;
      out[2 * i + 1] = v;
    }
  });
}

// A PNG of typed lines (Helvetica 24 pt at 150 dpi: what a photographed notice or a scan looks like).
inline void write_text_picture(const std::filesystem::path& path, const std::vector<std::string>& lines) {
  std::filesystem::create_directories(path.parent_path());
  TempDir scratch;
  const TextCard card = render_text_card(scratch.path(), lines, PdfFont::helvetica, 24, 150);
  write_file(path, encode_png(card.image));
}

// A PDF whose page 1 has a text layer (`page_one`, one paragraph per entry) and, when
// `scanned_page` is not empty, a page 2 that is only a picture of typed lines (no text layer: an
// OCR candidate).
inline void write_document_pdf(const std::filesystem::path& path, const std::vector<std::string>& page_one,
                               const std::vector<std::string>& scanned_page = {}) {
  std::filesystem::create_directories(path.parent_path());
  RgbImage scan;
  if (!scanned_page.empty()) {
    TempDir scratch;
    scan = render_text_card(scratch.path(), scanned_page, PdfFont::times_roman, 14, 200, 6.5, 2.0).image;
  }
  PdfWriter writer(path, {"Harbour records", "Palimpsest tests"});
  writer.begin_page();
  double baseline = 90;
  for (const std::string& paragraph : page_one) {
    writer.text(paragraph, 72, baseline, 12, PdfFont::times_roman);
    baseline += 36;  // a blank line between paragraphs
  }
  writer.end_page();
  if (!scanned_page.empty()) {
    writer.begin_page();
    writer.image(scan, 36, 72, 6.5 * 72, 2.0 * 72);
    writer.end_page();
  }
  writer.finish();
}

}  // namespace palimpsest::testing
