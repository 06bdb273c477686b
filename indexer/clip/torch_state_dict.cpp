#include "indexer/clip/torch_state_dict.h"

#include <caffe2/serialize/inline_container.h>

#include <bit>
#include <cstring>
#include <set>
#include <system_error>
#include <unordered_map>

#include "indexer/clip/clip_error.h"
#include "indexer/clip/safetensors.h"  // half_to_float, bfloat16_to_float

namespace palimpsest {
namespace fs = std::filesystem;
static_assert(std::endian::native == std::endian::little,
              "PyTorch storages are little-endian; big-endian hosts need byte swapping");

namespace {

// ---------------------------------------------------------------------------------------------
// The values a state-dict pickle builds. Containers are shared (the memo refers to them).

struct Value;
using ValuePtr = std::shared_ptr<Value>;

enum class Kind { None, Bool, Int, Float, String, Tuple, List, Dict, Global, Storage, Tensor, Opaque };

struct Value {
  Kind kind = Kind::None;
  std::int64_t i = 0;
  double f = 0;
  std::string s;  // String; Global and Opaque: "module.name"
  std::vector<ValuePtr> items;                           // Tuple, List
  std::vector<std::pair<ValuePtr, ValuePtr>> entries;    // Dict
  TorchArchiveTensor tensor;  // Storage: dtype, storage_key, storage_numel; Tensor: all
};

ValuePtr make(Kind kind) {
  auto v = std::make_shared<Value>();
  v->kind = kind;
  return v;
}

struct StorageType {
  const char* dtype;
  int itemsize;
};

// torch.<Name>Storage -> dtype.
const std::unordered_map<std::string, StorageType>& storage_types() {
  static const std::unordered_map<std::string, StorageType> types = {
      {"torch.FloatStorage", {"F32", 4}},   {"torch.HalfStorage", {"F16", 2}},
      {"torch.BFloat16Storage", {"BF16", 2}}, {"torch.DoubleStorage", {"F64", 8}},
      {"torch.LongStorage", {"I64", 8}},    {"torch.IntStorage", {"I32", 4}},
      {"torch.ShortStorage", {"I16", 2}},   {"torch.CharStorage", {"I8", 1}},
      {"torch.ByteStorage", {"U8", 1}},     {"torch.BoolStorage", {"BOOL", 1}},
      {"torch.ComplexFloatStorage", {"C64", 8}}, {"torch.ComplexDoubleStorage", {"C128", 16}}};
  return types;
}

int itemsize(const std::string& dtype) {
  for (const auto& [name, type] : storage_types())
    if (dtype == type.dtype) return type.itemsize;
  return 0;
}

// The callables a state dict's pickle uses; REDUCE of anything else yields an opaque value that
// is never called (and is reported when no tensors come out).
const std::set<std::string>& known_callables() {
  static const std::set<std::string> names = {
      "collections.OrderedDict",          "torch._utils._rebuild_tensor_v2",
      "torch._utils._rebuild_tensor",     "torch._utils._rebuild_parameter",
      "torch._utils._rebuild_parameter_with_state", "torch.jit._pickle.restore_type_tag"};
  return names;
}

class PickleMachine {
 public:
  PickleMachine(const fs::path& path, const char* data, std::size_t size)
      : path_(path), data_(data), size_(size) {}

  ValuePtr run() {
    while (true) {
      const std::size_t at = pos_;
      const auto op = static_cast<unsigned char>(byte());
      if (op == '.') break;  // STOP
      step(op, at);
    }
    if (stack_.size() != 1) fail("malformed pickle: " + std::to_string(stack_.size()) + " values left at the end");
    return stack_.back();
  }

  const std::set<std::string>& unknown_callables() const { return unknown_; }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw ClipModelError(path_, "data.pkl: " + what);
  }

  char byte() {
    if (pos_ >= size_) fail("the pickle ends before its STOP opcode");
    return data_[pos_++];
  }
  std::string bytes(std::uint64_t n) {
    if (n > size_ - pos_) fail("the pickle ends inside a " + std::to_string(n) + "-byte value");
    std::string s(data_ + pos_, static_cast<std::size_t>(n));
    pos_ += static_cast<std::size_t>(n);
    return s;
  }
  std::uint64_t le(int n) {
    const std::string b = bytes(static_cast<std::uint64_t>(n));
    std::uint64_t v = 0;
    for (int k = n - 1; k >= 0; --k) v = (v << 8) | static_cast<unsigned char>(b[static_cast<std::size_t>(k)]);
    return v;
  }
  std::string line() {
    const std::size_t start = pos_;
    while (pos_ < size_ && data_[pos_] != '\n') ++pos_;
    if (pos_ >= size_) fail("the pickle ends inside a GLOBAL name");
    std::string s(data_ + start, pos_ - start);
    ++pos_;
    return s;
  }

  ValuePtr pop() {
    if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) {
      fail("malformed pickle: pop from an empty stack");
    }
    ValuePtr v = stack_.back();
    stack_.pop_back();
    return v;
  }
  ValuePtr& top() {
    if (stack_.empty()) fail("malformed pickle: empty stack");
    return stack_.back();
  }
  std::vector<ValuePtr> pop_to_mark() {
    if (marks_.empty()) fail("malformed pickle: no MARK");
    const std::size_t mark = marks_.back();
    marks_.pop_back();
    std::vector<ValuePtr> items(stack_.begin() + static_cast<std::ptrdiff_t>(mark), stack_.end());
    stack_.resize(mark);
    return items;
  }
  void push(ValuePtr v) { stack_.push_back(std::move(v)); }
  void push_int(std::int64_t i) {
    auto v = make(Kind::Int);
    v->i = i;
    push(v);
  }
  void push_string(std::string s) {
    auto v = make(Kind::String);
    v->s = std::move(s);
    push(v);
  }
  void memo_put(std::uint64_t index) {
    if (index > 100'000'000) fail("memo index out of range");
    memo_[index] = top();
  }
  void memo_get(std::uint64_t index) {
    const auto it = memo_.find(index);
    if (it == memo_.end()) fail("memo entry " + std::to_string(index) + " used before it is set");
    push(it->second);
  }
  void push_global(const std::string& module, const std::string& name) {
    auto v = make(Kind::Global);
    v->s = module + "." + name;
    if (!storage_types().count(v->s) && !known_callables().count(v->s)) unknown_.insert(v->s);
    push(v);
  }
  void set_items(const ValuePtr& dict, const std::vector<ValuePtr>& items) {
    if (items.size() % 2 != 0) fail("malformed pickle: SETITEMS with an odd number of values");
    if (dict->kind == Kind::Opaque) return;
    if (dict->kind != Kind::Dict) fail("malformed pickle: SETITEM(S) on a value that is not a dict");
    for (std::size_t k = 0; k < items.size(); k += 2) dict->entries.emplace_back(items[k], items[k + 1]);
  }
  void append_items(const ValuePtr& list, const std::vector<ValuePtr>& items) {
    if (list->kind == Kind::Opaque) return;
    if (list->kind != Kind::List) fail("malformed pickle: APPEND(S) on a value that is not a list");
    list->items.insert(list->items.end(), items.begin(), items.end());
  }

  static std::vector<std::int64_t> ints(const ValuePtr& v, bool* ok) {
    std::vector<std::int64_t> out;
    if (v->kind != Kind::Tuple && v->kind != Kind::List) {
      *ok = false;
      return out;
    }
    for (const auto& item : v->items) {
      if (item->kind != Kind::Int) *ok = false;
      out.push_back(item->i);
    }
    return out;
  }

  ValuePtr rebuild_tensor(const std::vector<ValuePtr>& args) {
    if (args.size() < 4 || args[0]->kind != Kind::Storage || args[1]->kind != Kind::Int) {
      fail("_rebuild_tensor_v2 called with unexpected arguments");
    }
    bool ok = true;
    auto t = make(Kind::Tensor);
    t->tensor = args[0]->tensor;
    t->tensor.storage_offset = args[1]->i;
    t->tensor.shape = ints(args[2], &ok);
    t->tensor.strides = ints(args[3], &ok);
    if (!ok || t->tensor.shape.size() != t->tensor.strides.size() || t->tensor.storage_offset < 0) {
      fail("_rebuild_tensor_v2 called with a malformed size or stride");
    }
    std::int64_t last = t->tensor.storage_offset;
    bool empty = false;
    for (std::size_t d = 0; d < t->tensor.shape.size(); ++d) {
      if (t->tensor.shape[d] < 0 || t->tensor.strides[d] < 0) fail("negative tensor size or stride");
      if (t->tensor.shape[d] == 0) empty = true;
      else last += (t->tensor.shape[d] - 1) * t->tensor.strides[d];
    }
    if (!empty && last >= t->tensor.storage_numel) {
      fail("a tensor reaches element " + std::to_string(last) + " of a storage of " +
           std::to_string(t->tensor.storage_numel));
    }
    return t;
  }

  ValuePtr reduce(const ValuePtr& callable, const ValuePtr& args) {
    if (callable->kind != Kind::Global) return make(Kind::Opaque);
    const std::string& name = callable->s;
    if (!known_callables().count(name)) {
      auto v = make(Kind::Opaque);
      v->s = name;
      return v;
    }
    if (args->kind != Kind::Tuple) fail("REDUCE of " + name + " without an argument tuple");
    const auto& a = args->items;
    if (name == "collections.OrderedDict") {
      auto dict = make(Kind::Dict);
      if (!a.empty() && (a[0]->kind == Kind::List || a[0]->kind == Kind::Tuple)) {
        for (const auto& pair : a[0]->items) {
          if (pair->kind == Kind::Tuple && pair->items.size() == 2) {
            dict->entries.emplace_back(pair->items[0], pair->items[1]);
          }
        }
      }
      return dict;
    }
    if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor") {
      return rebuild_tensor(a);
    }
    // _rebuild_parameter(data, requires_grad, hooks[, state]) and restore_type_tag(value, type).
    if (a.empty()) fail(name + " called without arguments");
    return a[0];
  }

  ValuePtr persistent_load(const ValuePtr& pid) {
    // ('storage', torch.<Type>Storage, key, location, numel)
    if (pid->kind != Kind::Tuple || pid->items.size() < 5 || pid->items[0]->kind != Kind::String ||
        pid->items[0]->s != "storage" || pid->items[1]->kind != Kind::Global ||
        pid->items[2]->kind != Kind::String || pid->items[4]->kind != Kind::Int) {
      fail("unsupported persistent id (not a tensor storage)");
    }
    const auto type = storage_types().find(pid->items[1]->s);
    if (type == storage_types().end()) fail("unknown storage type " + pid->items[1]->s);
    auto v = make(Kind::Storage);
    v->tensor.dtype = type->second.dtype;
    v->tensor.storage_key = pid->items[2]->s;
    v->tensor.storage_numel = pid->items[4]->i;
    if (v->tensor.storage_numel < 0) fail("negative storage size");
    return v;
  }

  void step(unsigned char op, std::size_t at) {
    switch (op) {
      case 0x80: byte(); break;                   // PROTO
      case 0x95: le(8); break;                    // FRAME (a length hint)
      case '(': marks_.push_back(stack_.size()); break;  // MARK
      case '}': push(make(Kind::Dict)); break;    // EMPTY_DICT
      case ']': push(make(Kind::List)); break;    // EMPTY_LIST
      case ')': push(make(Kind::Tuple)); break;   // EMPTY_TUPLE
      case 'N': push(make(Kind::None)); break;
      case 0x88: case 0x89: {                     // NEWTRUE, NEWFALSE
        auto v = make(Kind::Bool);
        v->i = op == 0x88;
        push(v);
      } break;
      case 'K': push_int(static_cast<unsigned char>(byte())); break;             // BININT1
      case 'M': push_int(static_cast<std::int64_t>(le(2))); break;              // BININT2
      case 'J': push_int(static_cast<std::int32_t>(static_cast<std::uint32_t>(le(4)))); break;  // BININT
      case 0x8a: {                                // LONG1
        const int n = static_cast<unsigned char>(byte());
        if (n > 8) fail("integer wider than 64 bits");
        std::uint64_t v = n ? le(n) : 0;
        if (n > 0 && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~std::uint64_t{0} << (8 * n);  // sign
        push_int(static_cast<std::int64_t>(v));
      } break;
      case 'G': {                                 // BINFLOAT, big-endian
        const std::string b = bytes(8);
        std::uint64_t v = 0;
        for (char c : b) v = (v << 8) | static_cast<unsigned char>(c);
        auto f = make(Kind::Float);
        f->f = std::bit_cast<double>(v);
        push(f);
      } break;
      case 'X': push_string(bytes(le(4))); break;                     // BINUNICODE
      case 0x8c: push_string(bytes(static_cast<unsigned char>(byte()))); break;  // SHORT_BINUNICODE
      case 0x8d: push_string(bytes(le(8))); break;                    // BINUNICODE8
      case 'T': push_string(bytes(le(4))); break;                     // BINSTRING
      case 'U': push_string(bytes(static_cast<unsigned char>(byte()))); break;  // SHORT_BINSTRING
      case 'B': push_string(bytes(le(4))); break;                     // BINBYTES
      case 'C': push_string(bytes(static_cast<unsigned char>(byte()))); break;  // SHORT_BINBYTES
      case 0x8e: push_string(bytes(le(8))); break;                    // BINBYTES8
      case 'c': {                                 // GLOBAL
        const std::string module = line();
        push_global(module, line());
      } break;
      case 0x93: {                                // STACK_GLOBAL
        const ValuePtr name = pop();
        const ValuePtr module = pop();
        if (name->kind != Kind::String || module->kind != Kind::String) fail("malformed STACK_GLOBAL");
        push_global(module->s, name->s);
      } break;
      case 'q': memo_put(static_cast<unsigned char>(byte())); break;  // BINPUT
      case 'r': memo_put(le(4)); break;                                // LONG_BINPUT
      case 0x94: memo_put(memo_.size()); break;                        // MEMOIZE
      case 'h': memo_get(static_cast<unsigned char>(byte())); break;  // BINGET
      case 'j': memo_get(le(4)); break;                                // LONG_BINGET
      case 't': {                                 // TUPLE
        auto v = make(Kind::Tuple);
        v->items = pop_to_mark();
        push(v);
      } break;
      case 0x85: case 0x86: case 0x87: {          // TUPLE1..3
        auto v = make(Kind::Tuple);
        v->items.resize(op - 0x84);
        for (auto it = v->items.rbegin(); it != v->items.rend(); ++it) *it = pop();
        push(v);
      } break;
      case 'l': {                                 // LIST
        auto v = make(Kind::List);
        v->items = pop_to_mark();
        push(v);
      } break;
      case 'd': {                                 // DICT
        auto v = make(Kind::Dict);
        set_items(v, pop_to_mark());
        push(v);
      } break;
      case 'a': {                                 // APPEND
        ValuePtr item = pop();
        append_items(top(), {item});
      } break;
      case 'e': {                                 // APPENDS
        auto items = pop_to_mark();
        append_items(top(), items);
      } break;
      case 's': {                                 // SETITEM
        ValuePtr value = pop();
        ValuePtr key = pop();
        set_items(top(), {key, value});
      } break;
      case 'u': {                                 // SETITEMS
        auto items = pop_to_mark();
        set_items(top(), items);
      } break;
      case 'R': {                                 // REDUCE
        ValuePtr args = pop();
        ValuePtr callable = pop();
        push(reduce(callable, args));
      } break;
      case 'b': pop(); top(); break;              // BUILD: the state (e.g. _metadata) is not needed
      case 0x81: {                                // NEWOBJ: cls.__new__(cls, *args), never called
        pop();
        const ValuePtr cls = pop();
        auto v = make(Kind::Opaque);
        v->s = cls->s;
        push(v);
      } break;
      case 'Q': push(persistent_load(pop())); break;  // BINPERSID
      default: {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", op);
        fail(std::string("unsupported pickle opcode ") + hex + " at byte " + std::to_string(at) +
             " (not a state dict written by torch.save)");
      }
    }
  }

  fs::path path_;
  const char* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
  std::vector<ValuePtr> stack_;
  std::vector<std::size_t> marks_;
  std::unordered_map<std::uint64_t, ValuePtr> memo_;
  std::set<std::string> unknown_;
};

// Tensors of a dict with string keys; nested "state_dict" / "model" / "module" dicts when the
// top level has none.
void collect(const ValuePtr& value, std::map<std::string, TorchArchiveTensor>& out, int depth) {
  if (value->kind != Kind::Dict || depth > 2) return;
  for (const auto& [key, item] : value->entries) {
    if (key->kind == Kind::String && item->kind == Kind::Tensor) out[key->s] = item->tensor;
  }
  if (!out.empty()) return;
  for (const char* nested : {"state_dict", "model", "module"}) {
    for (const auto& [key, item] : value->entries) {
      if (key->kind == Kind::String && key->s == nested) collect(item, out, depth + 1);
      if (!out.empty()) return;
    }
  }
}

}  // namespace

std::int64_t TorchArchiveTensor::numel() const {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

struct TorchStateDictReader::Archive {
  std::unique_ptr<caffe2::serialize::PyTorchStreamReader> reader;
};

TorchStateDictReader::TorchStateDictReader(const fs::path& path)
    : path_(path), archive_(std::make_unique<Archive>()) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw ClipModelError(path, "file not found");
  std::string pickle;
  try {
    archive_->reader = std::make_unique<caffe2::serialize::PyTorchStreamReader>(path.string());
    if (!archive_->reader->hasRecord("data.pkl")) {
      throw ClipModelError(path, "a zip archive without data.pkl: not a file written by torch.save");
    }
    auto [data, size] = archive_->reader->getRecord("data.pkl");
    pickle.assign(static_cast<const char*>(data.get()), size);
  } catch (const ClipError&) {
    throw;
  } catch (const std::exception& e) {
    throw ClipModelError(path, "not a PyTorch archive (" + error_first_line(e) + ")");
  }
  PickleMachine machine(path, pickle.data(), pickle.size());
  const ValuePtr root = machine.run();
  collect(root, tensors_, 0);
  if (tensors_.empty()) {
    std::string why = "no tensors in a dict (not a state dict)";
    if (!machine.unknown_callables().empty()) {
      why += "; it is built by " + *machine.unknown_callables().begin() +
             ", which is not read (a pickled Python object rather than a state dict?)";
    }
    throw ClipModelError(path, why);
  }
  for (const auto& [name, t] : tensors_) {
    if (!archive_->reader->hasRecord("data/" + t.storage_key)) {
      throw ClipModelError(path, "tensor '" + name + "': storage record data/" + t.storage_key +
                                     " is missing from the archive");
    }
  }
}

TorchStateDictReader::~TorchStateDictReader() = default;

void TorchStateDictReader::read_f32(const std::string& name, float* out) const {
  const auto it = tensors_.find(name);
  if (it == tensors_.end()) throw ClipModelError(path_, "no tensor named '" + name + "'");
  const TorchArchiveTensor& t = it->second;
  if (t.dtype != "F32" && t.dtype != "F16" && t.dtype != "BF16" && t.dtype != "F64") {
    throw ClipModelError(path_, "tensor '" + name + "' has dtype " + t.dtype +
                                    ", not a floating-point type");
  }
  const int size = itemsize(t.dtype);
  at::DataPtr data;
  std::size_t bytes = 0;
  try {
    std::tie(data, bytes) = archive_->reader->getRecord("data/" + t.storage_key);
  } catch (const std::exception& e) {
    throw ClipModelError(path_, "tensor '" + name + "': cannot read its storage (" + error_first_line(e) + ")");
  }
  if (bytes < static_cast<std::size_t>(t.storage_numel) * static_cast<std::size_t>(size)) {
    throw ClipModelError(path_, "tensor '" + name + "': storage data/" + t.storage_key + " holds " +
                                    std::to_string(bytes) + " bytes, expected " +
                                    std::to_string(t.storage_numel * size));
  }
  const auto* base = static_cast<const unsigned char*>(data.get());
  // Converts `count` elements `step` apart, starting at element `first` of the storage.
  auto convert = [&](std::int64_t first, std::int64_t count, std::int64_t step, float* dst) {
    const unsigned char* p = base + first * size;
    const std::int64_t stride = step * size;
    if (t.dtype == "F32") {
      for (std::int64_t k = 0; k < count; ++k, p += stride) std::memcpy(dst + k, p, 4);
    } else if (t.dtype == "F64") {
      for (std::int64_t k = 0; k < count; ++k, p += stride) {
        double d;
        std::memcpy(&d, p, 8);
        dst[k] = static_cast<float>(d);
      }
    } else {
      const bool half = t.dtype == "F16";
      for (std::int64_t k = 0; k < count; ++k, p += stride) {
        std::uint16_t h;
        std::memcpy(&h, p, 2);
        dst[k] = half ? half_to_float(h) : bfloat16_to_float(h);
      }
    }
  };
  // Row-major walk over the (possibly strided) view, one innermost row at a time.
  const std::size_t rank = t.shape.size();
  const std::int64_t n = t.numel();
  if (n == 0) return;
  if (rank == 0) {
    convert(t.storage_offset, 1, 1, out);
    return;
  }
  const std::int64_t row = t.shape[rank - 1];
  const std::int64_t step = t.strides[rank - 1];
  std::vector<std::int64_t> index(rank - 1, 0);
  for (std::int64_t done = 0; done < n; done += row) {
    std::int64_t first = t.storage_offset;
    for (std::size_t d = 0; d + 1 < rank; ++d) first += index[d] * t.strides[d];
    convert(first, row, step, out + done);
    for (std::size_t d = rank - 1; d-- > 0;) {
      if (++index[d] < t.shape[d]) break;
      index[d] = 0;
    }
  }
}

std::vector<float> TorchStateDictReader::read_f32(const std::string& name) const {
  const auto it = tensors_.find(name);
  if (it == tensors_.end()) throw ClipModelError(path_, "no tensor named '" + name + "'");
  std::vector<float> out(static_cast<std::size_t>(it->second.numel()));
  read_f32(name, out.data());
  return out;
}

}  // namespace palimpsest
