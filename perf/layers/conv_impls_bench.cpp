// Does choosing among oneDNN's convolution implementations per layer pay? For each distinct
// convolution of ResNet-18 and ResNet-50 (b32, 224²) and ResNet-20 (b128, 1×28²), in f32 and bf16,
// every optimized implementation oneDNN offers for forward, backward-data and backward-weights (iterated
// with next_impl(); activations in the layouts the default forward picks, weights in the layouts
// each implementation picks) is timed, best of --reps
// after one warm-up. Prints each pass's default (the first offered, what dnntrain plans) against the
// fastest, and per model the step time the convolutions would save with the fastest everywhere
// (a reorder of the weights between passes not counted, so an upper bound of the gain).
//   OMP_NUM_THREADS=2 conv_impls_bench [reps]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <dnnl.hpp>
#include <string>
#include <unordered_map>
#include <vector>

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {

struct Conv {
  int n, c, h, k, r, stride, count;  // square input h×h, k output channels, r×r kernel; count: layers
};

// The distinct convolutions of each model and how many layers share each shape.
std::vector<Conv> resnet18() {
  return {{32, 3, 224, 64, 7, 2, 1},    {32, 64, 56, 64, 3, 1, 4},    {32, 64, 56, 128, 3, 2, 1},
          {32, 128, 28, 128, 3, 1, 3},  {32, 64, 56, 128, 1, 2, 1},   {32, 128, 28, 256, 3, 2, 1},
          {32, 256, 14, 256, 3, 1, 3},  {32, 128, 28, 256, 1, 2, 1},  {32, 256, 14, 512, 3, 2, 1},
          {32, 512, 7, 512, 3, 1, 3},   {32, 256, 14, 512, 1, 2, 1}};
}
std::vector<Conv> resnet50() {
  return {{32, 3, 224, 64, 7, 2, 1},     {32, 64, 56, 64, 1, 1, 1},     {32, 64, 56, 64, 3, 1, 3},
          {32, 64, 56, 256, 1, 1, 4},    {32, 256, 56, 64, 1, 1, 2},    {32, 256, 56, 128, 1, 1, 1},
          {32, 128, 56, 128, 3, 2, 1},   {32, 128, 28, 512, 1, 1, 4},   {32, 256, 56, 512, 1, 2, 1},
          {32, 512, 28, 128, 1, 1, 3},   {32, 128, 28, 128, 3, 1, 3},   {32, 512, 28, 256, 1, 1, 1},
          {32, 256, 28, 256, 3, 2, 1},   {32, 256, 14, 1024, 1, 1, 6},  {32, 512, 28, 1024, 1, 2, 1},
          {32, 1024, 14, 256, 1, 1, 5},  {32, 256, 14, 256, 3, 1, 5},   {32, 1024, 14, 512, 1, 1, 1},
          {32, 512, 14, 512, 3, 2, 1},   {32, 512, 7, 2048, 1, 1, 3},   {32, 1024, 14, 2048, 1, 2, 1},
          {32, 2048, 7, 512, 1, 1, 2},   {32, 512, 7, 512, 3, 1, 2}};
}
std::vector<Conv> resnet20() {
  return {{128, 1, 28, 16, 3, 1, 1},  {128, 16, 28, 16, 3, 1, 6}, {128, 16, 28, 32, 3, 2, 1},
          {128, 32, 14, 32, 3, 1, 5}, {128, 16, 28, 32, 1, 2, 1}, {128, 32, 14, 64, 3, 2, 1},
          {128, 64, 7, 64, 3, 1, 5},  {128, 32, 14, 64, 1, 2, 1}};
}

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Best ms of `reps` runs of primitive p (one warm-up), its arguments allocated from `pd`'s descs.
template <class PD>
double time_pd(const engine& eng, stream& s, const PD& pd, const std::vector<int>& arg_ids, int reps) {
  std::unordered_map<int, memory> args;
  for (int id : arg_ids) {
    const memory::desc md = pd.query_md(query::exec_arg_md, id);
    if (md.get_size() == 0) continue;
    memory m(md, eng);
    std::fill_n(static_cast<char*>(m.get_data_handle()), md.get_size(), 0);
    args[id] = m;
  }
  const memory::desc scratch = pd.scratchpad_desc();
  if (scratch.get_size() > 0) args[DNNL_ARG_SCRATCHPAD] = memory(scratch, eng);
  primitive p(pd);
  p.execute(s, args);
  s.wait();
  double best = 1e30;
  for (int i = 0; i < reps; ++i) {
    const double t0 = now_ms();
    p.execute(s, args);
    s.wait();
    best = std::min(best, now_ms() - t0);
  }
  return best;
}

// Times every implementation of `pd` (and next_impl()s); returns {default ms, best ms, best name}.
template <class PD>
void each_impl(const engine& eng, stream& s, PD pd, const std::vector<int>& ids, int reps, double& first,
               double& best, std::string& best_name, std::string& first_name) {
  first = -1;
  do {
    // oneDNN's reference loops are offered last and are orders of magnitude slower: not candidates.
    if (std::string(pd.impl_info_str()).find("ref") != std::string::npos) continue;
    const double ms = time_pd(eng, s, pd, ids, reps);
    if (first < 0) {
      first = best = ms;
      first_name = best_name = pd.impl_info_str();
    } else if (ms < best) {
      best = ms;
      best_name = pd.impl_info_str();
    }
  } while (pd.next_impl());
}

}  // namespace

int main(int argc, char** argv) {
  const int reps = argc > 1 ? std::atoi(argv[1]) : 3;
  engine eng(engine::kind::cpu, 0);
  stream s(eng);
  const std::vector<std::pair<const char*, std::vector<Conv>>> models = {
      {"resnet18 b32 224", resnet18()}, {"resnet50 b32 224", resnet50()}, {"resnet20 b128 1x28", resnet20()}};
  const std::vector<int> fwd_ids = {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST};
  const std::vector<int> bwd_d_ids = {DNNL_ARG_DIFF_DST, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_SRC};
  const std::vector<int> bwd_w_ids = {DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_WEIGHTS};
  for (const dt type : {dt::f32, dt::bf16}) {
    for (const auto& [model, convs] : models) {
      double step_default = 0, step_best = 0;
      for (const Conv& c : convs) {
        const int pad = c.r / 2, oh = (c.h + 2 * pad - c.r) / c.stride + 1;
        const memory::desc src_any({c.n, c.c, c.h, c.h}, type, tag::any), dst_any({c.n, c.k, oh, oh}, type, tag::any),
            wei({c.k, c.c, c.r, c.r}, type, tag::any), wei_diff({c.k, c.c, c.r, c.r}, dt::f32, tag::any);
        const memory::dims strides = {c.stride, c.stride}, pads = {pad, pad};
        // Activations stay in the layouts the default forward picks, as in dnntrain's plan, where
        // each layer keeps its input's layout; weights are free, since the plan keeps a copy per pass.
        const convolution_forward::primitive_desc fwd_any(eng, prop_kind::forward_training,
                                                          algorithm::convolution_direct, src_any, wei, dst_any,
                                                          strides, pads, pads);
        const memory::desc src = fwd_any.src_desc(), dst = fwd_any.dst_desc();
        const convolution_forward::primitive_desc fwd(eng, prop_kind::forward_training, algorithm::convolution_direct,
                                                      src, wei, dst, strides, pads, pads);
        double f0 = 0, fb = 0, d0 = 0, db = 0, w0 = 0, wb = 0;
        std::string fn, dn, wn, f0n, d0n, w0n;
        each_impl(eng, s, fwd, fwd_ids, reps, f0, fb, fn, f0n);
        if (c.c > 3) {  // the stem computes no input gradient
          const convolution_backward_data::primitive_desc bwd_d(eng, algorithm::convolution_direct, src, wei, dst,
                                                                strides, pads, pads, fwd);
          each_impl(eng, s, bwd_d, bwd_d_ids, reps, d0, db, dn, d0n);
        }
        const convolution_backward_weights::primitive_desc bwd_w(eng, algorithm::convolution_direct, src,
                                                                 type == dt::bf16 ? wei_diff : wei, dst, strides,
                                                                 pads, pads, fwd);
        each_impl(eng, s, bwd_w, bwd_w_ids, reps, w0, wb, wn, w0n);
        step_default += c.count * (f0 + d0 + w0);
        step_best += c.count * (fb + db + wb);
        std::printf("%s %s %dx%d %d->%d s%d x%d | fwd %.2f ms (%s) best %.2f (%s) | bwd_d %.2f best %.2f (%s) | "
                    "bwd_w %.2f (%s) best %.2f (%s)\n",
                    type == dt::f32 ? "f32" : "bf16", model, c.r, c.r, c.c, c.k, c.stride, c.count, f0, f0n.c_str(),
                    fb, fn.c_str(), d0, db, dn.c_str(), w0, w0n.c_str(), wb, wn.c_str());
        std::fflush(stdout);
      }
      std::printf("== %s %s: convolutions %.1f ms per step with the default implementations, %.1f ms with the "
                  "fastest of each pass: %.1f %% less\n",
                  type == dt::f32 ? "f32" : "bf16", model, step_default, step_best,
                  100 * (1 - step_best / step_default));
    }
  }
  return 0;
}
