#pragma once
// Helpers of the speech tests: Debian's LibriVox test recordings and their transcript, speech
// synthesised with espeak-ng at test time (resampled to 16 kHz with libswresample), and running a
// command without a shell. Missing packages fail the test that needs them; nothing is skipped.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace palimpsest::testing {

// /usr/share/pocketsphinx/test/data/librivox (Debian's pocketsphinx-testdata).
std::filesystem::path librivox_dir();

// The recordings' ids, in the order of the folder's `fileids`.
std::vector<std::string> librivox_ids();

// The recording's samples (16 kHz mono).
std::vector<std::int16_t> librivox_samples(const std::string& id);

// id -> reference text, from the folder's `transcription` file (markers and ids removed).
std::map<std::string, std::string> librivox_transcripts();

// `text` spoken by espeak-ng at `words_per_minute`, resampled to 16 kHz mono, with a -60 dBFS noise
// floor added. The voice: pocketsphinx's en-us model understands espeak-ng's Klatt synthesiser
// best. Measured on 12 everyday sentences (138 words) at 140 words/min: en-us+klatt 20% WER with
// the noise floor, 36% without it (espeak-ng writes exact digital silence between words, which no
// microphone records); the default en-us voice 60%.
// Throws std::runtime_error when espeak-ng is missing or fails.
std::vector<std::int16_t> synthesise_speech(const std::string& text, int words_per_minute = 140,
                                            const std::string& voice = "en-us+klatt");

// 16 kHz mono samples from any rate (libswresample).
std::vector<std::int16_t> resample_to_16k(const std::vector<std::int16_t>& samples, int sample_rate);

// Sounds that are not speech, 16 kHz mono, deterministic: a melody of plucked harmonic notes over
// a sustained chord (a new note every 300 ms, like syllables), white noise at -21 dBFS, a 50 Hz
// hum with harmonics, and "room tone" (white noise at -60 dBFS).
std::vector<std::int16_t> synthetic_music(double seconds);
std::vector<std::int16_t> white_noise(double seconds, double amplitude = 3000);
std::vector<std::int16_t> mains_hum(double seconds);
// Percussion: a noise burst every 500 ms over a decaying 55 Hz bass.
std::vector<std::int16_t> synthetic_drums(double seconds);

// Adds deterministic white noise of +-`amplitude` LSB (a recording's noise floor; espeak-ng writes
// exact digital silence between words, which no microphone does).
void add_noise_floor(std::vector<std::int16_t>& samples, int amplitude = 32);

struct CommandOutput {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs argv[0] (looked up in PATH) with the arguments, no shell; stdout and stderr captured.
CommandOutput run_command(const std::vector<std::string>& argv);

}  // namespace palimpsest::testing
