// Reference ReLU and residual add: element-wise loops, no vectorisation, NaN never counts as > 0.
// The mask uses dst > 0 so that relu(0) = 0 passes no gradient, as in PyTorch and oneDNN.
#include "tests/reference/relu.hpp"

#include <stdexcept>

namespace dnntrain::reference {
namespace {

void require_same_dims(const char* what, const Tensor& a, const Tensor& b) {
  require_storage(what, {&a, &b});
  if (a.dims != b.dims) {
    throw std::invalid_argument(std::string("reference ") + what + ": dims " + format_dims(a.dims) + " vs " +
                                format_dims(b.dims));
  }
}

}  // namespace

Tensor relu_forward(const Tensor& src) {
  require_storage("relu_forward", {&src});
  Tensor dst = make_tensor(src.dims);
  for (size_t i = 0; i < src.size(); ++i) dst.data[i] = src.data[i] > 0.0f ? src.data[i] : 0.0f;
  return dst;
}

Tensor relu_backward(const Tensor& diff_dst, const Tensor& dst) {
  require_same_dims("relu_backward", diff_dst, dst);
  Tensor diff_src = make_tensor(dst.dims);
  for (size_t i = 0; i < dst.size(); ++i) diff_src.data[i] = dst.data[i] > 0.0f ? diff_dst.data[i] : 0.0f;
  return diff_src;
}

Tensor add_forward(const Tensor& a, const Tensor& b, bool fuse_relu) {
  require_same_dims("add_forward", a, b);
  Tensor dst = make_tensor(a.dims);
  for (size_t i = 0; i < a.size(); ++i) {
    const double s = static_cast<double>(a.data[i]) + b.data[i];
    dst.data[i] = static_cast<float>(fuse_relu && !(s > 0.0) ? 0.0 : s);
  }
  return dst;
}

AddBackward add_backward(const Tensor& diff_dst, const Tensor* relu_dst) {
  require_storage("add_backward", {&diff_dst});
  Tensor diff = relu_dst ? relu_backward(diff_dst, *relu_dst) : diff_dst;
  return {diff, diff};
}

}  // namespace dnntrain::reference
