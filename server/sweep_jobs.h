#pragma once
// Sweep jobs (POST /api/v1/sweeps, kind "sweep" in the jobs table): a planned film rendered under
// every combination of a few parameters' values (synth/sweep.h), run by the render workers like
// render jobs and, like them, resumed after a restart. Internal to server/.

#include <cstdint>
#include <filesystem>
#include <functional>

#include "schema/catalog.h"

namespace palimpsest::server {

// Where a sweep job writes: <catalog folder>/sweeps/job-<id>/.
std::filesystem::path sweep_job_dir(const Catalog& catalog, std::int64_t job_id);

// Runs the sweep job `job` (its options: {"spec": sweep_spec_json, "denoiser"}) with the CLIP model
// at `clip_model` (the server's; empty: the default); `progress` gets the fraction of frames done;
// FilmCancelled when `cancelled` returns true.
void run_sweep_job(Catalog& catalog, const JobRow& job, const std::filesystem::path& clip_model,
                   const std::function<void(double)>& progress, const std::function<bool()>& cancelled);

}  // namespace palimpsest::server
