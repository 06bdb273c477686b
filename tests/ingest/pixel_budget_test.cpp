// Decoding under a pixel budget (issue 15.4): the size image headers declare, the plan for an
// image over the budget (reduced or refused), every decoder applying it, and a decompression bomb
// decoded in a child process under an address-space limit.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <functional>

#include <gtest/gtest.h>

#include "indexer/ingest/ingester.h"
#include "indexer/media/image_codec.h"
#include "indexer/media/image_header.h"
#include "indexer/media/media_decoder.h"
#include "indexer/media/pixel_budget.h"
#include "indexer/media/video_writer.h"
#include "tests/common/png_bomb.h"
#include "tests/common/test_support.h"

namespace palimpsest {
namespace {

namespace fs = std::filesystem;

RgbImage gradient(int w, int h) {
  RgbImage img(w, h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      std::uint8_t* p = img.row(y) + 3 * x;
      p[0] = static_cast<std::uint8_t>(x * 255 / std::max(1, w - 1));
      p[1] = static_cast<std::uint8_t>(y * 255 / std::max(1, h - 1));
      p[2] = static_cast<std::uint8_t>((x + y) % 256);
    }
  return img;
}

std::string le16(unsigned v) { return {static_cast<char>(v & 0xFF), static_cast<char>((v >> 8) & 0xFF)}; }
std::string le32(unsigned v) { return le16(v & 0xFFFF) + le16(v >> 16); }
std::string be16(unsigned v) { return {static_cast<char>((v >> 8) & 0xFF), static_cast<char>(v & 0xFF)}; }
std::string be32(unsigned v) { return be16(v >> 16) + be16(v & 0xFFFF); }

// A complete 24-bit BMP (bottom-up rows padded to 4 bytes): libav decodes it.
std::string bmp(int w, int h) {
  const int row = (w * 3 + 3) / 4 * 4;
  std::string data(static_cast<std::size_t>(row) * h, '\x40');
  return "BM" + le32(54 + static_cast<unsigned>(data.size())) + le32(0) + le32(54) + le32(40) + le32(w) + le32(h) +
         le16(1) + le16(24) + le32(0) + le32(static_cast<unsigned>(data.size())) + le32(2835) + le32(2835) + le32(0) +
         le32(0) + data;
}

TEST(ImageHeader, ReadsTheSizeEveryFormatDeclares) {
  const RgbImage img = gradient(37, 23);
  auto expect = [](const std::string& bytes, const char* format, std::int64_t w, std::int64_t h) {
    auto d = read_declared_image(bytes);
    ASSERT_TRUE(d) << format;
    EXPECT_EQ(d->format, format);
    EXPECT_EQ(d->width, w) << format;
    EXPECT_EQ(d->height, h) << format;
  };
  expect(encode_png(img), "png", 37, 23);
  expect(encode_jpeg(img), "jpeg", 37, 23);
  // A JPEG whose frame header comes after 3 APP segments of 60 KB: found by skipping segments.
  std::string jpeg = encode_jpeg(img);
  std::string app;
  for (int i = 0; i < 3; ++i) app += std::string("\xFF\xE1", 2) + be16(60002) + std::string(60000, 'e');
  expect(jpeg.substr(0, 2) + app + jpeg.substr(2), "jpeg", 37, 23);
  expect(bmp(37, 23), "bmp", 37, 23);
  std::string top_down = bmp(37, 23);
  top_down.replace(22, 4, le32(static_cast<unsigned>(-23)));
  expect(top_down, "bmp", 37, 23);
  expect("GIF89a" + le16(37) + le16(23) + std::string(20, '\0'), "gif", 37, 23);
  // WebP: extended (canvas size - 1, 24 bits), lossless (14 bits each), lossy (frame header).
  expect("RIFF" + le32(100) + "WEBPVP8X" + le32(10) + std::string(4, '\0') + le32(59999).substr(0, 3) + le32(22).substr(0, 3),
         "webp", 60000, 23);
  const unsigned bits = (37 - 1) | ((23 - 1) << 14);
  expect("RIFF" + le32(100) + "WEBPVP8L" + le32(10) + "\x2F" + le32(bits) + std::string(8, '\0'), "webp", 37, 23);
  expect("RIFF" + le32(100) + "WEBPVP8 " + le32(10) + std::string(3, '\0') + "\x9D\x01\x2A" + le16(37) + le16(23) +
             std::string(8, '\0'),
         "webp", 37, 23);
  // TIFF, both byte orders, its directory after the pixel data (where many writers put it).
  const std::string pixels(4000, '\0');
  expect(std::string("II*\0", 4) + le32(8 + 4000) + pixels + le16(2) + le16(256) + le16(4) + le32(1) + le32(70000) +
             le16(257) + le16(3) + le32(1) + le16(23) + le16(0) + le32(0),
         "tiff", 70000, 23);
  expect(std::string("MM\0*", 4) + be32(8) + be16(2) + be16(256) + be16(3) + be32(1) + be16(37) + be16(0) + be16(257) +
             be16(4) + be32(1) + be32(23) + be32(0),
         "tiff", 37, 23);
  // Not images, cut short, or an empty size.
  EXPECT_FALSE(read_declared_image("plain text, not an image"));
  EXPECT_FALSE(read_declared_image(encode_png(img).substr(0, 20)));
  EXPECT_FALSE(read_declared_image(encode_jpeg(img).substr(0, 10)));
  EXPECT_FALSE(read_declared_image("GIF89a" + le16(0) + le16(23) + std::string(20, '\0')));
}

// The header reader agrees with libav on the files libav decodes.
TEST(ImageHeader, AgreesWithLibav) {
  testing::TempDir dir;
  const RgbImage img = gradient(45, 31);
  const std::pair<const char*, std::string> files[] = {
      {"a.png", encode_png(img)}, {"a.jpg", encode_jpeg(img)}, {"a.bmp", bmp(45, 31)}};
  for (const auto& [name, bytes] : files) {
    testing::write_file(dir / name, bytes);
    auto declared = read_declared_image_file(dir / name);
    ASSERT_TRUE(declared) << name;
    MediaDecoder decoder(dir / name);
    ASSERT_TRUE(decoder.next_frame()) << name;
    EXPECT_EQ(declared->width, decoder.info().width) << name;
    EXPECT_EQ(declared->height, decoder.info().height) << name;
    const RgbImage frame = decoder.frame_rgb();
    EXPECT_EQ(frame.width, 45) << name;
    EXPECT_EQ(frame.height, 31) << name;
  }
}

TEST(PixelBudget, PlansAReductionOrARefusal) {
  const PixelBudget budget{1'000'000, true};
  EXPECT_EQ(plan_reduced_decode({"png", 1000, 1000}, budget).lowres, 0);
  EXPECT_TRUE(plan_reduced_decode({"png", 1000, 1000}, budget).note.empty());
  const ReducedDecode half = plan_reduced_decode({"jpeg", 2000, 1000}, budget);
  EXPECT_EQ(half.lowres, 1);
  EXPECT_NE(half.note.find("2000x1000 (2.0 Mpx), over the pixel budget of 1.0 Mpx: decoded at 1/2 size (1000x500)"),
            std::string::npos)
      << half.note;
  EXPECT_EQ(plan_reduced_decode({"jpeg", 6000, 6000}, budget).lowres, 3);  // 750x750
  auto refusal = [&](const DeclaredImage& image, const PixelBudget& b) {
    try {
      plan_reduced_decode(image, b);
    } catch (const PixelBudgetError& e) {
      return std::string(e.what());
    }
    return std::string("(not refused)");
  };
  EXPECT_EQ(refusal({"png", 16000, 16000}, budget),
            "the png image is 16000x16000 (256 Mpx), over the pixel budget of 1.0 Mpx: refused (only JPEG can be decoded "
            "reduced)");
  EXPECT_NE(refusal({"jpeg", 9000, 9000}, budget).find("even at 1/8 size: refused"), std::string::npos);
  EXPECT_NE(refusal({"jpeg", 2000, 1000}, {1'000'000, false}).find("1.0 Mpx: refused"), std::string::npos);
  // Beyond what libav represents at all, whatever the budget.
  EXPECT_EQ(refusal({"png", 60000, 60000}, {std::int64_t(1) << 40, true}),
            "the png image is 60000x60000 (3600 Mpx), larger than libav can decode even reduced: refused");
}

TEST(PixelBudget, DecodeImageBytesReducesJpegAndRefusesPng) {
  const PixelBudget budget{10'000, true};
  std::string note;
  const RgbImage small = decode_image_bytes(encode_jpeg(gradient(100, 100)), budget, &note);
  EXPECT_EQ(small.width, 100);
  EXPECT_TRUE(note.empty());
  const RgbImage reduced = decode_image_bytes(encode_jpeg(gradient(400, 200)), budget, &note);
  EXPECT_EQ(reduced.width, 100);  // 1/4: 100x50
  EXPECT_EQ(reduced.height, 50);
  EXPECT_NE(note.find("decoded at 1/4 size (100x50)"), std::string::npos) << note;
  // The reduced picture is the image, smaller: its mean colour matches the full decode's.
  const RgbImage full = decode_image_bytes(encode_jpeg(gradient(400, 200)));
  auto mean = [](const RgbImage& i, int c) {
    double s = 0;
    for (std::size_t k = c; k < i.pixels.size(); k += 3) s += i.pixels[k];
    return s / (i.pixels.size() / 3);
  };
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(mean(reduced, c), mean(full, c), 3.0) << c;
  EXPECT_THROW(decode_image_bytes(encode_png(gradient(400, 200)), budget), PixelBudgetError);
  EXPECT_THROW(decode_image_bytes(testing::png_bomb(16000, 16000, 10)), PixelBudgetError);
}

// Issue 15.4: a 60000x60000 image was refused with "video stream has no size".
TEST(PixelBudget, MediaDecoderRefusesWithTheRightReason) {
  testing::TempDir dir;
  testing::write_file(dir / "huge.png", testing::png_bomb(60000, 60000, 4));
  try {
    MediaDecoder decoder(dir / "huge.png");
    FAIL() << "a 60000x60000 image was opened";
  } catch (const PixelBudgetError& e) {
    EXPECT_NE(std::string(e.what()).find("60000x60000"), std::string::npos) << e.what();
  }
  testing::write_file(dir / "bomb.png", testing::png_bomb(16000, 16000, 16));
  try {
    decode_image_file(dir / "bomb.png");
    FAIL() << "a 16000x16000 image was decoded";
  } catch (const PixelBudgetError& e) {
    EXPECT_NE(std::string(e.what()).find("16000x16000 (256 Mpx), over the pixel budget of 64 Mpx"), std::string::npos)
        << e.what();
  }
  // A format the header reader does not know (PGM): libav's own limit stops it, and the error
  // names the budget instead of a missing size.
  testing::write_file(dir / "huge.pgm", "P5\n16000 16000\n255\n" + std::string(4096, '\0'));
  try {
    MediaDecoder decoder(dir / "huge.pgm");
    FAIL() << "a 16000x16000 PGM was opened";
  } catch (const std::exception& e) {
    const std::string what = e.what();
    EXPECT_TRUE(what.find("pixel budget") != std::string::npos) << what;
  }
  // A JPEG over the budget: opened at its own size, decoded reduced, and it says so.
  testing::write_file(dir / "big.jpg", encode_jpeg(gradient(400, 200)));
  MediaDecoder big(dir / "big.jpg", {20'000, true});
  EXPECT_EQ(big.info().width, 400);
  EXPECT_EQ(big.info().height, 200);
  EXPECT_NE(big.info().reduced.find("decoded at 1/2 size (200x100)"), std::string::npos) << big.info().reduced;
  ASSERT_TRUE(big.next_frame());
  EXPECT_EQ(big.frame_rgb().width, 200);
  EXPECT_EQ(big.frame_rgb(40, 20).width, 40);
}

TEST(PixelBudget, VideoFramesOverTheBudgetAreRefused) {
  testing::TempDir dir;
  for (const char* encoder : {"libx264", "mpeg4"}) {
    VideoWriterOptions options;
    options.encoder = encoder;
    VideoWriter writer(dir / (std::string(encoder) + ".mp4"), 64, 48, 12, options);
    for (int i = 0; i < 6; ++i) writer.write(gradient(64, 48));
    writer.finish();
  }
  const PixelBudget exact{64 * 48, true};
  EXPECT_NO_THROW(MediaDecoder(dir / "libx264.mp4", exact));
  EXPECT_NO_THROW(MediaDecoder(dir / "mpeg4.mp4", exact));
  // H.264 in MP4: the container tells the frame size, and the refusal names it.
  try {
    MediaDecoder decoder(dir / "libx264.mp4", {1000, true});
    FAIL() << "frames over the budget were opened";
  } catch (const PixelBudgetError& e) {
    EXPECT_EQ(std::string(e.what()), "the video's frames are 64x48 (3072 px), over the pixel budget of 1000 px: refused");
  }
  // MPEG-4 part 2 in MP4: only the decoder knows the size, and it refuses to tell past the budget.
  try {
    MediaDecoder decoder(dir / "mpeg4.mp4", {1000, true});
    FAIL() << "frames over the budget were opened";
  } catch (const MediaError& e) {
    EXPECT_NE(std::string(e.what()).find("pixel budget of 1000 px"), std::string::npos) << e.what();
  }
}

// Ingest: a bomb is one failed file naming the budget; a JPEG over it is ingested reduced with a
// warning, keeping its real size in the catalog.
TEST(PixelBudget, IngestRefusesBombsAndWarnsOfReducedImages) {
  testing::TempDir dir;
  testing::write_file(dir / "in/bomb.png", testing::png_bomb(16000, 16000, 16000));
  testing::write_file(dir / "in/scan.jpg", encode_jpeg(gradient(400, 200)));
  Catalog catalog(dir / "c.db");
  IngestOptions options;
  options.pixel_budget.max_pixels = 20'000;
  Ingester ingester(catalog, options);
  const IngestSummary summary = ingester.run({dir / "in"});
  ASSERT_EQ(summary.failed.size(), 1u);
  EXPECT_EQ(summary.failed[0].path.filename(), "bomb.png");
  EXPECT_NE(summary.failed[0].message.find("16000x16000 (256 Mpx), over the pixel budget of 20000 px: refused"),
            std::string::npos)
      << summary.failed[0].message;
  EXPECT_EQ(summary.count(FileOutcome::added), 1);
  ASSERT_EQ(summary.warnings.size(), 1u);
  EXPECT_NE(summary.warnings[0].find("scan.jpg: the jpeg image is 400x200 (80000 px), over the pixel budget of 20000 px: "
                                     "decoded at 1/2 size (200x100)"),
            std::string::npos)
      << summary.warnings[0];
  RecordFilter images;
  images.kind = RecordKind::image;
  const auto records = catalog.records(images);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].width, 400);
  EXPECT_EQ(records[0].height, 200);
  // With the default budget the bomb is refused as well.
  Catalog other(dir / "d.db");
  const IngestSummary defaults = Ingester(other, {}).run({dir / "in/bomb.png"});
  ASSERT_EQ(defaults.failed.size(), 1u);
  EXPECT_NE(defaults.failed[0].message.find("over the pixel budget of 64 Mpx"), std::string::npos);
}

// VmSize of this process, in bytes.
std::uint64_t address_space_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmSize:", 0) == 0) return std::stoull(line.substr(7)) * 1024;
  return 0;
}

// Runs `body` in a child process whose address space may grow by `headroom` bytes at most;
// returns its exit status (body's return value; 100 + signal when it was killed).
int in_child_with_address_space(std::uint64_t headroom, const std::function<int()>& body) {
  const pid_t pid = fork();
  if (pid == 0) {
    rlimit limit{};
    limit.rlim_cur = limit.rlim_max = address_space_bytes() + headroom;
    if (setrlimit(RLIMIT_AS, &limit) != 0) _exit(90);
    int code = 91;
    try {
      code = body();
    } catch (...) {
      code = 92;
    }
    _exit(code);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

// Issue 15.4: the bomb took 3.1 GB in search-by-image and 1.17 GB in ingest. Under a 512 MiB
// address-space allowance, every decoder refuses it with the budget's reason, and a 12 Mpx photo
// still decodes.
TEST(PixelBudget, ABombDecodesInBoundedMemory) {
  testing::TempDir dir;
  const std::string bomb = testing::png_bomb(16000, 16000, 16000);
  testing::write_file(dir / "bomb.png", bomb);
  const std::string photo = encode_jpeg(gradient(4000, 3000));
  testing::write_file(dir / "photo.jpg", photo);
  const int code = in_child_with_address_space(512ull << 20, [&]() -> int {
    try {
      decode_image_bytes(bomb);
      return 1;
    } catch (const PixelBudgetError&) {
    }
    try {
      decode_image_file(dir / "bomb.png");
      return 2;
    } catch (const PixelBudgetError&) {
    }
    // The same bomb with the budget lifted must fail for lack of memory, or the limit proves
    // nothing: libav reports it as an error (or the allocation throws).
    try {
      decode_image_bytes(bomb, {std::int64_t(1) << 40, true});
      return 3;
    } catch (const PixelBudgetError&) {
      return 4;
    } catch (const std::exception&) {
    }
    const RgbImage ok = decode_image_bytes(photo);
    if (ok.width != 4000 || ok.height != 3000) return 5;
    MediaDecoder decoder(dir / "photo.jpg");
    if (!decoder.next_frame() || decoder.frame_rgb().width != 4000) return 6;
    return 0;
  });
  EXPECT_EQ(code, 0) << "1/2: the bomb was decoded; 3: the limit is too loose to matter; 4: refused without "
                        "a budget; 5/6: the photo failed; 90+: the child failed";
}

}  // namespace
}  // namespace palimpsest
