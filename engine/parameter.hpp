// Parameters (trainable, with a gradient) and buffers (running statistics) of a model, each named by
// its torchvision state_dict key. A parameter's weight and gradient share one blocked oneDNN layout:
// the one its forward primitive wants (docs/architecture.md, "Parameters and optimizer state").
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <dnnl.hpp>

namespace dnntrain::engine {

// How a parameter is filled before training; drawn in the plain layout, then reordered once.
struct Init {
  enum class Kind { constant, normal, uniform };
  Kind kind = Kind::constant;
  float a = 0.f;  // constant: the value; normal: std; uniform: bound (draws from [-a, a))
  static Init constant(float v) { return {Kind::constant, v}; }
  static Init normal(float std) { return {Kind::normal, std}; }
  static Init uniform(float bound) { return {Kind::uniform, bound}; }
};

// A bf16 copy of a parameter's f32 weight, in the layout of the bf16 primitive that reads it:
// every element is the weight's element rounded to nearest even. The optimizer's fused pass
// rewrites it after each update; Parameter::write_working_copies rewrites it after any other
// change to the weight (initialisation, a loaded checkpoint, a broadcast).
struct WorkingCopy {
  dnnl::memory bf16;
  // Where element i of the weight's physical buffer goes in `bf16`. Blocked layouts move whole
  // tiles of `period` elements (e.g. the 16×16 tile of OIhw16i16o) and permute each tile alike, so
  // element b·period + k goes to block_base[b] + pattern[k]; pattern[k] < 0 marks padding, which
  // is skipped. A tile placed otherwise (padding at a channel boundary) has block_base[b] =
  // -1 - j and its offsets in irregular[j·period, (j+1)·period). period 0: the same offsets in
  // both layouts, no map.
  int64_t period = 0;
  std::vector<int32_t> pattern, block_base, irregular;
  uint16_t* data() const { return static_cast<uint16_t*>(bf16.get_data_handle()); }
};

struct Parameter {
  std::string name;                // torchvision key, e.g. "layer1.0.conv1.weight"
  std::vector<int64_t> shape;      // torch's shape, e.g. [64, 3, 7, 7], [10, 512] for fc.weight
  dnnl::memory::desc plain_md;     // the same elements in a plain oneDNN layout (oihw, oi11, a)
  dnnl::memory weight;             // blocked layout of the forward primitive
  dnnl::memory grad;               // same desc as weight; assigned by every backward pass
  Init init;
  enum class Role { weight, bias, norm } role = Role::weight;  // for weight-decay exclusions
  std::vector<WorkingCopy> working;  // bf16 copies read by bf16 primitives; empty in f32 graphs

  float* weight_data() const { return static_cast<float*>(weight.get_data_handle()); }
  float* grad_data() const { return static_cast<float*>(grad.get_data_handle()); }
  // Elements in the physical (padded) buffer: what a fused update loops over.
  size_t padded_elements() const { return weight.get_desc().get_size() / sizeof(float); }
  // Elements that carry values (the product of `shape`).
  size_t elements() const;
  // Rewrites every working copy from `weight`.
  void write_working_copies() const;
};

// Non-trainable state saved with the model: BN running_mean/var (f32 [C]) and
// num_batches_tracked (i64, 0-d), as in PyTorch. Its memory is planner memory in the persistent
// arena (Planner::buffer): sized once at plan() and never reallocated, so a layer may keep
// pointers into it. Its bytes are the checkpoint's bytes: plain, little-endian, no padding.
struct Buffer {
  enum class Type { f32, i64 };
  std::string name;
  std::vector<int64_t> shape;  // empty for a 0-d scalar
  Type type = Type::f32;
  dnnl::memory value;   // desc() of type and shape
  float initial = 0.f;  // every f32 element's value after plan() and Graph::initialize

  size_t elements() const;
  std::span<float> f32() const;  // requires type == f32
  int64_t& i64() const;          // requires type == i64
  std::span<uint8_t> bytes() const;
  void reset() const;  // f32: every element = initial; i64: 0
  // The memory desc of a buffer: f32 `x` of `shape`, or 8 bytes (u8) for an i64 scalar, which
  // oneDNN has no data type for (it has s32, not s64).
  static dnnl::memory::desc desc(Type type, const std::vector<int64_t>& shape);
};

}  // namespace dnntrain::engine
