#include "cli/commands/commands.h"
namespace palimpsest::cli {
void register_records(CLI::App&, const GlobalOptions&, Dispatch&) {}
}  // namespace palimpsest::cli
