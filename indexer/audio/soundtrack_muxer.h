#pragma once
// Gives a rendered film its sound: copies the video stream of an MP4 (packets as they are, not
// re-encoded) into a new MP4 beside the soundtrack mixed from clips, AAC-encoded, interleaved.
//
// Rules:
// - The soundtrack is mixed while the file is written (mix_soundtrack streams its blocks); each
//   audio block is preceded by the video packets up to its end time, so the file is interleaved
//   and memory stays bounded by one block, whatever the film's length.
// - The output is written as `<out>.partial` (moov moved to the front: faststart) and renamed to
//   `out` only when whole; on any error the partial file is removed. `out` may be `video` itself.
// - Deterministic like the mixer: the same video and clips give a byte-identical file, so a
//   resumed render gets the same soundtrack.
// - The film lasts `film_duration_s` (frames / fps): the soundtrack has exactly that many
//   48 kHz frames; AAC adds at most one frame of padding at the end, trimmed by players that
//   honour the MP4 edit list.

#include <filesystem>
#include <vector>

#include "indexer/audio/audio_stream_writer.h"
#include "indexer/audio/soundtrack_mixer.h"

namespace palimpsest {

// Throws AudioError / std::runtime_error naming `video` or `out` when they cannot be read or
// written; clips that cannot be played are warnings in the result (see mix_soundtrack).
SoundtrackResult mux_soundtrack(const std::filesystem::path& video, const std::filesystem::path& out,
                                double film_duration_s, const std::vector<SoundtrackClip>& clips,
                                const SoundtrackOptions& options = {}, const AudioStreamOptions& aac = {});

}  // namespace palimpsest
