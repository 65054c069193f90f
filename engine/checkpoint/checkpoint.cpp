// save_checkpoint / load_weights / resume_checkpoint. Saving gathers plain copies (refusing
// non-finite values) before the file is touched; loading validates every key and shape from the
// header alone, then the CRC, every value's finiteness and the training position's ranges before
// the first tensor is written, so a failed load leaves the model as it was.
#include "engine/checkpoint/checkpoint.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <set>

#include "engine/checkpoint/crc32c.hpp"
#include "engine/checkpoint/safetensors.hpp"
#include "engine/checkpoint/tensor_io.hpp"
#include "engine/error.hpp"

namespace dnntrain::engine {

namespace {

// __metadata__ keys (all values are strings, as safetensors requires).
// 8 hex digits. Format 2: CRC-32C of the canonical header without this key (the writer's layout of
// every tensor's name, dtype, shape and offsets and every other metadata pair) followed by the data
// buffer. Format 1: of the data buffer alone, which left the training position unprotected.
constexpr const char* kCrc = "dnntrain.crc32c";
constexpr const char* kVersion = "dnntrain.format_version";
constexpr const char* kFormatVersion = "2";
constexpr const char* kOptimizerKind = "dnntrain.optimizer.kind";
constexpr const char* kOptimizerSteps = "dnntrain.optimizer.steps";
constexpr const char* kOptimizer = "dnntrain.optimizer";  // Optimizer::describe()
constexpr const char* kOptimizerPrefix = "optimizer.";
constexpr const char* kModelEmaPrefix = "model_ema.";  // --model-ema's averages (apps/train.cpp)

struct PlainTensor {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
};

std::vector<uint8_t> float_bytes(const std::string& name, const std::vector<float>& v) {
  check_finite(name, v);
  std::vector<uint8_t> b(v.size() * sizeof(float));
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

struct Expected {
  DType dtype;
  std::vector<int64_t> shape;
};

bool skipped(const std::string& key, const std::vector<std::string>& prefixes) {
  for (const auto& p : prefixes)
    if (key.starts_with(p)) return true;
  return false;
}

std::string shape_text(const std::vector<int64_t>& s) {
  std::string t = "[";
  for (size_t i = 0; i < s.size(); ++i) t += (i ? ", " : "") + std::to_string(s[i]);
  return t + "]";
}

std::map<std::string, Expected> model_keys(const std::vector<Parameter*>& parameters,
                                           const std::vector<Buffer*>& buffers) {
  std::map<std::string, Expected> keys;
  for (const Parameter* p : parameters)
    DNNTRAIN_CHECK(keys.emplace(p->name, Expected{DType::F32, p->shape}).second,
                   "checkpoint: two model tensors are named '" + p->name + "'");
  for (const Buffer* b : buffers)
    DNNTRAIN_CHECK(
        keys.emplace(b->name, Expected{b->type == Buffer::Type::i64 ? DType::I64 : DType::F32, b->shape})
            .second,
        "checkpoint: two model tensors are named '" + b->name + "'");
  return keys;
}

// One error listing every missing, unexpected and mis-shaped key (files may hold "optimizer.*" and
// "model_ema.*").
void check_model_keys(const Safetensors& st, const std::map<std::string, Expected>& expected,
                      const std::vector<std::string>& skip) {
  std::vector<std::string> missing, unexpected, misshaped;
  for (const auto& [name, want] : expected) {
    if (skipped(name, skip)) continue;
    const TensorInfo* t = st.find(name);
    if (!t)
      missing.push_back(name);
    else if (t->dtype != want.dtype || t->shape != want.shape)
      misshaped.push_back(name + " (file " + dtype_name(t->dtype) + " " + shape_text(t->shape) + ", model " +
                          dtype_name(want.dtype) + " " + shape_text(want.shape) + ")");
  }
  for (const TensorInfo& t : st.tensors())
    if (!expected.count(t.name) && !skipped(t.name, skip) && !t.name.starts_with(kOptimizerPrefix) &&
        !t.name.starts_with(kModelEmaPrefix))
      unexpected.push_back(t.name);
  if (missing.empty() && unexpected.empty() && misshaped.empty()) return;
  auto list = [](const char* what, const std::vector<std::string>& v) {
    std::string s;
    if (v.empty()) return s;
    s = std::string("\n  ") + what + " (" + std::to_string(v.size()) + "):";
    for (const auto& k : v) s += " " + k + ";";
    return s;
  };
  throw Error(st.source() + ": the checkpoint does not match the model" + list("missing keys", missing) +
              list("unexpected keys", unexpected) + list("mis-shaped keys", misshaped) +
              "\n  (to load a subset, skip prefixes such as 'fc.')");
}

// The format 2 checksum over `refs` and `metadata` (whose kCrc entry, if any, is left out).
uint32_t checksum(const std::vector<TensorRef>& refs, std::map<std::string, std::string> metadata) {
  metadata.erase(kCrc);
  const SafetensorsLayout layout = layout_safetensors(refs, metadata);
  uint32_t crc = crc32c(layout.prefix.data(), layout.prefix.size());
  for (size_t i : layout.order) crc = crc32c(refs[i].bytes.data(), refs[i].bytes.size(), crc);
  return crc;
}

// "1" or "2"; a file without the key predates format 2 (or comes from torch). `for_resume`: the
// training position must be covered by the checksum, which needs format 2.
std::string format_version(const Safetensors& st, bool for_resume) {
  const auto it = st.metadata().find(kVersion);
  const std::string v = it == st.metadata().end() ? "" : it->second;
  DNNTRAIN_CHECK(
      v.empty() || v == "1" || v == "2",
      st.source() + ": " + kVersion + " '" + v +
          "' is unknown (this dnntrain reads 1 and 2); the file is corrupt or from a newer dnntrain");
  DNNTRAIN_CHECK(!for_resume || v == "2",
                 st.source() + ": format " + (v.empty() ? std::string("without a version") : "1") +
                     " does not checksum the training position; it cannot be resumed (use it with --init)");
  return v;
}

}  // namespace

void verify_checksum(const Safetensors& st, bool required) {
  const std::string version = format_version(st, required);
  const auto it = st.metadata().find(kCrc);
  if (it == st.metadata().end()) {
    DNNTRAIN_CHECK(!required, st.source() + ": no " + kCrc + " in the metadata; not a dnntrain checkpoint");
    return;
  }
  uint32_t crc = 0;
  if (version == "2") {
    std::vector<TensorRef> refs;
    for (const TensorInfo& t : st.tensors()) refs.push_back({t.name, t.dtype, t.shape, st.bytes(t)});
    crc = checksum(refs, st.metadata());
  } else {
    crc = crc32c(st.buffer().data(), st.buffer().size());
  }
  char want[16];
  std::snprintf(want, sizeof want, "%08x", crc);
  DNNTRAIN_CHECK(it->second == want, st.source() + ": checksum mismatch (metadata " + it->second + ", data " +
                                         want +
                                         "): the file is corrupt or was modified; use an older checkpoint");
}

void check_finite_tensors(const Safetensors& st, const std::vector<std::string>& skip) {
  for (const TensorInfo& t : st.tensors()) {
    if (t.dtype != DType::F32 || skipped(t.name, skip)) continue;
    const auto bytes = st.bytes(t);
    for (size_t i = 0; i < bytes.size(); i += sizeof(float)) {
      float v;
      std::memcpy(&v, bytes.data() + i, sizeof v);
      DNNTRAIN_CHECK(std::isfinite(v), st.source() + ": tensor '" + t.name + "' holds a non-finite value (" +
                                           std::to_string(v) + ") at index " + std::to_string(i / sizeof v) +
                                           "; the checkpoint is unusable, use an older one");
    }
  }
}

namespace {


void load_model(const Safetensors& st, const std::vector<Parameter*>& parameters,
                const std::vector<Buffer*>& buffers, const std::vector<std::string>& skip) {
  for (Parameter* p : parameters)
    if (!skipped(p->name, skip)) {
      from_plain(*p, st.bytes(st.at(p->name)), p->weight);
      p->write_working_copies();
    }
  for (Buffer* b : buffers) {
    if (skipped(b->name, skip)) continue;
    // Written in place: the buffer's planned memory never changes size (its shape was checked).
    const auto bytes = st.bytes(st.at(b->name));
    DNNTRAIN_CHECK(bytes.size() == b->bytes().size(),
                   st.source() + ": tensor '" + b->name + "' has " + std::to_string(bytes.size()) +
                       " bytes; the model's buffer has " + std::to_string(b->bytes().size()));
    std::memcpy(b->bytes().data(), bytes.data(), bytes.size());
  }
}

std::string meta(const Safetensors& st, const std::string& key) {
  const auto it = st.metadata().find(key);
  DNNTRAIN_CHECK(it != st.metadata().end(), st.source() + ": metadata key '" + key + "' is missing");
  return it->second;
}

template <class T>
T meta_number(const Safetensors& st, const std::string& key) {
  const std::string s = meta(st, key);
  T v{};
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  DNNTRAIN_CHECK(ec == std::errc() && end == s.data() + s.size(),
                 st.source() + ": metadata key '" + key + "' is not a number: '" + s + "'");
  return v;
}

// A count read from the metadata, required to be at least `min`.
int64_t meta_count(const Safetensors& st, const std::string& key, int64_t min) {
  const auto v = meta_number<int64_t>(st, key);
  DNNTRAIN_CHECK(v >= min, st.source() + ": metadata key '" + key + "' is " + std::to_string(v) +
                               ", below its minimum " + std::to_string(min) + "; the file is corrupt");
  return v;
}

}  // namespace

std::string optimizer_key(const std::string& parameter, const std::string& state) {
  return kOptimizerPrefix + parameter + "." + state;
}

void save_checkpoint(const std::string& path, const std::vector<Parameter*>& parameters,
                     const std::vector<Buffer*>& buffers, const Optimizer* optimizer,
                     const TrainingState& state) {
  model_keys(parameters, buffers);  // unique names
  std::vector<PlainTensor> tensors;
  for (const Parameter* p : parameters)
    tensors.push_back({p->name, DType::F32, p->shape, float_bytes(p->name, to_plain(*p, p->weight))});
  for (const Buffer* b : buffers) {
    if (b->type == Buffer::Type::f32) check_finite(b->name, b->f32());
    const auto bytes = b->bytes();
    tensors.push_back({b->name, b->type == Buffer::Type::i64 ? DType::I64 : DType::F32, b->shape,
                       std::vector<uint8_t>(bytes.begin(), bytes.end())});
  }
  std::map<std::string, std::string> metadata = {{"format", "pt"}, {kVersion, kFormatVersion}};
  if (optimizer) {
    for (const OptimizerState& s : optimizer->state()) {
      const std::string key = optimizer_key(s.parameter->name, s.name);
      tensors.push_back(
          {key, DType::F32, s.parameter->shape, float_bytes(key, to_plain(*s.parameter, s.memory))});
    }
    metadata[kOptimizerKind] = optimizer_kind_name(optimizer->options().kind);
    metadata[kOptimizerSteps] = std::to_string(optimizer->steps());
    metadata[kOptimizer] = optimizer->describe();
    char lr[32];
    std::snprintf(lr, sizeof lr, "%.17g", state.lr);
    metadata["dnntrain.epoch"] = std::to_string(state.epoch);
    metadata["dnntrain.step"] = std::to_string(state.step);
    metadata["dnntrain.batch_in_epoch"] = std::to_string(state.batch_in_epoch);
    metadata["dnntrain.data_seed"] = std::to_string(state.data_seed);
    metadata["dnntrain.init_seed"] = std::to_string(state.init_seed);
    metadata["dnntrain.lr"] = lr;
    metadata["dnntrain.schedule"] = state.schedule;
    metadata["dnntrain.config"] = state.config;
    metadata["dnntrain.world_size"] = std::to_string(state.world_size);
    metadata["dnntrain.threads"] = std::to_string(state.threads);
    for (const auto& [k, v] : state.extra) metadata["dnntrain.extra." + k] = v;
  } else {  // weights only: the run's description, if any, so the file says what model it holds
    if (!state.config.empty()) metadata["dnntrain.config"] = state.config;
    for (const auto& [k, v] : state.extra) metadata["dnntrain.extra." + k] = v;
  }
  std::vector<TensorRef> refs;
  for (const auto& t : tensors) refs.push_back({t.name, t.dtype, t.shape, t.bytes});
  char hex[16];
  std::snprintf(hex, sizeof hex, "%08x", checksum(refs, metadata));
  metadata[kCrc] = hex;
  write_safetensors(path, refs, metadata);
}

void load_weights(const std::string& path, const std::vector<Parameter*>& parameters,
                  const std::vector<Buffer*>& buffers, const InitOptions& options) {
  Safetensors st = Safetensors::open(path);
  const auto expected = model_keys(parameters, buffers);
  check_model_keys(st, expected, options.skip_prefixes);
  // Beyond the model, a file may hold optimizer state (two tensors a parameter at most) and a model
  // EMA (one more copy): a data buffer larger than that is refused before it is read.
  uint64_t model_bytes = 0;
  for (const auto& [name, want] : expected) {
    uint64_t n = dtype_size(want.dtype);
    for (int64_t d : want.shape) n *= static_cast<uint64_t>(d);
    model_bytes += n;
  }
  DNNTRAIN_CHECK(st.data_bytes() <= 4 * model_bytes + 4096,
                 st.source() + ": holds " + std::to_string(st.data_bytes()) +
                     " bytes of tensors, more than a checkpoint of this model can (" +
                     std::to_string(4 * model_bytes) + ")");
  st.load_data();
  verify_checksum(st, false);
  check_finite_tensors(st, options.skip_prefixes);
  load_model(st, parameters, buffers, options.skip_prefixes);
}

TrainingState resume_checkpoint(const std::string& path, const std::vector<Parameter*>& parameters,
                                const std::vector<Buffer*>& buffers, Optimizer& optimizer) {
  Safetensors st = Safetensors::open(path);
  format_version(st, true);
  check_model_keys(st, model_keys(parameters, buffers), {});
  const std::string kind = meta(st, kOptimizerKind);
  DNNTRAIN_CHECK(kind == optimizer_kind_name(optimizer.options().kind),
                 st.source() + ": saved with optimizer '" + kind + "', resuming with '" +
                     optimizer_kind_name(optimizer.options().kind) + "'; resume with the same --opt");
  std::set<std::string> wanted;
  for (const OptimizerState& s : optimizer.state()) {
    const std::string key = optimizer_key(s.parameter->name, s.name);
    st.at(key, DType::F32, &s.parameter->shape);
    wanted.insert(key);
  }
  for (const TensorInfo& t : st.tensors())
    DNNTRAIN_CHECK(!t.name.starts_with(kOptimizerPrefix) || wanted.count(t.name),
                   st.source() + ": unexpected optimizer state '" + t.name + "' for this optimizer");
  // Every tensor is expected (checked above), so the data read is the model's and its state's.
  st.load_data();
  verify_checksum(st, true);
  check_finite_tensors(st, {});
  TrainingState s;
  s.epoch = meta_count(st, "dnntrain.epoch", 0);
  s.step = meta_count(st, "dnntrain.step", 0);
  s.batch_in_epoch = meta_count(st, "dnntrain.batch_in_epoch", 0);
  DNNTRAIN_CHECK(s.batch_in_epoch <= s.step,
                 st.source() + ": dnntrain.batch_in_epoch " + std::to_string(s.batch_in_epoch) +
                     " exceeds dnntrain.step " + std::to_string(s.step) + "; the file is corrupt");
  s.data_seed = meta_number<uint64_t>(st, "dnntrain.data_seed");
  s.init_seed = meta_number<uint64_t>(st, "dnntrain.init_seed");
  const std::string lr = meta(st, "dnntrain.lr");
  char* lr_end = nullptr;
  s.lr = std::strtod(lr.c_str(), &lr_end);
  DNNTRAIN_CHECK(!lr.empty() && *lr_end == '\0' && std::isfinite(s.lr) && s.lr >= 0,
                 st.source() + ": metadata key 'dnntrain.lr' is not a finite rate: '" + lr + "'");
  s.schedule = meta(st, "dnntrain.schedule");
  s.config = meta(st, "dnntrain.config");
  s.world_size = meta_count(st, "dnntrain.world_size", 1);
  s.threads = meta_count(st, "dnntrain.threads", 0);
  const auto steps = meta_count(st, kOptimizerSteps, 0);
  for (const auto& [k, v] : st.metadata())
    if (k.starts_with("dnntrain.extra.")) s.extra[k.substr(15)] = v;
  // Everything validated: now write.
  load_model(st, parameters, buffers, {});
  for (OptimizerState& os : optimizer.state())
    from_plain(*os.parameter, st.bytes(st.at(optimizer_key(os.parameter->name, os.name))), os.memory);
  optimizer.set_steps(steps);
  return s;
}

}  // namespace dnntrain::engine
