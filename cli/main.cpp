// The palimpsest executable: parses the command line and dispatches to cli/commands.
#include "cli/commands/app.h"

int main(int argc, char** argv) { return palimpsest::cli::run(argc, argv); }
