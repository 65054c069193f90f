// Parameter and Buffer helpers that need no oneDNN execution.
#include "engine/parameter.hpp"

#include <algorithm>

#include "engine/error.hpp"
#include "engine/working_copy.hpp"

namespace dnntrain::engine {

namespace {

size_t product(const std::vector<int64_t>& shape) {
  size_t n = 1;
  for (int64_t d : shape) n *= static_cast<size_t>(d);
  return n;
}

}  // namespace

size_t Parameter::elements() const { return product(shape); }

void Parameter::write_working_copies() const {
  for (const WorkingCopy& copy : working) write_working_copy(weight_data(), 0, padded_elements(), copy);
}

size_t Buffer::elements() const { return product(shape); }

std::span<float> Buffer::f32() const {
  DNNTRAIN_CHECK(type == Type::f32, "buffer " + name + " holds an i64, not f32 values");
  return {static_cast<float*>(value.get_data_handle()), elements()};
}

int64_t& Buffer::i64() const {
  DNNTRAIN_CHECK(type == Type::i64, "buffer " + name + " holds f32 values, not an i64");
  return *static_cast<int64_t*>(value.get_data_handle());
}

std::span<uint8_t> Buffer::bytes() const {
  return {static_cast<uint8_t*>(value.get_data_handle()), value.get_desc().get_size()};
}

void Buffer::reset() const {
  if (type == Type::i64)
    i64() = 0;
  else
    std::ranges::fill(f32(), initial);
}

dnnl::memory::desc Buffer::desc(Type type, const std::vector<int64_t>& shape) {
  using dnnl::memory;
  if (type == Type::i64) {
    DNNTRAIN_CHECK(shape.empty(), "an i64 buffer is a 0-d scalar");
    return memory::desc({sizeof(int64_t)}, memory::data_type::u8, memory::format_tag::a);
  }
  return memory::desc({static_cast<memory::dim>(product(shape))}, memory::data_type::f32,
                      memory::format_tag::a);
}

}  // namespace dnntrain::engine
