// Formatting of bench results.
#include "apps/bench_report.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "apps/precision_json.hpp"

namespace dnntrain::apps {

namespace {

double mib(size_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

std::string escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out;
}

// GFLOP/s of `flops` in `ms` milliseconds (0 when either is 0).
double rate(double flops, double ms) { return flops > 0 && ms > 0 ? flops / (ms * 1e6) : 0; }

// The peak a rate compares with: bf16's for bf16 layers and graphs, else f32's (0: not measured).
double peak_for(const PeakFlops& peak, bool bf16) { return bf16 ? peak.bf16_gflops : peak.f32_gflops; }

// "37.5%" of the peak, or "" when there is no rate or no peak.
std::string percent(double gflops, double peak) {
  return gflops > 0 && peak > 0 ? fmt::format("{:.1f}%", 100 * gflops / peak) : "";
}

// The time the roofs allow layer l, in ms: its FLOPs at the peak or its bytes at the triad's
// bandwidth, whichever takes longer (0 when a roof was not measured).
double roof_ms(const engine::LayerTime& l, const PeakFlops& peak) {
  const double p = peak_for(peak, l.bf16);
  if (p <= 0 || peak.triad_gbytes <= 0) return 0;
  return std::max((l.forward_flops + l.backward_flops) / (p * 1e6),
                  (l.forward_bytes + l.backward_bytes) / (peak.triad_gbytes * 1e6));
}

// FLOPs per byte moved, forward and backward together.
double intensity(const engine::LayerTime& l) {
  const double bytes = l.forward_bytes + l.backward_bytes;
  return bytes > 0 ? (l.forward_flops + l.backward_flops) / bytes : 0;
}

struct Roofline {
  double forward_gflop = 0, backward_gflop = 0;    // per step, over all layers
  double forward_ms = 0, backward_ms = 0;          // profiled, summed over layers
  double forward_gflops = 0, backward_gflops = 0;  // profiled rates
  double train_gflops = 0;                         // (forward + backward) / the timed train step
};

Roofline roofline(const BenchReport& r) {
  Roofline s;
  for (const auto& l : r.layers) {
    s.forward_gflop += l.forward_flops / 1e9;
    s.backward_gflop += l.backward_flops / 1e9;
    s.forward_ms += l.forward_ms;
    s.backward_ms += l.backward_ms;
  }
  s.forward_gflops = rate(s.forward_gflop * 1e9, s.forward_ms);
  s.backward_gflops = rate(s.backward_gflop * 1e9, s.backward_ms);
  s.train_gflops = rate((s.forward_gflop + s.backward_gflop) * 1e9, 1e3 * r.train_step_seconds);
  return s;
}

std::pair<double, double> min_max(const std::vector<double>& v, double fallback) {
  if (v.empty()) return {fallback, fallback};
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  return {*lo, *hi};
}

}  // namespace

std::string bench_text(const BenchReport& r) {
  const auto& c = r.config;
  const bool bf16 = c.precision == engine::Precision::bf16;
  const double step_peak = peak_for(r.peak, bf16);
  std::string out = fmt::format("{} batch {} input {}x{}x{} classes {} threads {} precision {}\n", c.model,
                                c.batch, c.in_channels, c.image_size, c.image_size, c.classes, r.threads,
                                engine::precision_name(c.precision));
  out += describe(r.runtime) + "\n";
  if (r.precision_auto) out += engine::describe(*r.precision_auto) + "\n";
  const auto [fastest, slowest] = min_max(r.train_steps, r.train_step_seconds);
  out += fmt::format(
      "train  {:9.2f} images/s  ({:.1f} ms/step, the median of {} steps: min {:.1f}, max {:.1f}; forward + "
      "backward + optimizer update, {:.1f} ms of it)\n",
      c.batch / r.train_step_seconds, 1e3 * r.train_step_seconds, r.train_steps.size(), 1e3 * fastest,
      1e3 * slowest, 1e3 * r.update_seconds);
  out += load_warning(r.load);
  out += fmt::format(
      "infer  {:9.2f} images/s  ({:.1f} ms/step: the folded inference plan, activations {:.1f} MiB; the "
      "training graph in eval mode: {:.2f} images/s)\n",
      c.batch / r.infer_step_seconds, 1e3 * r.infer_step_seconds, mib(r.inference.activations),
      c.batch / r.infer_unfolded_step_seconds);
  const auto& m = r.memory;
  out += fmt::format(
      "memory planned {:.1f} MiB (activations and their gradients {:.1f}, {:.1f} without reuse by liveness; "
      "weights {:.1f} + grads {:.1f}; persistent {:.1f}; scratchpad {:.1f}); peak RSS {:.1f} MiB\n",
      mib(m.total()), mib(m.transient), mib(m.transient_unshared), mib(m.weights), mib(m.grads),
      mib(m.persistent), mib(m.scratchpad), mib(r.peak_rss_bytes));
  const Roofline step = roofline(r);
  if (r.peak.f32_gflops > 0) {
    out += fmt::format("peak   {:.1f} GFLOP/s f32 ({}, {} threads)", r.peak.f32_gflops, r.peak.f32_isa,
                       r.peak.threads);
    out += r.peak.bf16_gflops > 0 ? fmt::format(", {:.1f} GFLOP/s bf16 ({})", r.peak.bf16_gflops, r.peak.bf16_isa) : "";
    out += fmt::format("; memory {:.1f} GB/s (STREAM triad)\n", r.peak.triad_gbytes);
    out += fmt::format(
        "step   {:.2f} GFLOP forward + {:.2f} GFLOP backward per step: {:.1f} GFLOP/s in the timed "
        "train step, {} of the {} peak\n",
        step.forward_gflop, step.backward_gflop, step.train_gflops, percent(step.train_gflops, step_peak),
        engine::precision_name(c.precision));
  }
  if (r.layers.empty()) return out;
  if (!r.tuned_layers.empty()) {
    out += fmt::format("\n{:<28} {:>8} {:>8} {:>8} {:>7}\n", "precision auto, per layer", "f32 ms", "bf16 ms",
                       "bf16/f32", "repeats");
    for (const auto& l : r.tuned_layers)
      out += fmt::format("{:<28} {:>8.3f} {:>8.3f} {:>8} {:>7}\n", l.name, l.f32_ms, l.bf16_ms,
                         l.f32_ms > 0 && l.bf16_ms > 0 ? fmt::format("{:.2f}", l.bf16_ms / l.f32_ms) : "",
                         l.repeats);
    out += "(forward + backward of the model with at most two blocks per stage that auto timed; a stage's "
           "second block stands for its repeats)\n";
  }
  double total = 0, primitives = 0;
  for (const auto& l : r.layers) {
    total += l.forward_ms + l.backward_ms;
    primitives += l.forward_primitive_ms + l.backward_primitive_ms;
  }
  out += fmt::format("\n{:<28} {:>8} {:>8} {:>8} {:>8} {:>8} {:>6} {:>6} {:>6} {:>6} {:>6}\n",
                     "layer (profiled)", "fwd ms", "bwd ms", "other ms", "fwd GF/s", "bwd GF/s", "fwd pk", "bwd pk",
                     "F/B", "roof", "time");
  bool over_peak = false;
  for (const auto& l : r.layers) {
    const double fwd = rate(l.forward_flops, l.forward_ms), bwd = rate(l.backward_flops, l.backward_ms);
    const double other = l.forward_ms + l.backward_ms - l.forward_primitive_ms - l.backward_primitive_ms;
    const double pk = peak_for(r.peak, l.bf16), roof = roof_ms(l, r.peak);
    over_peak = over_peak || (pk > 0 && (fwd > pk || bwd > pk));
    out += fmt::format("{:<28} {:>8.3f} {:>8.3f} {:>8.3f} {:>8} {:>8} {:>6} {:>6} {:>6.1f} {:>6} {:>5.1f}%\n", l.name,
                       l.forward_ms, l.backward_ms, other, fwd > 0 ? fmt::format("{:.1f}", fwd) : "",
                       bwd > 0 ? fmt::format("{:.1f}", bwd) : "", percent(fwd, pk), percent(bwd, pk), intensity(l),
                       roof > 0 ? fmt::format("{:.0f}%", 100 * roof / (l.forward_ms + l.backward_ms)) : "",
                       100.0 * (l.forward_ms + l.backward_ms) / total);
  }
  out += fmt::format("{:<28} {:>8.3f} {:>8.3f} {:>8.3f} {:>8.1f} {:>8.1f} {:>6} {:>6}\n",
                     "whole step (profiled)", step.forward_ms, step.backward_ms, total - primitives,
                     step.forward_gflops, step.backward_gflops, percent(step.forward_gflops, step_peak),
                     percent(step.backward_gflops, step_peak));
  out += fmt::format(
      "{:<28} {:.1f} ms per profiled step, {:.1f} ms of it inside oneDNN primitives, {:.1f} ms in "
      "dnntrain's own kernels and host code (\"other ms\": batch norm's passes, the loss, gradient "
      "bookkeeping)\n",
      "total", total, primitives, total - primitives);
  out +=
      "F/B: FLOPs per byte of the tensors read and written; roof: the time the peak or the triad's bandwidth "
      "allows (whichever is longer) as a share of the measured time\n";
  if (over_peak)
    out +=
        "over 100 % of the peak: a layer's FLOPs are counted as 2·N·K·C·R·S·P·Q, which includes the products "
        "with the zero padding that oneDNN's kernels skip (a 3x3 convolution at 7x7 does 82 % of its count), "
        "and a layer profiled for a few milliseconds can run while the other core is idle\n";
  return out;
}

std::string bench_json(const BenchReport& r) {
  const auto& c = r.config;
  const bool bf16 = c.precision == engine::Precision::bf16;
  const auto share_of = [&](double gflops, bool bf16_rate) {
    const double peak = peak_for(r.peak, bf16_rate);
    return peak > 0 ? gflops / peak : 0.0;
  };
  const auto share = [&](double gflops) { return share_of(gflops, bf16); };
  std::string layers;
  for (const auto& l : r.layers) {
    const double fwd = rate(l.forward_flops, l.forward_ms), bwd = rate(l.backward_flops, l.backward_ms);
    layers += fmt::format(
        "{}{{\"name\":\"{}\",\"forward_ms\":{:.4f},\"backward_ms\":{:.4f},\"forward_primitive_ms\":{:.4f},"
        "\"backward_primitive_ms\":{:.4f},\"forward_gflop\":{:.6f},\"backward_gflop\":{:.6f},"
        "\"forward_bytes\":{:.0f},\"backward_bytes\":{:.0f},\"roof_ms\":{:.4f},"
        "\"forward_gflops_per_sec\":{:.3f},\"backward_gflops_per_sec\":{:.3f},\"forward_peak_share\":{:.5f},"
        "\"backward_peak_share\":{:.5f}}}",
        layers.empty() ? "" : ",", escape(l.name), l.forward_ms, l.backward_ms, l.forward_primitive_ms,
        l.backward_primitive_ms, l.forward_flops / 1e9, l.backward_flops / 1e9, l.forward_bytes, l.backward_bytes,
        roof_ms(l, r.peak), fwd, bwd, share_of(fwd, l.bf16),
        share_of(bwd, l.bf16));
  }
  const Roofline s = roofline(r);
  const std::string roof = fmt::format(
      "\"peak\":{{\"threads\":{},\"f32_isa\":\"{}\",\"f32_gflops_per_sec\":{:.3f},\"bf16_isa\":\"{}\","
      "\"bf16_gflops_per_sec\":{:.3f},\"triad_gbytes_per_sec\":{:.3f}}},"
      "\"step\":{{\"forward_gflop\":{:.6f},\"backward_gflop\":{:.6f},\"forward_gflops_per_sec\":{:.3f},"
      "\"backward_gflops_per_sec\":{:.3f},\"forward_peak_share\":{:.5f},\"backward_peak_share\":{:.5f},"
      "\"train_gflops_per_sec\":{:.3f},\"train_peak_share\":{:.5f}}}",
      r.peak.threads, r.peak.f32_isa, r.peak.f32_gflops, r.peak.bf16_isa, r.peak.bf16_gflops, r.peak.triad_gbytes, s.forward_gflop,
      s.backward_gflop, s.forward_gflops, s.backward_gflops, share(s.forward_gflops),
      share(s.backward_gflops), s.train_gflops, share(s.train_gflops));
  return fmt::format(
      "{{\"model\":\"{}\",\"precision\":\"{}\",\"batch\":{},\"image_size\":{},\"in_channels\":{},"
      "\"classes\":{},\"threads\":{},\"onednn\":{{\"version\":\"{}\",\"runtime\":\"{}\",\"isa\":\"{}\"}},"
      "\"train_images_per_sec\":{:.4f},\"infer_images_per_sec\":{:.4f},\"infer_unfolded_images_per_sec\":{:.4f},"
      "\"inference_activation_bytes\":{},\"train_step_ms\":{:.3f},"
      "\"infer_step_ms\":{:.3f},\"update_ms\":{:.3f},\"train_step_ms_min\":{:.3f},\"train_step_ms_max\":{:."
      "3f},\"steal_share\":{:.5f},\"run_queue_wait_share\":{:.5f},\"precision_auto\":{},"
      "\"planned_bytes\":{},\"peak_rss_bytes\":{},{},\"layers\":[{}]}}\n",
      c.model, engine::precision_name(c.precision), c.batch, c.image_size, c.in_channels, c.classes, r.threads,
      r.runtime.onednn_version, r.runtime.threading, r.runtime.isa, c.batch / r.train_step_seconds,
      c.batch / r.infer_step_seconds, c.batch / r.infer_unfolded_step_seconds, r.inference.activations,
      1e3 * r.train_step_seconds, 1e3 * r.infer_step_seconds,
      1e3 * r.update_seconds, 1e3 * min_max(r.train_steps, r.train_step_seconds).first,
      1e3 * min_max(r.train_steps, r.train_step_seconds).second, r.load.steal, r.load.run_queue_wait,
      precision_auto_json(r.precision_auto), r.memory.total(), r.peak_rss_bytes, roof, layers);
}

}  // namespace dnntrain::apps
