// Keeps the synth target non-empty until its first real source lands. Delete it then.
namespace palimpsest::synth_stage {}
