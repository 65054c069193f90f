// bench's roofline fields through the real executable: the peak and the triad measured, per-layer
// flop counts equal to the closed form 2·N·Cout·H·W·Cin·k² (backward: weights, plus data where it
// runs) and byte counts equal to the tensors read and written, and the min <= median <= max steps.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "tests/apps/cli_run.hpp"

using namespace dnntrain::test;

TEST_CASE("bench --json carries the peak and GFLOP/s forward and backward per layer and per step") {
  const auto json = scratch_dir("bench_roofline") / "bench.json";
  const auto r = run_cli(
      "bench --model resnet20 --image-size 8 --in-channels 3 --classes 10 -b 16 --threads 1 --steps 1 "
      "--warmup 0 "
      "--profile-steps 1 --json");
  REQUIRE(r.code == 0);
  std::ofstream(json) << r.out;
  // Python's json module reads the object; prints the figures the checks below need.
  const auto fields = run_shell(
      "/usr/bin/python3 -c \"import json,sys; d=json.load(open(sys.argv[1])); L={l['name']: l for l in "
      "d['layers']}; "
      "print(d['peak']['f32_gflops_per_sec'], d['step']['forward_gflop'], d['step']['backward_gflop'], "
      "d['step']['train_peak_share'], L['conv1']['forward_gflop'], L['conv1']['backward_gflop'], "
      "L['layer1.0.conv1']['forward_gflop'], L['layer1.0.conv1']['backward_gflop'], "
      "L['layer1.0.conv1']['forward_gflops_per_sec'], L['layer1.0.conv1']['forward_peak_share'], "
      "L['fc']['backward_gflop'], d['peak']['triad_gbytes_per_sec'], L['layer1.0.conv1']['forward_bytes'], "
      "L['layer1.0.conv1']['backward_bytes'], d['train_step_ms_min'], d['train_step_ms'], d['train_step_ms_max'], "
      "L['layer1.0.bn1']['roof_ms'], d['steal_share'])\" " +
      json.string());
  INFO(r.out << r.err << fields.out << fields.err);
  REQUIRE(fields.code == 0);
  std::istringstream in(fields.out);
  double peak, step_fwd, step_bwd, step_share, stem_fwd, stem_bwd, conv_fwd, conv_bwd, conv_rate, conv_share,
      fc_bwd, triad, conv_fwd_bytes, conv_bwd_bytes, step_min, step_median, step_max, bn_roof, steal;
  in >> peak >> step_fwd >> step_bwd >> step_share >> stem_fwd >> stem_bwd >> conv_fwd >> conv_bwd >>
      conv_rate >> conv_share >> fc_bwd >> triad >> conv_fwd_bytes >> conv_bwd_bytes >> step_min >> step_median >>
      step_max >> bn_roof >> steal;
  CHECK(peak > 0);
  const double stem = 2.0 * 16 * 16 * 8 * 8 * 3 * 9 / 1e9;    // 3 -> 16 channels, 3x3, 8x8
  const double block = 2.0 * 16 * 16 * 8 * 8 * 16 * 9 / 1e9;  // 16 -> 16 channels
  CHECK(stem_fwd == doctest::Approx(stem).epsilon(1e-5));
  CHECK(stem_bwd == doctest::Approx(stem).epsilon(1e-5));  // the first conv computes no input gradient
  CHECK(conv_fwd == doctest::Approx(block).epsilon(1e-5));
  CHECK(conv_bwd == doctest::Approx(2 * block).epsilon(1e-5));
  CHECK(fc_bwd == doctest::Approx(2 * 2.0 * 16 * 64 * 10 / 1e9).epsilon(1e-3));
  CHECK(step_bwd > 1.9 * step_fwd - stem);
  CHECK(conv_share == doctest::Approx(conv_rate / peak).epsilon(1e-3));
  CHECK(step_share > 0);
  // Bytes of a 16 -> 16 channel 3x3 convolution at 16 x 8 x 8, f32: activation x, weights w.
  const double x = 16.0 * 16 * 8 * 8 * 4, w = 16.0 * 16 * 9 * 4;
  CHECK(conv_fwd_bytes == x + w + x);                  // reads x and w, writes y
  CHECK(conv_bwd_bytes == x + x + w + x + w);          // reads dy, x, w; writes dx, dw
  CHECK(triad > 0);
  CHECK(bn_roof > 0);                                  // batch norm has a bandwidth roof
  CHECK(step_min <= step_median);
  CHECK(step_median <= step_max);
  CHECK(steal >= 0);
}
