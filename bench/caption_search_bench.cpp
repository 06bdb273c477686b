// Caption search quality on the demo archive: for every captioned still, search its caption and
// check whether the still itself is among the top 5 results, with dense search, hybrid search,
// and hybrid search restricted to images (what `palimpsest search "caption" -k 5 [--mode dense]
// [--kind image]` returns). The stills have no text of their own, so lexical matches can only
// bring texts and subtitles into the list. Reported for all stills and
// for the stills whose scene holds a colour x shape x background combination the model never saw
// in training (held out: data/models/palimpsest-tiny/training_report.json). "Lenient" also counts
// another still with exactly the same caption (two photographs of the same thing), as the model
// card's gallery scores do.
//
//   OMP_WAIT_POLICY=passive build-a/bench/caption_search_bench [--images 48] [--seed 1]
//       [--out /tmp/caption-bench] [--k 5]
//
// Builds the archive exactly as `palimpsest demo --images N --seed S` does (stills, video,
// subtitles, notes), ingests and embeds it with the default model (palimpsest-tiny), and searches
// through open_dense_index + Searcher, as the CLI does.
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "indexer/clip/clip_encoder.h"
#include "indexer/clip/model_location.h"
#include "indexer/demo/demo_archive.h"
#include "indexer/ingest/embedding_pass.h"
#include "indexer/ingest/ingester.h"
#include "retrieval/search/dense_index.h"
#include "retrieval/search/searcher.h"

using namespace palimpsest;

namespace {

struct Tally {
  int queries = 0, strict = 0, lenient = 0;
  void add(bool own, bool same_caption) {
    ++queries;
    strict += own;
    lenient += own || same_caption;
  }
  std::string text() const {
    char b[128];
    std::snprintf(b, sizeof b, "%d/%d (%.2f) | %d/%d (%.2f)", strict, queries,
                  queries ? static_cast<double>(strict) / queries : 0.0, lenient, queries,
                  queries ? static_cast<double>(lenient) / queries : 0.0);
    return b;
  }
};

}  // namespace

int main(int argc, char** argv) {
  int images = 48, k = 5;
  std::uint64_t seed = 1;
  std::filesystem::path out = "/tmp/caption-search-bench";
  std::string command = argv[0];
  for (int i = 1; i < argc; ++i) command += std::string(" ") + argv[i];
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--images") images = std::stoi(value);
    else if (flag == "--seed") seed = std::stoull(value);
    else if (flag == "--out") out = value;
    else if (flag == "--k") k = std::stoi(value);
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  const auto model_dir = default_model_dir();
  if (!model_dir) {
    std::fprintf(stderr, "no embedding model found\n");
    return 1;
  }
  std::printf("command: %s\n", command.c_str());

  // Held-out combinations, from the model's training report.
  std::set<std::tuple<std::string, std::string, std::string>> held_out;
  {
    std::ifstream f(*model_dir / "training_report.json");
    if (f) {
      const nlohmann::json report = nlohmann::json::parse(f);
      for (const auto& c : report.value("held_out_combinations", nlohmann::json::array()))
        held_out.insert({c.at("colour").get<std::string>(), c.at("shape").get<std::string>(),
                         c.at("background").get<std::string>()});
    }
  }

  std::filesystem::remove_all(out);
  demo::DemoArchiveOptions options;
  options.seed = seed;
  options.image_count = images;
  const demo::DemoArchiveManifest manifest = demo::write_demo_archive(out / "archive", options);
  Catalog catalog(out / "palimpsest.db");
  IngestOptions ingest_options;
  ingest_options.archive = "demo";
  Ingester(catalog, ingest_options).run({out / "archive"});
  auto encoder = ClipEncoder::load(*model_dir);
  const EmbeddingReport embedded = embed_missing_records(catalog, *encoder);
  std::unique_ptr<DenseIndex> index = open_dense_index(catalog, embedded.model_id);
  std::printf("model %s; %lld records embedded; index: %s\n", encoder->info().name.c_str(),
              static_cast<long long>(embedded.embedded),
              dynamic_cast<VectorStoreDenseIndex*>(index.get())
                  ? dynamic_cast<VectorStoreDenseIndex*>(index.get())->store().describe().to_string().c_str()
                  : "exact");

  std::map<std::string, std::int64_t> record_of;  // absolute path -> image record
  RecordFilter filter;
  filter.kind = RecordKind::image;
  filter.limit = 1000;
  for (;;) {
    const auto page = catalog.records(filter);
    for (const RecordRow& r : page) record_of[std::filesystem::weakly_canonical(r.uri).string()] = r.id;
    if (page.empty() || static_cast<int>(page.size()) < filter.limit) break;
    filter.after_id = page.back().id;
  }
  std::map<std::string, std::set<std::int64_t>> records_by_caption;
  for (const demo::DemoImage& image : manifest.images)
    records_by_caption[image.caption].insert(record_of.at(std::filesystem::weakly_canonical(image.path).string()));

  Searcher searcher(catalog, encoder.get(), index.get());
  std::map<std::string, Tally> tallies;  // "mode/subset"
  for (const demo::DemoImage& image : manifest.images) {
    const std::int64_t own = record_of.at(std::filesystem::weakly_canonical(image.path).string());
    bool is_held_out = false;
    for (const demo::ShapeGroup& g : image.scene.groups)
      is_held_out |= held_out.count({std::string(demo::word(g.colour)), std::string(demo::word(g.shape)),
                                     std::string(demo::word(image.scene.background))}) > 0;
    for (const int variant : {0, 1, 2}) {
      const SearchMode mode = variant == 0 ? SearchMode::dense : SearchMode::hybrid;
      SearchRequest request;
      request.text = image.caption;
      request.k = k;
      request.mode = mode;
      if (variant == 2) request.filter.kind = RecordKind::image;
      bool found = false, same_caption = false;
      for (const SearchResult& r : searcher.search(request)) {
        found |= r.record.id == own;
        same_caption |= records_by_caption[image.caption].count(r.record.id) > 0;
      }
      const std::string name = variant == 0 ? "dense" : variant == 1 ? "hybrid" : "hybrid --kind image";
      tallies[name + "/all"].add(found, same_caption);
      if (is_held_out) tallies[name + "/held-out"].add(found, same_caption);
      else tallies[name + "/seen"].add(found, same_caption);
    }
  }
  std::printf("\n| mode | stills | own still in top %d | own or same-caption still in top %d |\n", k, k);
  std::printf("|---|---|---:|---:|\n");
  for (const auto& [name, tally] : tallies) {
    const auto slash = name.find('/');
    std::printf("| %s | %s | %s |\n", name.substr(0, slash).c_str(), name.substr(slash + 1).c_str(),
                tally.text().c_str());
  }
  return 0;
}
