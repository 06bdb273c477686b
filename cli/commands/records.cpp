// palimpsest records / record ID : what the catalog holds.
#include <cstdio>
#include <iostream>

#include "cli/commands/app.h"
#include "cli/commands/commands.h"
#include "cli/commands/catalog_arguments.h"
#include "schema/catalog_json.h"
#include "indexer/text/timecode.h"
#include "schema/catalog.h"

namespace palimpsest::cli {
namespace {

std::string excerpt(const std::string& text, std::size_t max_bytes) {
  std::string out;
  for (char c : text) out += (c == '\n' || c == '\t') ? ' ' : c;
  if (out.size() <= max_bytes) return out;
  std::size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;  // whole code points
  return out.substr(0, cut) + "…";
}

}  // namespace

void register_records(CLI::App& app, const GlobalOptions& globals, Dispatch& dispatch) {
  struct ListArgs {
    std::string kind;
    std::string archive;
    std::int64_t after = 0;
    int limit = 50;
    bool json = false;
  };
  auto list = std::make_shared<ListArgs>();
  auto* records = app.add_subcommand("records", "List records (keyset pagination with --after)");
  records->add_option("--kind", list->kind, "image, frame, text or subtitle");
  records->add_option("--archive", list->archive, "Only this archive");
  records->add_option("--after", list->after, "Records with id greater than this");
  records->add_option("-n,--limit", list->limit, "How many")->capture_default_str()->check(CLI::Range(1, 100000));
  records->add_flag("--json", list->json, "JSON lines output");
  records->callback([&globals, &dispatch, list] {
    dispatch.action = [&globals, list]() -> int {
      RecordFilter filter;
      if (!list->kind.empty()) filter.kind = kind_argument(list->kind);
      Catalog catalog = open_existing_catalog(globals.db);
      if (!list->archive.empty()) filter.archive_id = archive_argument(catalog, list->archive);
      filter.after_id = list->after;
      filter.limit = list->limit;
      const auto rows = catalog.records(filter);
      for (const RecordRow& r : rows) {
        if (list->json) {
          std::cout << record_json(r).dump() << "\n";
          continue;
        }
        std::string where = std::filesystem::path(r.uri).filename().string();
        if (r.kind == RecordKind::frame || r.kind == RecordKind::subtitle)
          where += " @ " + format_timestamp(r.ts_ms);
        std::printf("%8lld  %-8s  %-34s  %s\n", static_cast<long long>(r.id),
                    std::string(to_string(r.kind)).c_str(), excerpt(where, 34).c_str(),
                    excerpt(r.text.empty() ? r.title : r.text, 60).c_str());
      }
      if (!list->json && rows.size() == static_cast<std::size_t>(list->limit))
        std::cout << "(more: --after " << rows.back().id << ")\n";
      return kExitOk;
    };
  });

  auto id = std::make_shared<std::int64_t>(0);
  auto json = std::make_shared<bool>(false);
  auto* record = app.add_subcommand("record", "Show one record");
  record->add_option("id", *id, "Record id")->required();
  record->add_flag("--json", *json, "JSON output");
  record->callback([&globals, &dispatch, id, json] {
    dispatch.action = [&globals, id, json]() -> int {
      Catalog catalog = open_existing_catalog(globals.db);
      auto r = catalog.record(*id);
      if (!r) {
        std::cerr << "palimpsest: no record " << *id << "\n";
        return kExitFailure;
      }
      nlohmann::json j = record_json(*r);
      auto thumb = catalog.thumbnail(r->id);
      j["thumbnail_bytes"] = thumb ? static_cast<std::int64_t>(thumb->size()) : 0;
      if (*json) {
        std::cout << j.dump(2) << "\n";
        return kExitOk;
      }
      std::cout << "record " << r->id << " (" << to_string(r->kind) << ")\n"
                << "  source:    " << r->uri << "\n";
      if (r->kind == RecordKind::frame || r->kind == RecordKind::subtitle) {
        std::cout << "  time:      " << format_timestamp(r->ts_ms);
        if (r->dur_ms) std::cout << " (+" << *r->dur_ms << " ms)";
        std::cout << "\n";
      }
      if (r->width) std::cout << "  size:      " << *r->width << "x" << r->height.value_or(0) << "\n";
      std::cout << "  title:     " << r->title << "\n";
      if (!r->text.empty()) std::cout << "  text:      " << excerpt(r->text, 400) << "\n";
      std::cout << "  meta:      " << r->meta.dump() << "\n"
                << "  thumbnail: " << (thumb ? std::to_string(thumb->size()) + " bytes JPEG" : "none") << "\n";
      return kExitOk;
    };
  });
}

}  // namespace palimpsest::cli
