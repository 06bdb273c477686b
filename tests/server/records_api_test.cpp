// Records that speak and carry writing, end to end: files made in the test are ingested by the
// real binary (speech, OCR, PDFs), found by `palimpsest search`, and their record pages, links,
// thumbnails and media served by the real server.
#include <httplib.h>

#include <map>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "indexer/audio/audio_decoder.h"
#include "indexer/media/image_codec.h"
#include "schema/catalog.h"
#include "schema/embedding_store.h"
#include "server/http_server.h"
#include "tests/common/archive_media.h"
#include "tests/common/test_support.h"

namespace palimpsest {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class RecordsApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = dir_ / "c.db";
    model_ = testing::write_fixture_model(dir_.path(), testing::fixture_dir("clip"));
  }
  void TearDown() override {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
  }

  json ingest(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"--db", db_.string(), "ingest", archive().string(), "--model", model_.string(),
                                     "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    const testing::CommandResult r = testing::run_palimpsest(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  }
  json search(const std::string& text, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"--db", db_.string(), "search", text, "--model", model_.string(), "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    const testing::CommandResult r = testing::run_palimpsest(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  }
  void serve() {
    ServerOptions options;
    options.db = db_;
    options.port = 0;
    options.threads = 2;
    options.model_dir = model_;
    options.log = [](const std::string&) {};
    server_ = std::make_unique<HttpServer>(options);
    const int port = server_->bind();
    thread_ = std::thread([this] { server_->run(); });
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port);
  }
  json get_json(const std::string& path) {
    auto res = client_->Get(path.c_str());
    EXPECT_TRUE(res) << path;
    if (!res) return {};
    EXPECT_EQ(res->status, 200) << path << ": " << res->body;
    return json::parse(res->body);
  }
  std::vector<RecordRow> records(RecordKind kind) {
    Catalog catalog(db_);
    RecordFilter filter;
    filter.kind = kind;
    filter.limit = 10000;
    return catalog.records(filter);
  }
  fs::path archive() const { return dir_ / "archive"; }

  testing::TempDir dir_;
  fs::path db_, model_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  std::unique_ptr<httplib::Client> client_;
};

// The hit for record `id` in search results, or null.
json hit_for(const json& results, std::int64_t id) {
  for (const json& hit : results)
    if (hit["id"] == id) return hit;
  return nullptr;
}

TEST_F(RecordsApiTest, SpeechInAnAudioFileIsTranscribedFoundAndPlayable) {
  std::vector<std::int64_t> starts;
  const std::vector<std::int16_t> clip = testing::spoken_clip(1.5, &starts);
  testing::write_wav_16k(archive() / "interview.wav", clip);
  const json summary = ingest();
  EXPECT_EQ(summary["files_added"], 1);
  EXPECT_GT(summary["records_added"]["audio"].get<int>(), 0);
  EXPECT_GE(summary["records_added"]["speech"].get<int>(), 2) << summary.dump();
  EXPECT_NEAR(summary["audio_seconds"].get<double>(), clip.size() / 16000.0, 0.05);

  // The audio records tile the whole recording, in order, without gaps or overlaps.
  const std::vector<RecordRow> audio = records(RecordKind::audio);
  std::int64_t at = 0;
  for (const RecordRow& a : audio) {
    EXPECT_EQ(a.ts_ms, at) << a.title;
    at = a.ts_ms + a.dur_ms.value_or(0);
    EXPECT_TRUE(a.meta.contains("loudness_lufs"));
    EXPECT_NE(a.meta["segmenter"].get<std::string>().find("silencedetect"), std::string::npos);
  }
  EXPECT_NEAR(at, static_cast<double>(clip.size()) / 16, 100);

  // Each sentence is an utterance where it was spoken, with its words, linked to its audio.
  const std::vector<RecordRow> speech = records(RecordKind::speech);
  ASSERT_GE(speech.size(), 2u);
  std::string heard;
  for (const RecordRow& s : speech) {
    heard += s.text + " ";
    EXPECT_EQ(s.meta["engine"], "pocketsphinx");
    EXPECT_EQ(s.meta["language"], "en-us");
    EXPECT_EQ(s.meta["model"].get<std::string>().size(), 16u);
    ASSERT_FALSE(s.meta["words"].empty());
    for (const json& w : s.meta["words"]) {
      EXPECT_GE(w["start_ms"].get<std::int64_t>(), s.ts_ms);
      EXPECT_LE(w["end_ms"].get<std::int64_t>(), s.ts_ms + s.dur_ms.value_or(0));
    }
    const std::int64_t audio_id = s.meta["audio_record_id"];
    const auto owner = std::find_if(audio.begin(), audio.end(), [&](const RecordRow& a) { return a.id == audio_id; });
    ASSERT_NE(owner, audio.end());
    EXPECT_GE(s.ts_ms, owner->ts_ms);
    EXPECT_LE(s.ts_ms + s.dur_ms.value_or(0), owner->ts_ms + owner->dur_ms.value_or(0));
  }
  EXPECT_NEAR(speech[0].ts_ms, starts[0], 300);
  EXPECT_NEAR(speech.back().ts_ms, starts[1], 300);
  EXPECT_NE(heard.find("coffee"), std::string::npos) << heard;

  // Found lexically and densely, like subtitles; audio records have no vector.
  const RecordRow& coffee = *std::find_if(speech.begin(), speech.end(),
                                          [](const RecordRow& s) { return s.text.find("coffee") != std::string::npos; });
  const json hit = hit_for(search("coffee"), coffee.id);
  ASSERT_FALSE(hit.is_null());
  EXPECT_FALSE(hit["lexical_rank"].is_null());
  EXPECT_FALSE(hit["dense_rank"].is_null());
  {
    Catalog catalog(db_);
    const std::int64_t model = catalog.embeddings().models().at(0).id;
    EXPECT_TRUE(catalog.embeddings().get(coffee.id, model));
    for (const RecordRow& a : audio) EXPECT_FALSE(catalog.embeddings().get(a.id, model)) << a.title;
  }

  serve();
  const json page = get_json("/api/v1/records/" + std::to_string(coffee.id));
  EXPECT_EQ(page["kind"], "speech");
  EXPECT_EQ(page["links"]["audio_record_id"], coffee.meta["audio_record_id"]);
  const std::int64_t audio_id = coffee.meta["audio_record_id"];
  const json audio_page = get_json("/api/v1/records/" + std::to_string(audio_id));
  EXPECT_NE(std::find(audio_page["links"]["speech_record_ids"].begin(), audio_page["links"]["speech_record_ids"].end(),
                      coffee.id),
            audio_page["links"]["speech_record_ids"].end());
  EXPECT_EQ(audio_page["thumbnail_url"], "/api/v1/records/" + std::to_string(audio_id) + "/thumbnail.jpg");

  // The waveform is a PNG, served as one.
  auto thumb = client_->Get(("/api/v1/records/" + std::to_string(audio_id) + "/thumbnail.jpg").c_str());
  ASSERT_TRUE(thumb);
  EXPECT_EQ(thumb->status, 200);
  EXPECT_EQ(thumb->get_header_value("Content-Type"), "image/png");
  EXPECT_EQ(thumb->body.substr(0, 4), "\x89PNG");

  // The audio record plays: AAC in MP4 of the segment's length, with Range.
  const std::string media = "/api/v1/records/" + std::to_string(audio_id) + "/media";
  auto whole = client_->Get(media.c_str());
  ASSERT_TRUE(whole);
  ASSERT_EQ(whole->status, 200) << whole->body;
  EXPECT_EQ(whole->get_header_value("Content-Type"), "audio/mp4");
  testing::write_file(dir_ / "clip.m4a", whole->body);
  std::int64_t played = 0;
  decode_audio(dir_ / "clip.m4a", {}, [&](const AudioBlock& b) { played += b.frames; });
  const RecordRow& owner = *std::find_if(audio.begin(), audio.end(), [&](const RecordRow& a) { return a.id == audio_id; });
  EXPECT_NEAR(played * 1000.0 / 16000, static_cast<double>(owner.dur_ms.value_or(0)), 30);
  auto part = client_->Get(media.c_str(), {{"Range", "bytes=0-99"}});
  ASSERT_TRUE(part);
  EXPECT_EQ(part->status, 206);
  EXPECT_EQ(part->body, whole->body.substr(0, 100));
  // The utterance plays its own time range.
  auto utterance = client_->Get(("/api/v1/records/" + std::to_string(coffee.id) + "/media").c_str());
  ASSERT_TRUE(utterance);
  EXPECT_EQ(utterance->status, 200);
  EXPECT_EQ(utterance->get_header_value("Content-Type"), "audio/mp4");

  // Search results say when.
  const json api_hits = get_json("/api/v1/search?q=coffee&kind=speech");
  const json api_hit = hit_for(api_hits["results"], coffee.id);
  ASSERT_FALSE(api_hit.is_null());
  EXPECT_EQ(api_hit["ts_ms"], coffee.ts_ms);
  EXPECT_EQ(api_hit["dur_ms"], coffee.dur_ms.value_or(0));
}

TEST_F(RecordsApiTest, AVideosSoundTrackIsOnItsTimeLineAndLinkedToItsFrames) {
  std::vector<std::int64_t> starts;
  testing::write_video_with_speech(archive() / "street.mp4", testing::spoken_clip(2.0, &starts));
  const json summary = ingest();
  EXPECT_GT(summary["records_added"]["frame"].get<int>(), 0);
  EXPECT_GT(summary["records_added"]["audio"].get<int>(), 0);
  EXPECT_GE(summary["records_added"]["speech"].get<int>(), 1) << summary.dump();

  const std::vector<RecordRow> frames = records(RecordKind::frame);
  const std::vector<RecordRow> audio = records(RecordKind::audio);
  const std::vector<RecordRow> speech = records(RecordKind::speech);
  ASSERT_FALSE(speech.empty());
  for (const RecordRow& a : audio) {
    EXPECT_EQ(a.source_id, frames.at(0).source_id) << "one file, one source";
    EXPECT_EQ(a.meta["video_source_id"], a.source_id);
  }
  for (const RecordRow& s : speech) {
    const json& linked = s.meta["frame_record_ids"];
    ASSERT_FALSE(linked.empty()) << s.text;
    for (const json& id : linked) {
      const auto f = std::find_if(frames.begin(), frames.end(), [&](const RecordRow& r) { return r.id == id; });
      ASSERT_NE(f, frames.end());
      // Each linked frame stands for a time the utterance overlaps.
      EXPECT_LT(f->ts_ms, s.ts_ms + s.dur_ms.value_or(0));
      EXPECT_GT(f->ts_ms + f->dur_ms.value_or(0), s.ts_ms);
    }
  }
  EXPECT_NEAR(speech[0].ts_ms, starts[0], 300) << "on the video's time line";

  serve();
  const json page = get_json("/api/v1/records/" + std::to_string(audio.at(0).id));
  EXPECT_EQ(page["links"]["video_source_id"], audio.at(0).source_id);
  EXPECT_EQ(page["source"]["kind"], "video");
  auto media = client_->Get(("/api/v1/records/" + std::to_string(speech[0].id) + "/media").c_str());
  ASSERT_TRUE(media);
  EXPECT_EQ(media->status, 200);
  EXPECT_EQ(media->get_header_value("Content-Type"), "audio/mp4");
}

TEST_F(RecordsApiTest, WritingInAnImageIsReadAndAPhotographWithoutWritingGivesNothing) {
  testing::write_text_picture(archive() / "notice.png", {"Harbour office closed", "Lighthouse tours at noon"});
  testing::write_file(archive() / "meadow.png", encode_png(testing::photo_like(640, 480, 7)));
  const json summary = ingest();
  EXPECT_EQ(summary["records_added"]["image"], 2);
  EXPECT_EQ(summary["records_added"]["ocr"], 1);
  EXPECT_EQ(summary["ocr_pictures"], 2);
  EXPECT_EQ(summary["ocr_text_free"], 1);

  const std::vector<RecordRow> ocr = records(RecordKind::ocr);
  ASSERT_EQ(ocr.size(), 1u);
  EXPECT_NE(ocr[0].text.find("Lighthouse"), std::string::npos) << ocr[0].text;
  EXPECT_EQ(ocr[0].meta["engine"].get<std::string>().rfind("tesseract ", 0), 0u);
  EXPECT_EQ(ocr[0].meta["model"], "eng psm3");
  ASSERT_FALSE(ocr[0].meta["blocks"].empty());
  const std::vector<RecordRow> images = records(RecordKind::image);
  const std::int64_t notice = images[0].title == "notice.png" ? images[0].id : images[1].id;
  EXPECT_EQ(ocr[0].meta["picture_record_id"], notice);

  const json hit = hit_for(search("lighthouse tours"), ocr[0].id);
  ASSERT_FALSE(hit.is_null());
  EXPECT_FALSE(hit["lexical_rank"].is_null());
  EXPECT_FALSE(hit["dense_rank"].is_null());

  serve();
  const json page = get_json("/api/v1/records/" + std::to_string(ocr[0].id));
  EXPECT_EQ(page["links"]["picture_record_id"], notice);
  EXPECT_EQ(get_json("/api/v1/records/" + std::to_string(notice))["links"]["ocr_record_id"], ocr[0].id);
  // An OCR record's media is its picture's file.
  auto media = client_->Get(("/api/v1/records/" + std::to_string(ocr[0].id) + "/media").c_str());
  ASSERT_TRUE(media);
  EXPECT_EQ(media->status, 200);
  EXPECT_EQ(media->get_header_value("Content-Type"), "image/png");
}

TEST_F(RecordsApiTest, PdfPagesAreImagesTheirTextLayerTextsAndScannedPagesAreRead) {
  testing::write_document_pdf(archive() / "report.pdf",
                              {"The harbour master keeps a ledger of every ship.", "Storms closed the port in March."},
                              {"Inventory of the lighthouse", "Two lamps and one brass bell"});
  const json summary = ingest();
  EXPECT_EQ(summary["pdf_pages"], 2);
  EXPECT_EQ(summary["records_added"]["image"], 2);
  EXPECT_EQ(summary["records_added"]["text"], 2);
  EXPECT_EQ(summary["records_added"]["ocr"], 1);

  const std::vector<RecordRow> pages = records(RecordKind::image);
  ASSERT_EQ(pages.size(), 2u);
  EXPECT_EQ(pages[0].meta["page"], 1);
  EXPECT_EQ(pages[1].meta["page"], 2);
  EXPECT_TRUE(pages[0].meta["has_text_layer"].get<bool>());
  EXPECT_FALSE(pages[1].meta["has_text_layer"].get<bool>());
  const std::vector<RecordRow> texts = records(RecordKind::text);
  ASSERT_EQ(texts.size(), 2u);
  EXPECT_EQ(texts[1].text, "Storms closed the port in March.");
  EXPECT_EQ(texts[1].meta["page"], 1);
  EXPECT_EQ(texts[1].meta["page_record_id"], pages[0].id);
  EXPECT_EQ(texts[1].meta["box"].size(), 4u);
  const std::vector<RecordRow> ocr = records(RecordKind::ocr);
  ASSERT_EQ(ocr.size(), 1u);
  EXPECT_NE(ocr[0].text.find("brass bell"), std::string::npos) << ocr[0].text;
  EXPECT_EQ(ocr[0].meta["page"], 2);
  EXPECT_EQ(ocr[0].meta["picture_record_id"], pages[1].id);

  // Search results say which page.
  const testing::CommandResult text_out =
      testing::run_palimpsest({"--db", db_.string(), "search", "storms", "--mode", "lexical"});
  ASSERT_EQ(text_out.exit_code, 0) << text_out.err;
  EXPECT_NE(text_out.out.find("report.pdf p. 1"), std::string::npos) << text_out.out;
  EXPECT_FALSE(hit_for(search("brass bell"), ocr[0].id).is_null());

  serve();
  const json hits = get_json("/api/v1/search?q=storms&mode=lexical");
  ASSERT_FALSE(hits["results"].empty());
  EXPECT_EQ(hits["results"][0]["page"], 1);
  const json page = get_json("/api/v1/records/" + std::to_string(pages[1].id));
  EXPECT_EQ(page["links"]["page"], 2);
  EXPECT_EQ(page["links"]["page_count"], 2);
  EXPECT_EQ(page["links"]["ocr_record_id"], ocr[0].id);
  EXPECT_EQ(page["source"]["kind"], "pdf");
  EXPECT_EQ(get_json("/api/v1/records/" + std::to_string(texts[0].id))["links"]["page_record_id"], pages[0].id);
  // A page's media is the page rendered; a paragraph's, the PDF itself.
  auto image = client_->Get(("/api/v1/records/" + std::to_string(pages[0].id) + "/media").c_str());
  ASSERT_TRUE(image);
  ASSERT_EQ(image->status, 200) << image->body;
  EXPECT_EQ(image->get_header_value("Content-Type"), "image/png");
  const RgbImage rendered = decode_image_bytes(image->body);
  EXPECT_EQ(rendered.width, pages[0].width.value_or(0));
  EXPECT_EQ(rendered.height, pages[0].height.value_or(0));
  auto pdf = client_->Get(("/api/v1/records/" + std::to_string(texts[0].id) + "/media").c_str());
  ASSERT_TRUE(pdf);
  EXPECT_EQ(pdf->status, 200);
  EXPECT_EQ(pdf->get_header_value("Content-Type"), "application/pdf");
  EXPECT_EQ(pdf->body.substr(0, 5), "%PDF-");
}

// "Find similar": the records nearest a record's own vector, best first, itself left out, with
// the inner products the catalog's vectors give; a kind filter; a record without a vector says so.
TEST_F(RecordsApiTest, SimilarRecordsAreTheNearestByTheRecordsOwnVector) {
  for (std::uint32_t i = 0; i < 5; ++i)
    testing::write_file(archive() / ("photo" + std::to_string(i) + ".png"), encode_png(testing::photo_like(96, 64, 11 + i)));
  testing::write_file(archive() / "notes.txt", "A harbour at night.\n\nThe lighthouse keeper's log.\n");
  ingest({"--ocr", "off"});
  const std::vector<RecordRow> images = records(RecordKind::image);
  ASSERT_EQ(images.size(), 5u);
  std::map<std::int64_t, std::vector<float>> vectors;
  std::int64_t unembedded = 0;
  {
    Catalog catalog(db_);
    const std::int64_t model = catalog.embeddings().models().at(0).id;
    RecordFilter all;
    all.limit = 1000;
    for (const RecordRow& r : catalog.records(all)) vectors[r.id] = *catalog.embeddings().get(r.id, model);
    // A record added after the embedding pass has no vector yet.
    SourceRow src;
    src.archive_id = images[0].archive_id;
    src.uri = (archive() / "late.txt").string();
    src.sha256 = "late";
    src.kind = SourceKind::text;
    auto w = catalog.replace_source(src);
    RecordRow late;
    late.kind = RecordKind::text;
    late.text = "Written after the embedding pass.";
    unembedded = w.add_record(late);
    w.commit();
  }
  ASSERT_EQ(vectors.size(), 7u);
  serve();
  const std::int64_t id = images[2].id;
  const json body = get_json("/api/v1/records/" + std::to_string(id) + "/similar?k=10");
  EXPECT_EQ(body["record_id"], id);
  ASSERT_EQ(body["results"].size(), vectors.size() - 1);
  double previous = 2;
  for (const json& hit : body["results"]) {
    const std::int64_t other = hit["id"];
    EXPECT_NE(other, id);
    double dot = 0;
    for (std::size_t d = 0; d < vectors[id].size(); ++d) dot += vectors[id][d] * vectors[other][d];
    EXPECT_NEAR(hit["dense_score"].get<double>(), dot, 1e-4) << other;
    EXPECT_LE(hit["dense_score"].get<double>(), previous + 1e-6);
    previous = hit["dense_score"];
  }
  const json only_images = get_json("/api/v1/records/" + std::to_string(id) + "/similar?kind=image&k=2");
  ASSERT_EQ(only_images["results"].size(), 2u);
  for (const json& hit : only_images["results"]) EXPECT_EQ(hit["kind"], "image");
  // The nearest image is the first image of the unfiltered list.
  for (const json& hit : body["results"])
    if (hit["kind"] == "image") {
      EXPECT_EQ(only_images["results"][0]["id"], hit["id"]);
      break;
    }

  auto none = client_->Get(("/api/v1/records/" + std::to_string(unembedded) + "/similar").c_str());
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 409);
  EXPECT_EQ(json::parse(none->body)["error"]["code"], "no_vector");
  EXPECT_EQ(client_->Get("/api/v1/records/99999/similar")->status, 404);
  EXPECT_EQ(client_->Get(("/api/v1/records/" + std::to_string(id) + "/similar?kind=poem").c_str())->status, 400);
}

}  // namespace
}  // namespace palimpsest
