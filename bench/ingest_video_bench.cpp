// Video ingest throughput: decode + sampling + shot detection + thumbnails + catalog writes
// (no embedding), on generated 720p footage, against a decode-only baseline measured in the
// same run on the same file.
//
//   build/bench/ingest_video_bench [--seconds 20] [--width 1280] [--height 720] [--repeats 3]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "indexer/ingest/ingester.h"
#include "indexer/media/media_decoder.h"
#include "indexer/media/video_writer.h"

namespace fs = std::filesystem;
using namespace palimpsest;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Footage with a cut every 3 s and motion within shots, so the encoder produces realistic
// P/B-frames and the detector has real work.
void write_footage(const fs::path& path, int w, int h, double fps, double seconds) {
  VideoWriter writer(path, w, h, fps);
  const int frames = static_cast<int>(seconds * fps);
  RgbImage img(w, h);
  for (int f = 0; f < frames; ++f) {
    const int shot = static_cast<int>(f / fps / 3.0);
    for (int y = 0; y < h; ++y) {
      std::uint8_t* row = img.row(y);
      for (int x = 0; x < w; ++x) {
        const double v = std::sin((x + f * 3) * 0.02 + shot) * std::cos((y - f) * 0.03 * (shot % 3 + 1));
        row[3 * x + 0] = static_cast<std::uint8_t>(128 + 100 * v * ((shot * 37) % 3 == 0 ? 1 : -1));
        row[3 * x + 1] = static_cast<std::uint8_t>((shot * 53 + y / 4) % 256);
        row[3 * x + 2] = static_cast<std::uint8_t>((shot * 97 + x / 5) % 256);
      }
    }
    writer.write(img);
  }
  writer.finish();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 20, fps = 24;
  int width = 1280, height = 720, repeats = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--seconds")) seconds = std::atof(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--width")) width = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--height")) height = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--repeats")) repeats = std::atoi(argv[i + 1]);
  }
  const fs::path dir = fs::temp_directory_path() / ("palimpsest-bench-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path video = dir / "footage.mp4";
  std::printf("generating %dx%d footage, %.0f s at %.0f fps...\n", width, height, seconds, fps);
  write_footage(video, width, height, fps, seconds);

  std::vector<double> decode_times, ingest_times;
  std::int64_t frames = 0, records = 0;
  for (int r = 0; r < repeats; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    MediaDecoder decoder(video);
    while (decoder.next_frame()) {
    }
    decode_times.push_back(seconds_since(t0));
    frames = decoder.frames_decoded();

    const fs::path db = dir / ("c" + std::to_string(r) + ".db");
    t0 = std::chrono::steady_clock::now();
    {
      Catalog catalog(db);
      Ingester ingester(catalog, IngestOptions{});
      IngestSummary s = ingester.run({video});
      records = s.records_added["frame"];
      if (s.count(FileOutcome::added) != 1) {
        std::fprintf(stderr, "ingest failed: %s\n", s.failed.empty() ? "?" : s.failed[0].message.c_str());
        return 1;
      }
    }
    ingest_times.push_back(seconds_since(t0));
  }
  const double decode = median(decode_times), ingest = median(ingest_times);
  std::printf("frames: %lld, records: %lld (median of %d runs)\n", static_cast<long long>(frames),
              static_cast<long long>(records), repeats);
  std::printf("decode only (baseline): %.2f s  %.0f frames/s  %.1fx real time\n", decode, frames / decode,
              seconds / decode);
  std::printf("full ingest:            %.2f s  %.0f frames/s  %.1fx real time  (%.2fx the decode-only time)\n",
              ingest, frames / ingest, seconds / ingest, ingest / decode);
  fs::remove_all(dir);
  return 0;
}
