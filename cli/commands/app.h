#pragma once
// The command-line application: global options and subcommand registration.

namespace palimpsest::cli {

// Exit codes: 0 ok, 1 failure (including "some files failed"), 2 bad usage.
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

int run(int argc, char** argv);

}  // namespace palimpsest::cli
