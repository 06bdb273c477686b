// The safetensors reader / writer: round trips, half-precision conversion, and clear errors for
// truncated or malformed files.

#include <cmath>
#include <cstring>

#include <gtest/gtest.h>

#include "indexer/clip/clip_error.h"
#include "indexer/clip/safetensors.h"
#include "tests/common/test_support.h"

namespace palimpsest {
namespace {

using testing::TempDir;

// A safetensors file from a header string and raw data bytes.
std::string make_file(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  const std::uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
  return out + header + data;
}

// Asserts that opening `bytes` as a safetensors file fails with a message naming the file and
// containing `expected`.
void expect_open_error(const std::string& bytes, const std::string& expected) {
  TempDir tmp;
  const auto path = tmp / "bad.safetensors";
  testing::write_file(path, bytes);
  try {
    SafetensorsReader reader(path);
    FAIL() << "no error; expected: " << expected;
  } catch (const ClipModelError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(path.string()), std::string::npos) << what;
    EXPECT_NE(what.find(expected), std::string::npos) << what;
  }
}

TEST(ClipSafetensors, WriteThenReadRoundTrip) {
  TempDir tmp;
  const auto path = tmp / "t.safetensors";
  std::vector<SafetensorsTensor> tensors = {
      {"b.matrix", {2, 3}, {1, 2, 3, 4, 5, 6}},
      {"a.scalar", {}, {2.5f}},
      {"c.empty", {0, 4}, {}},
  };
  save_safetensors(path, tensors, {{"format", "pt"}});
  const std::string bytes = testing::read_file(path);
  std::uint64_t header_len = 0;
  std::memcpy(&header_len, bytes.data(), 8);
  EXPECT_EQ(header_len % 8, 0u) << "header padded to 8 bytes";

  SafetensorsReader reader(path);
  EXPECT_EQ(reader.entries().size(), 3u);
  EXPECT_EQ(reader.metadata().at("format"), "pt");
  EXPECT_EQ(reader.entry("b.matrix").shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(reader.read_f32("b.matrix"), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(reader.read_f32("a.scalar"), std::vector<float>{2.5f});
  EXPECT_TRUE(reader.read_f32("c.empty").empty());
  EXPECT_THROW(reader.read_f32("nope"), ClipModelError);

  EXPECT_THROW(save_safetensors(tmp / "x.safetensors", {{"bad", {2, 2}, {1, 2, 3}}}),
               ClipModelError);
  EXPECT_THROW(save_safetensors(tmp / "x.safetensors", {{"d", {1}, {1}}, {"d", {1}, {2}}}),
               ClipModelError);
}

TEST(ClipSafetensors, HalfAndBfloat16ConvertToFloat) {
  // F16: 1.0, -2.0, 65504 (max), 2^-24 (smallest subnormal). BF16: 1.0, -3.0.
  const std::uint16_t half[] = {0x3C00, 0xC000, 0x7BFF, 0x0001};
  const std::uint16_t bf16[] = {0x3F80, 0xC040};
  std::string data(reinterpret_cast<const char*>(half), sizeof half);
  data.append(reinterpret_cast<const char*>(bf16), sizeof bf16);
  const std::string header =
      R"({"h":{"dtype":"F16","shape":[4],"data_offsets":[0,8]},)"
      R"("b":{"dtype":"BF16","shape":[2],"data_offsets":[8,12]},)"
      R"("i":{"dtype":"I32","shape":[0],"data_offsets":[12,12]}})";
  TempDir tmp;
  const auto path = tmp / "h.safetensors";
  testing::write_file(path, make_file(header, data));
  SafetensorsReader reader(path);
  const auto h = reader.read_f32("h");
  EXPECT_EQ(h[0], 1.0f);
  EXPECT_EQ(h[1], -2.0f);
  EXPECT_EQ(h[2], 65504.0f);
  EXPECT_EQ(h[3], std::ldexp(1.0f, -24));
  EXPECT_EQ(reader.read_f32("b"), (std::vector<float>{1.0f, -3.0f}));
  EXPECT_THROW(reader.read_f32("i"), ClipModelError);  // not a float type
  EXPECT_TRUE(std::isinf(half_to_float(0x7C00)));
  EXPECT_TRUE(std::isnan(half_to_float(0x7E00)));
}

TEST(ClipSafetensors, MalformedFilesGiveClearErrors) {
  const std::string ok_header = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  const std::string eight_bytes(8, '\0');
  expect_open_error("abc", "truncated safetensors file");
  expect_open_error(make_file(ok_header, eight_bytes).substr(0, 20), "truncated safetensors file");
  expect_open_error(make_file(ok_header, eight_bytes.substr(0, 5)), "truncated safetensors file");
  expect_open_error(make_file("{not json", ""), "header is not valid JSON");
  expect_open_error(make_file("[1, 2]", ""), "not a JSON object");
  expect_open_error(make_file(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})",
                              eight_bytes),
                    "needs 12");
  expect_open_error(make_file(R"({"w":{"dtype":"Q9","shape":[2],"data_offsets":[0,8]}})",
                              eight_bytes),
                    "unknown dtype");
  expect_open_error(make_file(R"({"w":{"dtype":"F32","data_offsets":[0,8]}})", eight_bytes),
                    "missing shape");
  expect_open_error(make_file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})",
                              eight_bytes),
                    "reversed");
  expect_open_error(make_file(R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})",
                              eight_bytes),
                    "not a list of sizes");
  // An absurd header length.
  std::string huge(8, '\xff');
  expect_open_error(huge + "{}", "implausible header length");
}

TEST(ClipSafetensors, MissingFileNamesThePath) {
  TempDir tmp;
  try {
    SafetensorsReader reader(tmp / "nowhere.safetensors");
    FAIL();
  } catch (const ClipModelError& e) {
    EXPECT_NE(std::string(e.what()).find("nowhere.safetensors: safetensors file not found"),
              std::string::npos)
        << e.what();
  }
}

TEST(ClipSafetensors, ReadsTheFixtureHeader) {
  const auto dir = testing::fixture_dir("clip");
  SafetensorsReader reader(dir / "tiny_vit_p8.safetensors");
  EXPECT_EQ(reader.entry("visual.conv1.weight").shape, (std::vector<std::int64_t>{64, 3, 8, 8}));
  EXPECT_TRUE(reader.entry("logit_scale").shape.empty());
  EXPECT_EQ(reader.read_f32("logit_scale").size(), 1u);
}

}  // namespace
}  // namespace palimpsest
