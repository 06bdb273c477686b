// The viewer's reports, without a server: the credits' CSV and HTML writers (escaping of catalog
// text, frame ranges), the map colours the legend shows, and how a film's render state is judged
// from the catalog's rows.
#include <iomanip>
#include <sstream>

#include <gtest/gtest.h>

#include "server/film_credits.h"
#include "server/record_json.h"
#include "server/render_state.h"
#include "synth/provenance.h"

namespace palimpsest::server {
namespace {

TEST(FrameRanges, ConsecutiveFramesJoin) {
  EXPECT_EQ(ranges_text(frame_ranges({})), "");
  EXPECT_EQ(ranges_text(frame_ranges({4})), "4");
  EXPECT_EQ(ranges_text(frame_ranges({0, 1, 2, 3, 5, 7, 8})), "0-3 5 7-8");
  EXPECT_EQ(ranges_text(frame_ranges({2, 2, 3})), "2-3");  // a repeated frame is one frame
}

FilmCredits hostile_credits() {
  FilmCredits c;
  c.film_id = 3;
  c.title = "<b>Night</b> & day";
  c.fps = 4;
  c.frame_count = 8;
  c.frames_rendered = 8;
  CreditedRecord r;
  r.record_id = 12;
  r.record = RecordRow{};
  r.record->id = 12;
  r.record->kind = RecordKind::image;
  r.record->title = "=HYPERLINK(\"http://x\"),<script>alert(1)</script>";
  r.source = SourceRow{};
  r.source->uri = "/archive/a,b.png";
  r.lines.push_back({12, "keyframe", 0.5, 4, 1.0, {{0, 1}, {4, 5}}});
  r.lines.push_back({12, "heard", 0.25, 2, 0.5, {{6, 7}}});
  c.records.push_back(r);
  CreditedRecord language;
  language.record_id = kLanguageRecord;
  language.lines.push_back({0, "language", 0.1, 8, 2.0, {{0, 7}}});
  c.records.push_back(language);
  return c;
}

TEST(CreditsCsv, QuotesAndDefusesFormulas) {
  const std::string csv = credits_csv(hostile_credits());
  EXPECT_EQ(csv,
            "record_id,kind,title,source,role,share,frames,seconds,frame_ranges\r\n"
            "12,image,\"'=HYPERLINK(\"\"http://x\"\"),<script>alert(1)</script>\",\"/archive/a,b.png\",keyframe,0.500000,4,1.000,0-1 4-5\r\n"
            "12,image,\"'=HYPERLINK(\"\"http://x\"\"),<script>alert(1)</script>\",\"/archive/a,b.png\",heard,0.250000,2,0.500,6-7\r\n"
            "0,language,language guidance (pixels drawn by the text),,language,0.100000,8,2.000,0-7\r\n");
}

TEST(CreditsHtml, EscapesCatalogTextAndLinksFrames) {
  const std::string html = credits_html(hostile_credits());
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_EQ(html.find("<b>Night"), std::string::npos);
  EXPECT_NE(html.find("&lt;b&gt;Night&lt;/b&gt; &amp; day"), std::string::npos);
  EXPECT_NE(html.find("=HYPERLINK(&quot;http://x&quot;),&lt;script&gt;"), std::string::npos);
  EXPECT_NE(html.find("<a href=\"/#/film/3/4\">4&ndash;5</a> (1.0&ndash;1.5 s)"), std::string::npos);
  EXPECT_NE(html.find("<a href=\"/#/record/12\">"), std::string::npos);
  // Language has no record page.
  EXPECT_EQ(html.find("/#/record/0\""), std::string::npos);
}

// The legend's colours are the map's: synth's record_colour, as #rrggbb; language is white.
TEST(MapColour, IsTheColourTheMapDrawsARecordIn) {
  EXPECT_EQ(record_colour_hex(kLanguageRecord), "#ffffff");
  for (std::int64_t id : {1, 2, 17, 123456}) {
    std::uint8_t rgb[3];
    record_colour(id, rgb);
    std::ostringstream expected;
    expected << '#' << std::hex << std::setfill('0');
    for (std::uint8_t c : rgb) expected << std::setw(2) << static_cast<int>(c);
    EXPECT_EQ(record_colour_hex(id), expected.str()) << id;
  }
  EXPECT_NE(record_colour_hex(1), record_colour_hex(2));
  nlohmann::json guidance = {{"record_id", 4}, {"role", "guidance"}};
  add_map_colour(guidance);
  EXPECT_TRUE(guidance["colour"].is_null());
  nlohmann::json borrowed = {{"record_id", 4}, {"role", "borrowed"}};
  add_map_colour(borrowed);
  EXPECT_EQ(borrowed["colour"], record_colour_hex(4));
}

TEST(CatalogTime, ReadsSqliteTimestamps) {
  EXPECT_DOUBLE_EQ(*catalog_time_s("2026-12-03T13:44:35.250Z"), 1796305475.25);
  EXPECT_FALSE(catalog_time_s(""));
  EXPECT_FALSE(catalog_time_s("2026-12-03 13:44:35"));  // no zone: not the catalog's spelling
  EXPECT_FALSE(catalog_time_s("yesterday"));
}

class RenderStateTest : public ::testing::Test {
 protected:
  std::string state(const FilmRow& f, const std::optional<JobRow>& job = std::nullopt) {
    const nlohmann::json j = render_state_json(f, job, {20, 120}, now_);
    note_ = j["note"].is_string() ? j["note"].get<std::string>() : "";
    return j["state"];
  }
  FilmRow film(FilmStatus status, const std::string& updated_at) {
    FilmRow f;
    f.id = 7;
    f.status = status;
    f.created_at = "2026-12-03T10:00:00.000Z";
    f.updated_at = updated_at;
    return f;
  }
  JobRow job(JobState s, const std::string& heartbeat) {
    JobRow j;
    j.id = 5;
    j.film_id = 7;
    j.state = s;
    j.heartbeat_at = heartbeat;
    return j;
  }
  const double now_ = *catalog_time_s("2026-12-03T12:00:00.000Z");
  std::string note_;
};

TEST_F(RenderStateTest, FinishedFilmsKeepTheirStatus) {
  EXPECT_EQ(state(film(FilmStatus::done, "2026-12-03T09:00:00.000Z")), "done");
  EXPECT_EQ(note_, "");
  FilmRow failed = film(FilmStatus::failed, "2026-12-03T09:00:00.000Z");
  failed.error = "disk full";
  EXPECT_EQ(state(failed), "failed");
  EXPECT_EQ(note_, "disk full");
  EXPECT_EQ(state(film(FilmStatus::planned, "")), "planned");
}

TEST_F(RenderStateTest, AJobIsLiveWhileItsHeartbeatIs) {
  const FilmRow f = film(FilmStatus::rendering, "2026-12-03T11:59:59.000Z");
  EXPECT_EQ(state(film(FilmStatus::planned, ""), job(JobState::queued, "")), "queued");
  EXPECT_EQ(state(f, job(JobState::running, "2026-12-03T11:59:50.000Z")), "rendering");
  // Its server died 30 s ago: the film's own progress does not make it live.
  EXPECT_EQ(state(f, job(JobState::running, "2026-12-03T11:59:30.000Z")), "stopped");
  EXPECT_NE(note_.find("render job 5"), std::string::npos) << note_;
}

TEST_F(RenderStateTest, ACliRenderIsLiveWhileItMakesProgress) {
  EXPECT_EQ(state(film(FilmStatus::rendering, "2026-12-03T11:59:00.000Z")), "rendering");
  EXPECT_EQ(state(film(FilmStatus::rendering, "2026-12-03T11:57:00.000Z")), "stopped");
  EXPECT_NE(note_.find("no progress since 2026-12-03T11:57:00.000Z"), std::string::npos) << note_;
  EXPECT_NE(note_.find("palimpsest make --film 7"), std::string::npos) << note_;
  // A cancelled job leaves the same question to the film's progress.
  EXPECT_EQ(state(film(FilmStatus::rendering, "2026-12-03T11:50:00.000Z"), job(JobState::cancelled, "")), "stopped");
  // A film never updated is judged by when it was made; an unreadable stamp is old.
  EXPECT_EQ(state(film(FilmStatus::rendering, "")), "stopped");
  EXPECT_EQ(state(film(FilmStatus::rendering, "garbage")), "stopped");
}

}  // namespace
}  // namespace palimpsest::server
