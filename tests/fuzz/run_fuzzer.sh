#!/bin/sh
# Runs one fuzz target for SECONDS from its seed corpus (ctest label `fuzz`):
#   run_fuzzer.sh FUZZER SEEDS WORK SECONDS
# New inputs go to WORK/corpus (the seeds in the source tree are only read); a crash, a leak, a
# timeout (10 s for one input) or more than 2 GB of memory fails the test and leaves the input in
# WORK/artifacts, to be turned into a regular test.
set -eu
fuzzer=$1 seeds=$2 work=$3 seconds=$4
mkdir -p "$work/corpus" "$work/artifacts"
exec "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -print_final_stats=1 -artifact_prefix="$work/artifacts/" "$work/corpus" "$seeds"
