#pragma once
// The limits table: every bound on what one command or one request may ask of the machine (film
// length, size, frame rate and sampler steps; manuscripts, pictures and text files; HTTP heads,
// bodies and connections), in one place, so that the CLI, the API and the server's render jobs
// refuse the same things in the same words. Header-only, so that every stage sees it.
//
// Two columns: `local` binds the commands a user runs on their own machine, and a user who truly
// wants more raises it with the flag named; `served` binds what `palimpsest serve` accepts from
// anyone who can reach it, raised by the serve flag named. 0: the limit does not apply there.
//
// | limit                  | local                  | served                | local flag    | serve flag          |
// |------------------------|------------------------|-----------------------|---------------|---------------------|
// | film frames            | 86,400 (2 h at 12 fps) | 7,200 (10 min)        | --max-frames  | --max-film-frames   |
// | film side              | 4,096 px               | 1,024 px              |               |                     |
// | frame rate             | 120 fps                | 60 fps                |               |                     |
// | sampler steps          | 1,000                  | 200                   |               |                     |
// | manuscript             | 64 MiB                 | 1 MiB                 |               |                     |
// | picture                | 64 Mpx (ingest)        | 16 Mpx (image search) |               | --max-image-mpx     |
// | text file (ingest)     | 64 MiB                 |                       | --max-text-mb |                     |
// | request head           |                        | 32 KiB                |               |                     |
// | request header fields  |                        | 100                   |               |                     |
// | request body           |                        | 8 MiB                 |               | --max-body-mb       |
// | connections            |                        | 512                   |               | --max-connections   |
// | connections per client |                        | 128                   |               |                     |
//
// Why these: 86,400 frames plan in about 90 MB (docs/performance.md) and render for days, so more is never a typo one
// should be allowed to make silently (a 5,000,000 s duration once grew `plan` to 24 GB); 7,200
// frames keep one request's render job to hours. A 4,096 px side is 16 Mpx a frame, already
// beyond what the local denoiser renders in a day. A 64 Mpx picture (a 9000x7000 scan) decodes in
// about 450 MB. The HTTP limits bound the memory a client can hold (server/connection_loop.h).

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "schema/error.h"

namespace palimpsest {

enum class Limit {
  film_frames, film_side, fps, steps, manuscript_bytes, image_pixels, text_file_bytes,
  head_bytes, header_fields, body_bytes, connections, connections_per_client,
};

struct LimitEntry {
  Limit limit;
  std::string_view name;  // as errors name it
  std::string_view unit;  // "frames", "bytes", "pixels"...
  std::int64_t local;     // 0: does not apply to the CLI
  std::int64_t served;    // 0: does not apply to the server
  std::string_view local_flag;   // raises `local` on the command line ("" when nothing does)
  std::string_view served_flag;  // raises `served` (`palimpsest serve ...`)
  ErrorClass error;              // how crossing it is reported (exit status, HTTP status, code)
};

namespace limit_detail {
inline constexpr ErrorClass too_long{1, 422, "too_long"};
inline constexpr ErrorClass too_large{1, 422, "too_large"};
inline constexpr ErrorClass payload_too_large{1, 413, "payload_too_large"};
}  // namespace limit_detail

inline constexpr std::array<LimitEntry, 12> kLimits = {{
    {Limit::film_frames, "film length", "frames", 86'400, 7'200, "--max-frames", "--max-film-frames", limit_detail::too_long},
    {Limit::film_side, "film size", "pixels a side", 4096, 1024, "", "", limit_detail::too_large},
    {Limit::fps, "frame rate", "fps", 120, 60, "", "", limit_detail::too_large},
    {Limit::steps, "sampler steps", "steps", 1000, 200, "", "", limit_detail::too_large},
    {Limit::manuscript_bytes, "manuscript size", "bytes", 64ll << 20, 1 << 20, "", "", limit_detail::payload_too_large},
    {Limit::image_pixels, "picture size", "pixels", 64'000'000, 16'000'000, "", "--max-image-mpx", limit_detail::payload_too_large},
    {Limit::text_file_bytes, "text file size", "bytes", 64ll << 20, 0, "--max-text-mb", "", limit_detail::payload_too_large},
    {Limit::head_bytes, "request head size", "bytes", 0, 32 << 10, "", "", limit_detail::payload_too_large},
    {Limit::header_fields, "request header fields", "fields", 0, 100, "", "", limit_detail::payload_too_large},
    {Limit::body_bytes, "request body size", "bytes", 0, 8 << 20, "", "--max-body-mb", limit_detail::payload_too_large},
    {Limit::connections, "open connections", "connections", 0, 512, "", "--max-connections", limit_detail::payload_too_large},
    {Limit::connections_per_client, "connections per client", "connections", 0, 128, "", "", limit_detail::payload_too_large},
}};

constexpr bool limits_in_enum_order() {
  for (std::size_t i = 0; i < kLimits.size(); ++i)
    if (static_cast<std::size_t>(kLimits[i].limit) != i) return false;
  return true;
}
static_assert(limits_in_enum_order(), "kLimits is indexed by Limit");

constexpr const LimitEntry& limit_entry(Limit limit) { return kLimits[static_cast<std::size_t>(limit)]; }
constexpr std::int64_t local_limit(Limit limit) { return limit_entry(limit).local; }
constexpr std::int64_t served_limit(Limit limit) { return limit_entry(limit).served; }

// Which column a check applies: a user's own command, or a request to the server.
enum class LimitScope { local, served };

// A request over a limit. what() reads "the film would have 1036800 frames; the film length limit
// is 86400 frames (--max-frames raises it)", or, served, "...; this server's film length limit is
// 7200 frames (palimpsest serve --max-film-frames raises it)".
class LimitError : public Error {
 public:
  LimitError(Limit limit, LimitScope scope, const std::string& what, std::int64_t maximum)
      : Error(message(limit, scope, what, maximum), limit_entry(limit).error), limit_(limit) {}
  Limit limit() const { return limit_; }

 private:
  static std::string message(Limit limit, LimitScope scope, const std::string& what, std::int64_t maximum) {
    const LimitEntry& e = limit_entry(limit);
    const std::string_view flag = scope == LimitScope::local ? e.local_flag : e.served_flag;
    std::string text = what + "; " + (scope == LimitScope::served ? "this server's " : "the ") + std::string(e.name) +
                       " limit is " + std::to_string(maximum) + " " + std::string(e.unit);
    if (!flag.empty())
      text += std::string(" (") + (scope == LimitScope::served ? "palimpsest serve " : "") + std::string(flag) + " raises it)";
    return text;
  }
  Limit limit_;
};

// The limits a film is planned and rendered under.
struct FilmLimits {
  LimitScope scope = LimitScope::local;
  std::int64_t max_frames = local_limit(Limit::film_frames);
  int max_side = static_cast<int>(local_limit(Limit::film_side));
  double max_fps = static_cast<double>(local_limit(Limit::fps));
  int max_steps = static_cast<int>(local_limit(Limit::steps));

  static FilmLimits local() { return {}; }
  static FilmLimits served() {
    return {LimitScope::served, served_limit(Limit::film_frames), static_cast<int>(served_limit(Limit::film_side)),
            static_cast<double>(served_limit(Limit::fps)), static_cast<int>(served_limit(Limit::steps))};
  }
};

}  // namespace palimpsest
