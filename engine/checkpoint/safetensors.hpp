// safetensors files (huggingface/safetensors; docs/architecture.md, "Checkpoints"): a hardened
// parser that turns every malformed input into a dnntrain::Error naming the file and the problem,
// and a writer that follows the reference conventions. Free of oneDNN so the libFuzzer target
// compiles it alone.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dnntrain::engine {

class ReadFile;  // atomic_file.hpp

// In the reference implementation's order, which its writer sorts by (descending).
enum class DType : uint8_t {
  BOOL,
  U8,
  I8,
  F8_E5M2,
  F8_E4M3,
  I16,
  U16,
  F16,
  BF16,
  I32,
  U32,
  F32,
  F64,
  I64,
  U64
};
size_t dtype_size(DType dtype);
const char* dtype_name(DType dtype);  // "F32", "I64", ...
std::optional<DType> dtype_from_name(std::string_view name);

struct TensorInfo {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;   // empty for a 0-d scalar
  uint64_t begin = 0, end = 0;  // byte offsets into the data buffer, end exclusive
  uint64_t elements() const;    // product of shape (validated not to overflow)
};

inline constexpr uint64_t kMaxHeaderBytes = 100'000'000;

// A parsed file. Either views bytes owned by the caller (parse) or owns them (read).
class Safetensors {
 public:
  // Validates, in file order: at least 8 bytes; a header length N <= kMaxHeaderBytes with 8 + N
  // inside the file (no overflow); a UTF-8 JSON object header, no duplicate names; every entry has
  // a known dtype, a shape and data_offsets; sorted by offset, the entries tile the data buffer from
  // 0 (no gap, no overlap); each shape x dtype size (overflow-checked) equals its byte range; the
  // last end is the end of the file; __metadata__ holds strings only. `source` names the input in
  // errors.
  // requires: `file` outlives the returned object.
  // ensures:  tensors() tile the data buffer exactly; every byte range is inside `file`.
  static Safetensors parse(std::span<const uint8_t> file, std::string source);
  // Reads the header of the file at `path` and checks it and every offset against the file's size;
  // reads no tensor data (a file padded to gigabytes is refused after reading its header).
  // Call load_data() before bytes() or buffer().
  static Safetensors open(const std::string& path);
  // open() then load_data(): the object owns the bytes.
  static Safetensors read(const std::string& path);
  // Reads the data buffer the header describes (and nothing beyond it). No-op once loaded.
  void load_data();
  bool loaded() const { return loaded_; }
  uint64_t data_bytes() const { return data_bytes_; }

  Safetensors(Safetensors&&) = default;
  Safetensors& operator=(Safetensors&&) = default;

  const std::string& source() const { return source_; }
  const std::vector<TensorInfo>& tensors() const { return tensors_; }  // by offset
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const TensorInfo* find(std::string_view name) const;
  // The tensor `name`; throws naming the file and key if absent, or if dtype or shape differ from
  // the expected ones when given.
  const TensorInfo& at(std::string_view name, std::optional<DType> dtype = std::nullopt,
                       const std::vector<int64_t>* shape = nullptr) const;
  // The tensor's bytes (little-endian, row-major; not necessarily aligned: copy before casting).
  std::span<const uint8_t> bytes(const TensorInfo& t) const {
    return buffer_.subspan(t.begin, t.end - t.begin);
  }
  std::span<const uint8_t> buffer() const { return buffer_; }  // the data section (once loaded)
  uint64_t header_bytes() const { return header_bytes_; }

 private:
  Safetensors() = default;
  // Items 1-6 on the 8-byte length and the header at the front of `head`, against `file_size`.
  static Safetensors parse_header(std::span<const uint8_t> head, uint64_t file_size, std::string source);
  std::string source_;
  std::shared_ptr<const ReadFile> file_;  // open() until load_data()
  std::vector<uint8_t> owned_;  // for read(); moving a vector keeps its data pointer
  std::span<const uint8_t> buffer_;
  uint64_t header_bytes_ = 0, data_bytes_ = 0;
  bool loaded_ = false;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, std::string> metadata_;
};

// A tensor to write: bytes must be shape x dtype size long, little-endian, row-major.
struct TensorRef {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::span<const uint8_t> bytes;
};

// The 8-byte length, the header JSON padded with spaces to a multiple of 8, and the order in
// which tensors' bytes follow it: by dtype descending then name, as the reference writer does.
struct SafetensorsLayout {
  std::vector<uint8_t> prefix;  // length + header
  std::vector<size_t> order;    // indices into the tensors given
};
// Throws on duplicate or empty names, "__metadata__" as a name, or a byte size that does not match.
SafetensorsLayout layout_safetensors(const std::vector<TensorRef>& tensors,
                                     const std::map<std::string, std::string>& metadata);
std::vector<uint8_t> serialize_safetensors(const std::vector<TensorRef>& tensors,
                                           const std::map<std::string, std::string>& metadata);
// Writes atomically (atomic_file.hpp): `path` keeps its previous content if anything fails.
void write_safetensors(const std::string& path, const std::vector<TensorRef>& tensors,
                       const std::map<std::string, std::string>& metadata);

}  // namespace dnntrain::engine
