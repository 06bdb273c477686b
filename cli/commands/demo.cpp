#include "cli/commands/commands.h"
namespace palimpsest::cli {
void register_demo(CLI::App&, const GlobalOptions&, Dispatch&) {}
}  // namespace palimpsest::cli
