// Formatting of bench results.
#include "apps/bench_report.hpp"

#include <fmt/format.h>

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

}  // namespace

std::string bench_text(const BenchReport& r) {
  const auto& c = r.config;
  std::string out = fmt::format("{} batch {} input {}x{}x{} classes {} threads {}\n", c.model, c.batch,
                                c.in_channels, c.image_size, c.image_size, c.classes, r.threads);
  out += fmt::format("train  {:9.2f} images/s  ({:.1f} ms/step: forward + backward + SGD update)\n",
                     c.batch / r.train_step_seconds, 1e3 * r.train_step_seconds);
  out += fmt::format("infer  {:9.2f} images/s  ({:.1f} ms/step: forward, eval mode)\n",
                     c.batch / r.infer_step_seconds, 1e3 * r.infer_step_seconds);
  const auto& m = r.memory;
  out += fmt::format(
      "memory planned {:.1f} MiB (activations and their gradients {:.1f}, {:.1f} without reuse by liveness; "
      "weights {:.1f} + grads {:.1f}; persistent {:.1f}; scratchpad {:.1f}); peak RSS {:.1f} MiB\n",
      mib(m.total()), mib(m.transient), mib(m.transient_unshared), mib(m.weights), mib(m.grads),
      mib(m.persistent), mib(m.scratchpad), mib(r.peak_rss_bytes));
  if (r.layers.empty()) return out;
  double total = 0, primitives = 0;
  for (const auto& l : r.layers) {
    total += l.forward_ms + l.backward_ms;
    primitives += l.forward_primitive_ms + l.backward_primitive_ms;
  }
  out += fmt::format("\n{:<28} {:>9} {:>9} {:>9} {:>9} {:>7}\n", "layer (profiled)", "fwd ms", "bwd ms", "other ms",
                     "fwd GF/s", "share");
  for (const auto& l : r.layers) {
    const std::string gflops = l.forward_flops > 0 ? fmt::format("{:.1f}", l.forward_flops / (l.forward_ms * 1e6)) : "";
    const double other = l.forward_ms + l.backward_ms - l.forward_primitive_ms - l.backward_primitive_ms;
    out += fmt::format("{:<28} {:>9.3f} {:>9.3f} {:>9.3f} {:>9} {:>6.1f}%\n", l.name, l.forward_ms, l.backward_ms,
                       other, gflops, 100.0 * (l.forward_ms + l.backward_ms) / total);
  }
  out += fmt::format("{:<28} {:.1f} ms per profiled step, {:.1f} ms of it inside oneDNN primitives, {:.1f} ms "
                     "elsewhere (layers wait for each other)\n",
                     "total", total, primitives, total - primitives);
  return out;
}

std::string bench_json(const BenchReport& r) {
  const auto& c = r.config;
  std::string layers;
  for (const auto& l : r.layers)
    layers += fmt::format(
        "{}{{\"name\":\"{}\",\"forward_ms\":{:.4f},\"backward_ms\":{:.4f},\"forward_primitive_ms\":{:.4f},"
        "\"backward_primitive_ms\":{:.4f},\"forward_gflop\":{:.6f}}}",
        layers.empty() ? "" : ",", escape(l.name), l.forward_ms, l.backward_ms, l.forward_primitive_ms,
        l.backward_primitive_ms, l.forward_flops / 1e9);
  return fmt::format(
      "{{\"model\":\"{}\",\"batch\":{},\"image_size\":{},\"in_channels\":{},\"classes\":{},\"threads\":{},"
      "\"train_images_per_sec\":{:.4f},\"infer_images_per_sec\":{:.4f},\"train_step_ms\":{:.3f},"
      "\"infer_step_ms\":{:.3f},\"planned_bytes\":{},\"peak_rss_bytes\":{},\"layers\":[{}]}}\n",
      c.model, c.batch, c.image_size, c.in_channels, c.classes, r.threads, c.batch / r.train_step_seconds,
      c.batch / r.infer_step_seconds, 1e3 * r.train_step_seconds, 1e3 * r.infer_step_seconds, r.memory.total(),
      r.peak_rss_bytes, layers);
}

}  // namespace dnntrain::apps
