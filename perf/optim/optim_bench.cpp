// Fused optimizer bandwidth on ResNet-50's 25,557,032 parameters (161 tensors of the real shapes):
// SGD with momentum and AdamW, in GB/s of bytes the update must move, beside a STREAM-like triad
// run in the same process with the same OpenMP threads. For bf16 training: SGD writing one bf16
// working copy in the same pass (ours), against IPEX's split SGD, which keeps the f32 master as
// its upper half (the bf16 weight, truncated) and a separate lower half. Prints; never asserts.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dnnl.hpp>
#include <memory>
#include <vector>

#include "engine/optim/fused_update.hpp"
#include "engine/optim/optimizer.hpp"
#include "engine/precision.hpp"

namespace {

using dnntrain::engine::Parameter;

// torchvision resnet50 state_dict shapes (torchvision/models/resnet.py).
std::vector<std::vector<int64_t>> resnet50_shapes() {
  std::vector<std::vector<int64_t>> s = {{64, 3, 7, 7}, {64}, {64}};
  int64_t in = 64;
  const int blocks[] = {3, 4, 6, 3};
  for (int stage = 0; stage < 4; ++stage) {
    const int64_t w = 64 << stage;
    for (int b = 0; b < blocks[stage]; ++b) {
      for (auto shape : std::vector<std::vector<int64_t>>{{w, in, 1, 1}, {w, w, 3, 3}, {4 * w, w, 1, 1}}) {
        s.push_back(shape);
        s.push_back({shape[0]});
        s.push_back({shape[0]});
      }
      if (b == 0) {
        s.push_back({4 * w, in, 1, 1});
        s.push_back({4 * w});
        s.push_back({4 * w});
      }
      in = 4 * w;
    }
  }
  s.push_back({1000, 2048});
  s.push_back({1000});
  return s;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

struct Timing {
  double best = 1e30, median = 0;
};

template <class F>
Timing time_it(int reps, F&& f) {
  std::vector<double> t;
  f();  // warm-up: first touch, page faults
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    t.push_back(seconds_since(t0));
  }
  std::sort(t.begin(), t.end());
  return {t.front(), t[t.size() / 2]};
}

}  // namespace

int main(int argc, char** argv) {
  const int reps = argc > 1 ? std::atoi(argv[1]) : 20;
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  std::vector<std::unique_ptr<Parameter>> owned;
  std::vector<Parameter*> params;
  size_t total = 0;
  for (const auto& shape : resnet50_shapes()) {
    auto p = std::make_unique<Parameter>();
    p->shape = shape;
    p->name = "p" + std::to_string(owned.size());
    dnnl::memory::dims d(shape.begin(), shape.end());
    const auto tag = d.size() == 4   ? dnnl::memory::format_tag::abcd
                     : d.size() == 2 ? dnnl::memory::format_tag::ab
                                     : dnnl::memory::format_tag::a;
    p->plain_md = dnnl::memory::desc(d, dnnl::memory::data_type::f32, tag);
    p->weight = dnnl::memory(p->plain_md, eng);
    p->grad = dnnl::memory(p->plain_md, eng);
    std::memset(p->weight.get_data_handle(), 0, p->plain_md.get_size());
    std::fill_n(p->grad_data(), p->padded_elements(), 1e-3f);
    total += p->padded_elements();
    params.push_back(p.get());
    owned.push_back(std::move(p));
  }
  const int threads = omp_get_max_threads();
  std::printf("parameters %zu in %zu tensors; OpenMP threads %d; kernels %s; %d timed repetitions\n", total,
              params.size(), threads, dnntrain::engine::fused_update_isa(), reps);

  // STREAM triad a = b + s * c over arrays of the same element count, same threads.
  std::vector<float> a(total), b(total, 1.f), c(total, 2.f);
  const long n = static_cast<long>(total);
  float* pa = a.data();
  const float* pb = b.data();
  const float* pc = c.data();
  const Timing triad = time_it(reps, [&] {
#pragma omp parallel for simd schedule(static)
    for (long i = 0; i < n; ++i) pa[i] = pb[i] + 0.5f * pc[i];
  });
  const double triad_bytes = 3.0 * 4 * total;
  std::printf("%-26s %8.2f ms best %8.2f ms median %7.2f GB/s (%.0f MB moved)\n", "triad a=b+s*c",
              triad.best * 1e3, triad.median * 1e3, triad_bytes / triad.best / 1e9, triad_bytes / 1e6);

  struct Case {
    const char* name;
    dnntrain::engine::OptimizerOptions o;
    int arrays;  // float arrays read + written per element
  };
  dnntrain::engine::OptimizerOptions sgd, adamw;
  sgd.momentum = 0.9;
  sgd.weight_decay = 1e-4;
  adamw.kind = dnntrain::engine::OptimizerOptions::Kind::adamw;
  adamw.weight_decay = 0.05;
  for (const Case& k :
       {Case{"sgd momentum (r w,g,b w w,b)", sgd, 5}, Case{"adamw (r w,g,m,v w w,m,v)", adamw, 7}}) {
    dnntrain::engine::Optimizer opt(params, k.o);
    const Timing t = time_it(reps, [&] { opt.step(1e-3); });
    const double bytes = 4.0 * k.arrays * total;
    const double gbs = bytes / t.best / 1e9;
    std::printf("%-26s %8.2f ms best %8.2f ms median %7.2f GB/s (%.0f MB moved)  ratio to triad %.2f\n",
                k.name, t.best * 1e3, t.median * 1e3, gbs, bytes / 1e6,
                gbs / (triad_bytes / triad.best / 1e9));
  }

  // bf16: one working copy per parameter, in the master's own layout (the cheapest case for ours).
  for (Parameter* p : params)
    p->working.push_back({dnnl::memory(
        dnntrain::engine::with_data_type(p->weight.get_desc(), dnnl::memory::data_type::bf16), eng)});
  {
    dnntrain::engine::Optimizer opt(params, sgd);
    const Timing t = time_it(reps, [&] { opt.step(1e-3); });
    const double bytes = (4.0 * 5 + 2) * total;
    std::printf("%-26s %8.2f ms best %8.2f ms median %7.2f GB/s (%.0f MB moved)  memory per weight 4+2 bytes\n",
                "sgd + bf16 working copy", t.best * 1e3, t.median * 1e3, bytes / t.best / 1e9, bytes / 1e6);
  }
  for (Parameter* p : params) p->working.clear();
  // Split SGD: w = (hi << 16) | lo; hi is the bf16 weight the primitives read. Reads hi, lo, g, b;
  // writes hi, lo, b.
  std::vector<uint16_t> hi(total, 0x3f80), lo(total, 0);
  std::vector<float> g(total, 1e-3f), momentum(total, 0.f);
  const Timing split = time_it(reps, [&] {
    const float lr = 1e-3f, wd = 1e-4f, mom = 0.9f;
    uint16_t* __restrict h = hi.data();
    uint16_t* __restrict l = lo.data();
    const float* __restrict gr = g.data();
    float* __restrict bu = momentum.data();
#pragma omp parallel for simd schedule(static)
    for (long i = 0; i < n; ++i) {
      float w;
      const uint32_t bits = (static_cast<uint32_t>(h[i]) << 16) | l[i];
      std::memcpy(&w, &bits, sizeof w);
      const float d = gr[i] + wd * w;
      const float v = mom * bu[i] + d;
      bu[i] = v;
      w -= lr * v;
      uint32_t out;
      std::memcpy(&out, &w, sizeof out);
      h[i] = static_cast<uint16_t>(out >> 16);
      l[i] = static_cast<uint16_t>(out);
    }
  });
  const double split_bytes = 20.0 * total;
  std::printf("%-26s %8.2f ms best %8.2f ms median %7.2f GB/s (%.0f MB moved)  memory per weight 2+2 bytes\n",
              "split sgd (IPEX)", split.best * 1e3, split.median * 1e3, split_bytes / split.best / 1e9,
              split_bytes / 1e6);
  return 0;
}
