#pragma once
// Reads the tensors of a torch.save'd state dict (PyTorch's zip format, written by torch.save
// since 1.6 and by libtorch's torch::pickle_save: `<archive>/data.pkl`, a pickle, and
// `<archive>/data/<key>`, the bytes of each storage) without running the pickle.
//
// Why not libtorch's own unpickler (torch::pickle_load): in libtorch 1.13 (Debian's) it turns
// collections.OrderedDict into None, and every state dict Python writes is an OrderedDict, so
// torch::pickle_load fails on them ("Expected GenericDict but got None"). This is a restricted
// interpreter in the spirit of torch.load(weights_only=True): it knows the pickle opcodes of
// protocols 2 to 5 that hold data, and only the callables a state dict uses
// (collections.OrderedDict, torch._utils._rebuild_tensor_v2 / _rebuild_parameter,
// torch.<Type>Storage, torch.jit._pickle.restore_type_tag). Any other callable is refused with a
// line naming it, so a weights file can never run code. The zip records are read with libtorch's
// reader (caffe2::serialize::PyTorchStreamReader).
//
// The tensors are those of the top-level dict, or of a nested "state_dict" / "model" / "module"
// dict (training checkpoints: {"epoch": ..., "state_dict": {...}, "optimizer": ...}).
// No torch in this header.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace palimpsest {

struct TorchArchiveTensor {
  std::string dtype;                   // "F32", "F16", "BF16", "F64", "I64", "I32", ...
  std::vector<std::int64_t> shape;
  std::vector<std::int64_t> strides;   // in elements
  std::int64_t storage_offset = 0;     // in elements
  std::string storage_key;             // the record is "data/<storage_key>"
  std::int64_t storage_numel = 0;
  std::int64_t numel() const;
};

class TorchStateDictReader {
 public:
  // Opens the archive and interprets data.pkl. Throws ClipModelError naming the file: not a zip
  // archive, no data.pkl, a pickle that calls something else than the state-dict callables, a
  // malformed pickle, a tensor outside its storage, or no tensors at all.
  explicit TorchStateDictReader(const std::filesystem::path& path);
  ~TorchStateDictReader();
  TorchStateDictReader(const TorchStateDictReader&) = delete;
  TorchStateDictReader& operator=(const TorchStateDictReader&) = delete;

  const std::filesystem::path& path() const { return path_; }
  const std::map<std::string, TorchArchiveTensor>& tensors() const { return tensors_; }

  // A tensor converted to float32, row-major (numel() floats into `out`). Floating dtypes only;
  // throws ClipModelError naming the file and tensor otherwise, or when its storage record is
  // missing or short. Thread-compatible (one caller at a time).
  void read_f32(const std::string& name, float* out) const;
  std::vector<float> read_f32(const std::string& name) const;

 private:
  struct Archive;
  std::filesystem::path path_;
  std::unique_ptr<Archive> archive_;
  std::map<std::string, TorchArchiveTensor> tensors_;
};

}  // namespace palimpsest
