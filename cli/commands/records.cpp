// palimpsest records / record ID : what the catalog holds.
#include <cstdio>
#include <iostream>

#include "cli/commands/app.h"
#include "cli/commands/commands.h"
#include "cli/commands/terminal_text.h"
#include "cli/commands/catalog_arguments.h"
#include "cli/commands/record_location.h"
#include "schema/catalog_json.h"
#include "indexer/media/image_codec.h"
#include "indexer/text/timecode.h"
#include "schema/catalog.h"

namespace palimpsest::cli {
namespace {

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
  records->add_option("--kind", list->kind, record_kind_names());
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
          std::cout << json_text(record_json(r)) << "\n";
          continue;
        }
        std::printf("%8lld  %-8s  %-34s  %s\n", static_cast<long long>(r.id),
                    std::string(to_string(r.kind)).c_str(), one_line(record_location(r), 34).c_str(),
                    one_line(r.text.empty() ? r.title : r.text, 60).c_str());
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
      j["thumbnail_type"] = thumb ? nlohmann::json(image_mime_type(*thumb)) : nlohmann::json();
      j["links"] = record_links_json(*r);
      if (*json) {
        std::cout << json_text(j, 2) << "\n";
        return kExitOk;
      }
      std::cout << "record " << r->id << " (" << to_string(r->kind) << ")\n"
                << "  source:    " << shown(r->uri) << "\n";
      if (r->kind != RecordKind::image && r->kind != RecordKind::text && (r->ts_ms > 0 || r->dur_ms)) {
        std::cout << "  time:      " << format_timestamp(r->ts_ms);
        if (r->dur_ms) std::cout << " (+" << *r->dur_ms << " ms)";
        std::cout << "\n";
      }
      if (r->meta.contains("page")) std::cout << "  page:      " << json_text(r->meta["page"]) << "\n";
      if (r->width) std::cout << "  size:      " << *r->width << "x" << r->height.value_or(0) << "\n";
      std::cout << "  title:     " << shown(r->title) << "\n";
      if (!r->text.empty()) std::cout << "  text:      " << one_line(r->text, 400) << "\n";
      for (const auto& [name, value] : j["links"].items())
        std::cout << "  " << name << ": " << std::string(name.size() < 9 ? 9 - name.size() : 0, ' ') << json_text(value) << "\n";
      std::cout << "  meta:      " << json_text(r->meta) << "\n"
                << "  thumbnail: "
                << (thumb ? std::to_string(thumb->size()) + " bytes " + std::string(image_mime_type(*thumb)) : "none")
                << "\n";
      return kExitOk;
    };
  });
}

}  // namespace palimpsest::cli
