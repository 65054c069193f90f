// perf_data: samples/s of the data pipeline (CIFAR preset on synthetic CIFAR-shaped data; JPEG
// 500x375 decode + RandomResizedCrop 224 + flip) per thread count and core-sharing policy, and the
// time a stand-in 2-thread OpenMP "training step" waits for data. Reports; never asserts.
#include <omp.h>
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>
// jpeglib.h needs FILE and size_t declared first.
#include <jpeglib.h>

#include "data/image_folder.hpp"
#include "data/pipeline.hpp"
#include "data/synthetic.hpp"

using namespace dnntrain::data;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Writes `count` 500x375 RGB JPEGs (quality 90; smooth gradients plus noise, so entropy decoding does
// real work) into root/train/class{0,1}/.
void write_jpegs(const fs::path& root, int count) {
  std::vector<uint8_t> row(500 * 3);
  for (int i = 0; i < count; ++i) {
    const fs::path dir = root / "train" / ("class" + std::to_string(i % 2));
    fs::create_directories(dir);
    const std::string file = (dir / (std::to_string(i) + ".jpg")).string();
    FILE* f = std::fopen(file.c_str(), "wb");
    jpeg_compress_struct cinfo;
    jpeg_error_mgr jerr;
    cinfo.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&cinfo);
    jpeg_stdio_dest(&cinfo, f);
    cinfo.image_width = 500;
    cinfo.image_height = 375;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, 90, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    uint32_t noise = 12345u + i;
    while (cinfo.next_scanline < 375) {
      const int y = static_cast<int>(cinfo.next_scanline);
      for (int x = 0; x < 500; ++x) {
        noise = noise * 1664525u + 1013904223u;
        const int n = static_cast<int>(noise >> 28);
        row[3 * x] = static_cast<uint8_t>((x + i * 7) / 2 + n);
        row[3 * x + 1] = static_cast<uint8_t>(y / 2 + n);
        row[3 * x + 2] = static_cast<uint8_t>((x + y) / 4 + n);
      }
      JSAMPROW r = row.data();
      jpeg_write_scanlines(&cinfo, &r, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    std::fclose(f);
  }
}

// Samples/s over `epochs` epochs (after one warm-up epoch).
double throughput(Pipeline& p, int epochs) {
  BatchView b;
  p.start_epoch(100);
  while (p.next(b)) {
  }
  int64_t samples = 0;
  const auto t0 = Clock::now();
  for (int e = 0; e < epochs; ++e) {
    p.start_epoch(static_cast<uint64_t>(e));
    while (p.next(b)) samples += b.n;
  }
  return static_cast<double>(samples) / seconds_since(t0);
}

const char* name(CoreSharing s) { return s == CoreSharing::in_steps ? "in_steps" : "background"; }

// A stand-in for a training step: an OpenMP-parallel float loop of fixed work (~`ms` ms on 2 cores).
volatile float sink;
void fake_step(std::vector<float>& buf, int reps) {
  float total = 0.0f;
#pragma omp parallel for reduction(+ : total) schedule(static)
  for (int64_t i = 0; i < static_cast<int64_t>(buf.size()); ++i) {
    float v = buf[static_cast<size_t>(i)];
    for (int r = 0; r < reps; ++r) v = v * 0.999f + 0.001f;
    total += v;
  }
  sink = total;
}

}  // namespace

int main() {
  std::printf("perf_data: %u hardware threads, OpenMP max threads %d\n\n", std::thread::hardware_concurrency(),
              omp_get_max_threads());
  // 1. CIFAR preset (pad 4 + random crop 32 + flip + normalise), 50,000 synthetic 3x32x32 in memory.
  auto cifar = std::shared_ptr<const Dataset>(make_synthetic({50000, 3, 32, 32, 10, 1}));
  std::printf("CIFAR preset, batch 128, 3 epochs of 50,000 (synthetic CIFAR-shaped data in RAM):\n");
  for (CoreSharing sharing : {CoreSharing::in_steps, CoreSharing::background}) {
    for (int threads : {1, 2}) {
      PipelineSettings s;
      s.batch_size = 128;
      s.threads = threads;
      s.sharing = sharing;
      Pipeline p(cifar, SampleTransform(DatasetKind::cifar10, *cifar, {}, true), s);
      std::printf("  %-10s threads %d: %9.0f samples/s\n", name(sharing), threads, throughput(p, 3));
    }
  }

  // 2. JPEG 500x375 decode + RandomResizedCrop 224 + flip + normalise.
  char tmpl[] = "/tmp/dnntrain-perf-jpeg-XXXXXX";
  const fs::path root = mkdtemp(tmpl);
  const int jpeg_count = 256;
  write_jpegs(root, jpeg_count);
  auto folder = std::make_shared<ImageFolderDataset>(root, Split::train);
  std::printf("\nJPEG 500x375 q90 decode + RandomResizedCrop 224 + flip, batch 32, %d files, 2 epochs:\n",
              jpeg_count);
  for (int threads : {1, 2}) {
    PipelineSettings s;
    s.batch_size = 32;
    s.threads = threads;
    s.sharing = CoreSharing::background;
    Pipeline p(folder, SampleTransform(DatasetKind::imagefolder, *folder, {}, true), s);
    std::printf("  background threads %d: %7.1f samples/s\n", threads, throughput(p, 2));
  }
  {
    PipelineSettings s;
    s.batch_size = 32;
    s.training = false;
    s.threads = 1;
    s.sharing = CoreSharing::in_steps;
    Pipeline p(folder, SampleTransform(DatasetKind::imagefolder, *folder, {}, false), s);
    std::printf("  eval (Resize 256 + CenterCrop 224) threads 1: %7.1f samples/s\n", throughput(p, 2));
  }

  // 3. Core sharing: a stand-in 2-thread OpenMP step per batch, fed from a ready buffer or a pipeline.
  std::vector<float> work(1 << 20, 1.0f);
  const int reps = 40;
  const int steps = 150;
  auto time_steps = [&](Pipeline* p) {
    BatchView b;
    if (p) p->start_epoch(0);
    const auto t0 = Clock::now();
    for (int i = 0; i < steps; ++i) {
      if (p && !p->next(b)) p->start_epoch(static_cast<uint64_t>(i)), p->next(b);
      fake_step(work, reps);
    }
    return std::pair<double, double>{seconds_since(t0) / steps * 1e3, p ? p->wait_seconds() / steps * 1e3 : 0.0};
  };
  fake_step(work, reps);
  const auto alone = time_steps(nullptr);
  std::printf("\nCore sharing: stand-in OpenMP step (%d threads) + CIFAR batch 128 per step, %d steps:\n",
              omp_get_max_threads(), steps);
  std::printf("  ready buffer (no pipeline):        step %6.2f ms\n", alone.first);
  struct Case {
    CoreSharing sharing;
    int threads;
  };
  for (Case c : {Case{CoreSharing::in_steps, 1}, Case{CoreSharing::in_steps, 2}, Case{CoreSharing::background, 1},
                 Case{CoreSharing::background, 2}}) {
    PipelineSettings s;
    s.batch_size = 128;
    s.threads = c.threads;
    s.sharing = c.sharing;
    Pipeline p(cifar, SampleTransform(DatasetKind::cifar10, *cifar, {}, true), s);
    const auto r = time_steps(&p);
    std::printf("  %-10s threads %d:  step+data %6.2f ms, of which next() %5.2f ms\n", name(c.sharing), c.threads,
                r.first, r.second);
  }
  fs::remove_all(root);
  return 0;
}
