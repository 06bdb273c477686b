// The retrieval stage (manuscripts, schedules, search, planning) is being built; this file keeps
// the library target non-empty until its first real source lands. Delete it then.
namespace palimpsest::retrieval_stage {}
