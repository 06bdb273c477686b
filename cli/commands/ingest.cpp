#include "cli/commands/commands.h"
namespace palimpsest::cli {
void register_ingest(CLI::App&, const GlobalOptions&, Dispatch&) {}
}  // namespace palimpsest::cli
