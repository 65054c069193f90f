// safetensors parser. Each check listed at Safetensors::parse is one early throw, in file order, and
// nothing is read before its bounds are known; the Rust crate's error names are given alongside.
#include "engine/checkpoint/safetensors.hpp"

#include <algorithm>
#include <cstring>
#include <set>

#include "engine/checkpoint/atomic_file.hpp"
#include "engine/checkpoint/json.hpp"
#include "engine/error.hpp"

namespace dnntrain::engine {

namespace {

constexpr const char* kNames[] = {"BOOL", "U8",  "I8",  "F8_E5M2", "F8_E4M3", "I16", "U16", "F16",
                                  "BF16", "I32", "U32", "F32",     "F64",     "I64", "U64"};
constexpr size_t kSizes[] = {1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 8, 8, 8};

[[noreturn]] void bad(const std::string& source, const std::string& problem) {
  throw Error(source + ": not a valid safetensors file: " + problem);
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// One entry of the header: {"dtype": "F32", "shape": [..], "data_offsets": [b, e]}.
TensorInfo tensor_info(const std::string& src, const std::string& name, const json::Value& v) {
  const std::string where = "tensor '" + name + "'";
  if (v.type != json::Value::Type::object) bad(src, where + " is not a JSON object");
  const json::Value *dtype = nullptr, *shape = nullptr, *offsets = nullptr;
  for (const auto& [key, member] : v.members) {
    const json::Value** slot = key == "dtype"          ? &dtype
                               : key == "shape"        ? &shape
                               : key == "data_offsets" ? &offsets
                                                       : nullptr;
    if (!slot) bad(src, where + " has an unknown field '" + key + "'");
    if (*slot) bad(src, where + " has a duplicate field '" + key + "'");
    *slot = &member;
  }
  if (!dtype || !shape || !offsets)
    bad(src, where + " lacks dtype, shape or data_offsets (TensorInvalidInfo)");
  TensorInfo t;
  t.name = name;
  if (dtype->type != json::Value::Type::string) bad(src, where + ": dtype is not a string");
  const auto dt = dtype_from_name(dtype->text);
  if (!dt) bad(src, where + ": unknown dtype '" + dtype->text + "'");
  t.dtype = *dt;
  if (shape->type != json::Value::Type::array) bad(src, where + ": shape is not an array");
  for (const auto& d : shape->items) {
    const auto n = d.as_u64();
    if (!n || *n > static_cast<uint64_t>(INT64_MAX))
      bad(src, where + ": shape has an entry that is not a size");
    t.shape.push_back(static_cast<int64_t>(*n));
  }
  if (offsets->type != json::Value::Type::array || offsets->items.size() != 2)
    bad(src, where + ": data_offsets is not a [begin, end] pair");
  const auto b = offsets->items[0].as_u64(), e = offsets->items[1].as_u64();
  if (!b || !e) bad(src, where + ": data_offsets are not byte offsets");
  t.begin = *b;
  t.end = *e;
  if (t.end < t.begin) bad(src, where + ": data_offsets end before they begin (InvalidOffset)");
  // Item 5: elements x size == end - begin, every product checked for overflow.
  uint64_t bytes = dtype_size(t.dtype);
  for (int64_t d : t.shape) {
    const auto u = static_cast<uint64_t>(d);
    if (u != 0 && bytes > UINT64_MAX / u)
      bad(src, where + ": shape " + shape_text(t.shape) + " overflows (ValidationOverflow)");
    bytes *= u;
  }
  if (bytes != t.end - t.begin)
    bad(src, where + ": shape " + shape_text(t.shape) + " of " + dtype_name(t.dtype) + " needs " +
                 std::to_string(bytes) + " bytes but data_offsets span " + std::to_string(t.end - t.begin) +
                 " (TensorInvalidInfo)");
  return t;
}

}  // namespace

size_t dtype_size(DType dtype) { return kSizes[static_cast<size_t>(dtype)]; }
const char* dtype_name(DType dtype) { return kNames[static_cast<size_t>(dtype)]; }
std::optional<DType> dtype_from_name(std::string_view name) {
  for (size_t i = 0; i < std::size(kNames); ++i)
    if (name == kNames[i]) return static_cast<DType>(i);
  return std::nullopt;
}

uint64_t TensorInfo::elements() const {
  uint64_t n = 1;
  for (int64_t d : shape) n *= static_cast<uint64_t>(d);
  return n;
}

Safetensors Safetensors::parse_header(std::span<const uint8_t> file, uint64_t file_size, std::string source) {
  const std::string& src = source;
  // Item 1: the length prefix and the header fit the file, computed without overflow.
  if (file_size < 8)
    bad(src, "file is " + std::to_string(file_size) +
                 " bytes, shorter than the 8-byte header length (HeaderTooSmall)");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | file[static_cast<size_t>(i)];  // little-endian
  if (n > kMaxHeaderBytes)
    bad(src, "header length " + std::to_string(n) + " exceeds the 100000000-byte limit (HeaderTooLarge)");
  if (n > file_size - 8)
    bad(src, "header length " + std::to_string(n) + " runs past the end of the " + std::to_string(file_size) +
                 "-byte file (InvalidHeaderLength)");
  DNNTRAIN_CHECK(file.size() >= 8 + n, src + ": safetensors: the header was not read whole");
  // Item 2: UTF-8 JSON object, trailing whitespace allowed, no duplicate names.
  const std::string_view header(reinterpret_cast<const char*>(file.data() + 8), n);
  if (!json::valid_utf8(header)) bad(src, "header is not valid UTF-8 (InvalidHeader)");
  if (header.empty() || header[0] != '{') bad(src, "header does not start with '{' (InvalidHeaderStart)");
  std::string error;
  const auto doc = json::parse(header, error);
  if (!doc) bad(src, "header is not valid JSON: " + error + " (InvalidHeaderDeserialization)");
  if (doc->type != json::Value::Type::object) bad(src, "header is not a JSON object");

  Safetensors st;
  st.source_ = std::move(source);
  st.header_bytes_ = n;
  st.data_bytes_ = file_size - 8 - n;
  std::set<std::string_view> names;
  for (const auto& [key, value] : doc->members) {
    if (!names.insert(key).second) bad(st.source_, "duplicate key '" + key + "' in the header");
    if (key == "__metadata__") {
      if (value.type == json::Value::Type::null) continue;
      if (value.type != json::Value::Type::object) bad(st.source_, "__metadata__ is not an object");
      for (const auto& [mk, mv] : value.members) {
        if (mv.type != json::Value::Type::string)
          bad(st.source_, "__metadata__ value of '" + mk + "' is not a string");
        if (!st.metadata_.emplace(mk, mv.text).second)
          bad(st.source_, "duplicate __metadata__ key '" + mk + "'");
      }
      continue;
    }
    st.tensors_.push_back(tensor_info(st.source_, key, value));  // items 3 and 5
  }
  // Item 4: sorted by offset, the tensors tile the buffer from 0 without gaps or overlaps.
  std::stable_sort(st.tensors_.begin(), st.tensors_.end(), [](const TensorInfo& a, const TensorInfo& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t expected = 0;
  for (const TensorInfo& t : st.tensors_) {
    if (t.begin != expected)
      bad(st.source_,
          "tensor '" + t.name + "' begins at byte " + std::to_string(t.begin) + " of the data buffer, " +
              (t.begin < expected ? "overlapping" : "leaving a gap after") +
              " the previous tensor, which ends at " + std::to_string(expected) + " (InvalidOffset)");
    expected = t.end;
  }
  // Item 6: the last tensor ends exactly at the end of the file; the format allows no trailing bytes.
  if (expected > st.data_bytes_)
    bad(st.source_, "the data buffer is " + std::to_string(st.data_bytes_) + " bytes but the tensors cover " +
                        std::to_string(expected) + " (MetadataIncompleteBuffer)");
  if (expected < st.data_bytes_)
    bad(st.source_, std::to_string(st.data_bytes_ - expected) +
                        " bytes follow the last tensor, which ends at byte " + std::to_string(expected) +
                        " of the data buffer (MetadataIncompleteBuffer)");
  return st;
}

Safetensors Safetensors::parse(std::span<const uint8_t> file, std::string source) {
  Safetensors st = parse_header(file, file.size(), std::move(source));
  st.buffer_ = file.subspan(8 + st.header_bytes_);
  st.loaded_ = true;
  return st;
}

Safetensors Safetensors::open(const std::string& path) {
  auto file = std::make_shared<const ReadFile>(path);
  // The length prefix, then the header it announces if it fits the file: nothing else is read.
  std::vector<uint8_t> head(static_cast<size_t>(std::min<uint64_t>(8, file->size())));
  file->read_at(0, head);
  if (head.size() == 8) {
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | head[static_cast<size_t>(i)];
    if (n <= kMaxHeaderBytes && n <= file->size() - 8) {
      head.resize(static_cast<size_t>(8 + n));
      file->read_at(8, std::span(head).subspan(8));
    }
  }
  Safetensors st = parse_header(head, file->size(), path);
  st.file_ = std::move(file);
  return st;
}

void Safetensors::load_data() {
  if (loaded_) return;
  DNNTRAIN_CHECK(file_ != nullptr, source_ + ": safetensors data requested from a file that is not open");
  owned_.resize(static_cast<size_t>(data_bytes_));  // exactly what the checked header describes
  file_->read_at(8 + header_bytes_, owned_);
  buffer_ = owned_;  // stays valid when moved: the heap block does not move
  file_.reset();
  loaded_ = true;
}

Safetensors Safetensors::read(const std::string& path) {
  Safetensors st = open(path);
  st.load_data();
  return st;
}

const TensorInfo* Safetensors::find(std::string_view name) const {
  for (const TensorInfo& t : tensors_)
    if (t.name == name) return &t;
  return nullptr;
}

const TensorInfo& Safetensors::at(std::string_view name, std::optional<DType> dtype,
                                  const std::vector<int64_t>* shape) const {
  const TensorInfo* t = find(name);
  if (!t) throw Error(source_ + ": missing tensor '" + std::string(name) + "'");
  if (dtype && t->dtype != *dtype)
    throw Error(source_ + ": tensor '" + t->name + "' is " + dtype_name(t->dtype) + ", expected " +
                dtype_name(*dtype));
  if (shape && t->shape != *shape)
    throw Error(source_ + ": tensor '" + t->name + "' has shape " + shape_text(t->shape) + ", expected " +
                shape_text(*shape));
  return *t;
}

}  // namespace dnntrain::engine
