#pragma once
// One line saying what a render did with the film's sound, for `make` and `demo`.

#include <string>

#include "synth/film_maker.h"

namespace palimpsest::cli {

// "sound: 5 clips, normalised by +3.2 dB to -23.0 LUFS (true peak -4.1 dBTP), mixed and muxed in
// 0.8 s", "sound: silent (nothing the film shows or chose has sound)" or "sound: none
// (--no-sound)".
std::string describe_soundtrack(const FilmResult& result);

}  // namespace palimpsest::cli
