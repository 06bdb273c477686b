#include "indexer/demo/demo_archive.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <future>
#include <stdexcept>
#include <thread>

#include "indexer/demo/procedural_noise.h"
#include "indexer/demo/scanned_page.h"
#include "indexer/media/image_codec.h"

namespace palimpsest::demo {
namespace {

namespace fs = std::filesystem;

void write_text_file(const fs::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string sentence(const std::string& caption) {
  std::string text = caption;
  if (!text.empty()) text[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
  return text + ".";
}

// "00:01:02,500" for SubRip.
std::string srt_time(double seconds) {
  const long long total_ms = std::llround(seconds * 1000.0);
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%02lld:%02lld:%02lld,%03lld", total_ms / 3600000,
                (total_ms / 60000) % 60, (total_ms / 1000) % 60, total_ms % 1000);
  return buffer;
}

// "0:02.5" for prose.
std::string short_time(double seconds) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%d:%04.1f", static_cast<int>(seconds) / 60,
                std::fmod(seconds, 60.0));
  return buffer;
}

// What each background looks like, for the notes.
std::string_view background_description(Background background) {
  switch (background) {
    case Background::Sky:
      return "a blue sky with drifting white clouds";
    case Background::Sea:
      return "the open sea, deep blue, with bands of waves rolling in";
    case Background::Night:
      return "a dark night sky full of small stars";
    case Background::Desert:
      return "sand dunes under a hazy sky";
    case Background::Forest:
      return "a green forest with dark trunks";
    case Background::Snow:
      return "a snowfield below grey hills while snow falls";
    case Background::Sunset:
      return "an orange and purple sunset over dark hills";
    case Background::City:
      return "a city skyline at dusk with lit windows";
  }
  return "";
}

std::string notes_markdown(const DemoArchiveManifest& manifest, std::uint64_t seed) {
  std::string md;
  md += "# Harbour archive: field notes\n\n";
  md += "This archive was generated procedurally from seed " + std::to_string(seed) +
        ". It holds a short reel of footage, its subtitles, a set of captioned stills and these "
        "notes. Every picture shows simple shapes (circles, squares, triangles, stars, rings and "
        "crosses) in solid colours (large ones sometimes striped or dotted) over one of eight "
        "backgrounds.\n\n";
  if (!manifest.shots.empty()) {
    md += "## The harbour reel\n\n";
    md += "The reel runs " + short_time(manifest.video_duration_s) + " and has " +
          std::to_string(manifest.shots.size()) +
          " shots. Within a shot the shapes drift slowly; between shots the scene changes "
          "completely.\n\n";
    for (size_t i = 0; i < manifest.shots.size(); ++i) {
      const WrittenShot& shot = manifest.shots[i];
      md += "### Shot " + std::to_string(i + 1) + " (" + short_time(shot.start_s) + " to " +
            short_time(shot.end_s) + ")\n\n";
      md += sentence(shot.caption) + " The background is " +
            std::string(background_description(shot.scene.background)) + ".\n\n";
    }
  }
  if (!manifest.images.empty()) {
    md += "## Stills\n\n";
    md += "There are " + std::to_string(manifest.images.size()) +
          " stills; their captions are listed in images/captions.tsv. A few of them:\n\n";
    const size_t listed = std::min<size_t>(manifest.images.size(), 5);
    for (size_t i = 0; i < listed; ++i) {
      md += "- " + manifest.images[i].path.filename().string() + ": " + manifest.images[i].caption +
            "\n";
    }
    md += "\n";
  }
  md += "## Vocabulary\n\n";
  md +=
      "Colours: red, green, blue, yellow, white, black, orange and purple. Shapes come small or "
      "large, one to three at a time, on the left, on the right, in the centre, at the top or at "
      "the bottom, and large ones may be striped or dotted.\n";
  return md;
}

// The camera log: what each shot shows and what the narrator says, typed.
std::vector<std::string> camera_log(const DemoArchiveManifest& manifest, std::uint64_t seed) {
  char line[160];
  std::vector<std::string> lines = {"HARBOUR REEL - CAMERA LOG", ""};
  std::snprintf(line, sizeof line, "Reel harbour.mp4, %zu shots, %.1f seconds, seed %llu.", manifest.shots.size(),
                manifest.video_duration_s, static_cast<unsigned long long>(seed));
  lines.push_back(line);
  lines.push_back("");
  for (std::size_t i = 0; i < manifest.shots.size(); ++i) {
    std::snprintf(line, sizeof line, "Shot %zu  %s  %s", i + 1, short_time(manifest.shots[i].start_s).c_str(),
                  narration_text(manifest.shots[i].scene).c_str());
    lines.push_back(line);
  }
  lines.push_back("");
  lines.push_back("Narration on the reel, subtitles in harbour.srt.");
  return lines;
}

std::mt19937_64 stream(std::uint64_t seed, std::int64_t purpose) {
  return std::mt19937_64(noise::hash(seed, purpose));
}

}  // namespace

std::vector<WrittenShot> write_shots(const fs::path& path, int width, int height, double fps,
                                     const std::vector<ShotSpec>& shots,
                                     const VideoWriterOptions& options) {
  if (shots.empty()) throw std::invalid_argument("write_shots: no shots");
  VideoWriter writer(path, width, height, fps, options);

  std::vector<WrittenShot> written;
  std::int64_t next_frame = 0;
  for (const ShotSpec& shot : shots) {
    WrittenShot entry;
    entry.scene = shot.scene;
    entry.caption = caption(shot.scene);
    entry.first_frame = next_frame;
    entry.frame_count = std::max<std::int64_t>(1, std::llround(shot.duration_s * fps));
    next_frame += entry.frame_count;
    entry.start_s = static_cast<double>(entry.first_frame) / fps;
    entry.end_s = static_cast<double>(next_frame) / fps;
    written.push_back(std::move(entry));
  }

  // Frames are pure functions of (scene, time), so a few are rendered at once on the spare
  // cores while the writer consumes them in order.
  const int parallel = static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 4u));
  for (const WrittenShot& shot : written) {
    for (std::int64_t first = 0; first < shot.frame_count; first += parallel) {
      std::vector<std::future<RgbImage>> batch;
      for (std::int64_t i = first; i < std::min(shot.frame_count, first + parallel); ++i) {
        batch.push_back(std::async(std::launch::async, [&shot, width, height, fps, i] {
          return render_scene_at(shot.scene, width, height, static_cast<double>(i) / fps);
        }));
      }
      for (auto& frame : batch) writer.write(frame.get());
    }
  }
  writer.finish();
  return written;
}

std::vector<double> write_shot_video(const fs::path& path, int width, int height, double fps,
                                     const std::vector<ShotSpec>& shots,
                                     const VideoWriterOptions& options) {
  std::vector<double> cuts;
  const std::vector<WrittenShot> written = write_shots(path, width, height, fps, shots, options);
  for (size_t i = 1; i < written.size(); ++i) cuts.push_back(written[i].start_s);
  return cuts;
}

std::vector<ShotSpec> random_shots(std::mt19937_64& rng, int count, double duration_s) {
  std::vector<ShotSpec> shots;
  for (int i = 0; i < count; ++i) {
    ShotSpec shot;
    shot.scene =
        i == 0 ? random_scene(rng) : random_scene_after(rng, shots.back().scene.background);
    shot.duration_s = duration_s;
    shots.push_back(std::move(shot));
  }
  return shots;
}

std::string shots_to_srt(const std::vector<WrittenShot>& shots) {
  std::string srt;
  for (size_t i = 0; i < shots.size(); ++i) {
    if (i > 0) srt += "\n";
    srt += std::to_string(i + 1) + "\n";
    srt += srt_time(shots[i].start_s) + " --> " + srt_time(shots[i].end_s) + "\n";
    srt += sentence(shots[i].caption) + "\n";
  }
  return srt;
}

std::vector<fs::path> DemoArchiveManifest::files() const {
  std::vector<fs::path> all;
  if (!video.empty()) all.push_back(video);
  if (!subtitles.empty()) all.push_back(subtitles);
  for (const DemoImage& image : images) all.push_back(image.path);
  all.push_back(captions);
  all.push_back(notes);
  if (!scanned_page.empty()) all.push_back(scanned_page);
  return all;
}

DemoArchiveManifest write_demo_archive(const fs::path& dir, const DemoArchiveOptions& options) {
  if (options.image_count < 0) throw std::invalid_argument("image_count must not be negative");
  if (options.write_video && options.shot_count < 1) {
    throw std::invalid_argument("shot_count must be at least 1");
  }
  DemoArchiveManifest manifest;
  manifest.root = fs::absolute(dir);
  fs::create_directories(manifest.root / "footage");
  fs::create_directories(manifest.root / "images");
  fs::create_directories(manifest.root / "texts");

  // Stills.
  std::mt19937_64 image_rng = stream(options.seed, 1);
  std::string captions_tsv = "file\tcaption\n";
  for (int i = 0; i < options.image_count; ++i) {
    DemoImage image;
    image.scene = random_scene(image_rng);
    image.caption = caption(image.scene);
    const bool as_jpeg = options.jpeg_every > 0 && (i + 1) % options.jpeg_every == 0;
    char name[32];
    std::snprintf(name, sizeof(name), "scene_%04d.%s", i + 1, as_jpeg ? "jpg" : "png");
    image.path = manifest.root / "images" / name;
    // Grain differs per still even when two scenes repeat, so no two files are identical.
    const std::uint64_t grain = noise::hash(options.seed, 2, i) | 1u;
    const RgbImage pixels =
        render_scene(image.scene, options.image_width, options.image_height, grain);
    write_text_file(image.path, as_jpeg ? encode_jpeg(pixels, 90) : encode_png(pixels));
    captions_tsv += std::string(name) + "\t" + image.caption + "\n";
    manifest.images.push_back(std::move(image));
  }
  manifest.captions = manifest.root / "images" / "captions.tsv";
  write_text_file(manifest.captions, captions_tsv);

  // Footage and its subtitles.
  if (options.write_video) {
    std::mt19937_64 video_rng = stream(options.seed, 3);
    const std::vector<ShotSpec> shots =
        random_shots(video_rng, options.shot_count, options.shot_duration_s);
    manifest.video = manifest.root / "footage" / "harbour.mp4";
    manifest.shots = write_shots(manifest.video, options.video_width, options.video_height,
                                 options.video_fps, shots);
    for (size_t i = 1; i < manifest.shots.size(); ++i) {
      manifest.cut_times_s.push_back(manifest.shots[i].start_s);
    }
    const WrittenShot& last = manifest.shots.back();
    manifest.video_frames = last.first_frame + last.frame_count;
    manifest.video_duration_s = last.end_s;
    manifest.subtitles = manifest.root / "footage" / "harbour.srt";
    write_text_file(manifest.subtitles, shots_to_srt(manifest.shots));
    if (options.narrate) {
      std::vector<NarratedShot> narrated;
      for (const WrittenShot& shot : manifest.shots) narrated.push_back({shot.scene, shot.start_s, shot.end_s});
      try {
        manifest.narration = narrate_video(manifest.video, manifest.video_duration_s, narrated,
                                           manifest.root / "footage", options.narration);
      } catch (const NarrationError& e) {
        manifest.warnings.push_back(std::string(e.what()) + ": " + manifest.video.string() + " has no narration");
      }
    }
    if (options.scanned_page) {
      manifest.scanned_page = manifest.root / "texts" / "camera_log.pdf";
      ScannedPageOptions page;
      page.seed = noise::hash(options.seed, 4);
      write_scanned_page(manifest.scanned_page, camera_log(manifest, options.seed), page);
    }
  }

  manifest.notes = manifest.root / "texts" / "notes.md";
  write_text_file(manifest.notes, notes_markdown(manifest, options.seed));
  return manifest;
}

}  // namespace palimpsest::demo
