#pragma once
// A playable excerpt of any audio — an audio record's range of its file or of a video's sound
// track — encoded in memory as AAC in MP4 (audio/mp4), for the API to serve: browsers play it in
// <audio>, whatever the source's codec. The MP4's edit list trims AAC's priming, so it starts on
// the range's first sample.
//
// Rules: the range is decoded exactly as AudioDecoder cuts it (48 kHz stereo), so an excerpt of
// an audio segment sounds exactly that segment; memory is bounded by the excerpt, which may last
// at most kMaxClipSeconds; errors are AudioDecoder's (one line naming the file).

#include <filesystem>
#include <string>

namespace palimpsest {

inline constexpr double kMaxClipSeconds = 600;

struct EncodedAudioClip {
  std::string bytes;
  std::string mime_type = "audio/mp4";
  double duration_s = 0;  // of the audio decoded (shorter than asked when the source ends first)
};

// Throws std::invalid_argument for a duration outside (0, kMaxClipSeconds], AudioError for the
// source, std::runtime_error when encoding fails.
EncodedAudioClip encode_audio_clip(const std::filesystem::path& source, double start_s, double duration_s,
                                   int stream_index = -1);

}  // namespace palimpsest
