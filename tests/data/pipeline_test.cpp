// The pipeline: identical batches for 1 and 2 threads and both core-sharing policies, every sample
// exactly once per epoch (also across 2 and 3 shards), drop-last in training, per-epoch shuffles,
// clean shutdown mid-epoch, and worker errors reaching the consumer.
#include "data/pipeline.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>

#include "data/image_folder.hpp"
#include "data/synthetic.hpp"
#include "engine/error.hpp"
#include "tests/data/test_files.hpp"

using namespace dnntrain::data;
using namespace dnntrain::data::test;

namespace {

// A dataset whose label is its index, so the labels of a batch say which samples it holds.
std::shared_ptr<const Dataset> indexed(int64_t n) {
  auto syn = make_synthetic({n, 3, 8, 8, 10, 9});
  std::vector<int32_t> labels(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) labels[size_t(i)] = int32_t(i);
  return std::make_shared<InMemoryDataset>(syn->pixels(), labels, Dataset::Shape{3, 8, 8}, int(n),
                                           std::vector<std::string>{}, std::vector<int64_t>{});
}

struct Epoch {
  std::vector<std::vector<float>> images;
  std::vector<int32_t> labels;  // concatenated
  std::vector<int> sizes;
};

Epoch run_epoch(Pipeline& p, uint64_t epoch) {
  Epoch e;
  p.start_epoch(epoch);
  BatchView b;
  while (p.next(b)) {
    e.images.emplace_back(b.images, b.images + int64_t(b.n) * b.channels * b.height * b.width);
    e.labels.insert(e.labels.end(), b.labels, b.labels + b.n);
    e.sizes.push_back(b.n);
  }
  return e;
}

Pipeline make(std::shared_ptr<const Dataset> ds, PipelineSettings s,
              AugmentPreset augment = AugmentPreset::standard) {
  TransformSettings t;
  t.augment = augment;
  SampleTransform transform(DatasetKind::synthetic, *ds, t, s.training);
  return Pipeline(std::move(ds), std::move(transform), s);
}

}  // namespace

TEST_CASE("pipeline: batches are bit-identical for 1 and 2 threads and for both policies") {
  auto ds = indexed(200);
  std::vector<Epoch> runs;
  for (CoreSharing sharing : {CoreSharing::in_steps, CoreSharing::background}) {
    for (int threads : {1, 2}) {
      PipelineSettings s;
      s.batch_size = 32;
      s.threads = threads;
      s.sharing = sharing;
      s.seed = 42;
      Pipeline p = make(ds, s);
      CHECK(p.threads() == threads);
      CHECK(p.sharing() == sharing);
      runs.push_back(run_epoch(p, 3));
    }
  }
  REQUIRE(runs[0].images.size() == 6);  // 200 / 32, last partial batch dropped in training
  for (size_t r = 1; r < runs.size(); ++r) {
    CAPTURE(r);
    CHECK(runs[r].labels == runs[0].labels);
    CHECK(runs[r].images == runs[0].images);  // exact float equality
  }
}

TEST_CASE("pipeline: epochs shuffle differently, reproducibly, no-shuffle keeps file order") {
  auto ds = indexed(64);
  PipelineSettings s;
  s.batch_size = 16;
  Pipeline p = make(ds, s);
  const Epoch e0 = run_epoch(p, 0), e1 = run_epoch(p, 1), e0_again = run_epoch(p, 0);
  CHECK(e0.labels != e1.labels);
  CHECK(e0.labels == e0_again.labels);
  CHECK(e0.images == e0_again.images);
  s.shuffle = false;
  Pipeline q = make(ds, s);
  const Epoch ordered = run_epoch(q, 5);
  for (size_t i = 0; i < ordered.labels.size(); ++i) CHECK(ordered.labels[i] == int32_t(i));
}

TEST_CASE("pipeline: evaluation keeps the last partial batch and sees every sample once") {
  auto ds = indexed(103);
  PipelineSettings s;
  s.batch_size = 10;
  s.training = false;
  Pipeline p = make(ds, s);
  const Epoch e = run_epoch(p, 0);
  CHECK(e.sizes.size() == 11);
  CHECK(e.sizes.back() == 3);
  std::vector<int32_t> sorted = e.labels;
  std::sort(sorted.begin(), sorted.end());
  for (int32_t i = 0; i < 103; ++i) REQUIRE(sorted[size_t(i)] == i);
  // Evaluation with preset none is the identity: the pixels are the sample's own, normalised.
  const float v = e.images[0][1];  // batch 0, sample 0, channel 0, (0, 1)
  const auto& mem = dynamic_cast<const InMemoryDataset&>(*ds);
  CHECK(v == (float(mem.pixels()[size_t(e.labels[0]) * 192 + 1]) / 255.0f - 0.5f) / 0.2887f);
}

TEST_CASE("pipeline: shards together read every sample exactly once (2 and 3 shards)") {
  auto ds = indexed(103);
  for (int world : {2, 3}) {
    CAPTURE(world);
    std::vector<int> count(103, 0);
    std::vector<int> train_count(103, 0);
    for (int rank = 0; rank < world; ++rank) {
      PipelineSettings s;
      s.batch_size = 8;
      s.training = false;
      s.rank = rank;
      s.world_size = world;
      s.seed = 5;
      Pipeline eval = make(ds, s);
      for (int32_t l : run_epoch(eval, 2).labels) ++count[size_t(l)];
      s.training = true;
      Pipeline train = make(ds, s);
      const Epoch e = run_epoch(train, 2);
      // Training: equal shards of floor(103 / W), full batches only, no sample twice.
      CHECK(int64_t(e.labels.size()) == (103 / world) / 8 * 8);
      for (int32_t l : e.labels) ++train_count[size_t(l)];
    }
    for (int c : count) REQUIRE(c == 1);
    for (int c : train_count) REQUIRE(c <= 1);
  }
}

TEST_CASE("pipeline: augmentation is keyed by sample, not by position or shard") {
  auto ds = indexed(48);
  PipelineSettings one;
  one.batch_size = 48;
  one.seed = 8;
  Pipeline whole = make(ds, one);
  const Epoch all = run_epoch(whole, 1);
  std::map<int32_t, std::vector<float>> by_label;
  for (size_t i = 0; i < 48; ++i)
    by_label[all.labels[i]] = std::vector<float>(all.images[0].begin() + long(i * 192),
                                                 all.images[0].begin() + long((i + 1) * 192));
  PipelineSettings half = one;
  half.batch_size = 8;
  half.world_size = 2;
  half.rank = 1;
  half.threads = 2;
  half.sharing = CoreSharing::background;
  Pipeline shard = make(ds, half);
  const Epoch part = run_epoch(shard, 1);
  REQUIRE(part.labels.size() == 24);
  for (size_t i = 0; i < 24; ++i) {
    const auto& img = part.images[i / 8];
    CHECK(std::equal(img.begin() + long((i % 8) * 192), img.begin() + long((i % 8 + 1) * 192),
                     by_label[part.labels[i]].begin()));
  }
}

TEST_CASE("pipeline: destruction and restarts mid-epoch neither hang nor crash") {
  auto ds = indexed(400);
  for (int threads : {1, 2}) {
    PipelineSettings s;
    s.batch_size = 16;
    s.threads = threads;
    s.prefetch = 3;
    s.sharing = CoreSharing::background;
    {
      Pipeline p = make(ds, s);
      p.start_epoch(0);
      BatchView b;
      REQUIRE(p.next(b));
      p.start_epoch(1);  // abandons epoch 0
      REQUIRE(p.next(b));
      REQUIRE(p.next(b));
    }                             // destroyed with the producer mid-epoch
    Pipeline idle = make(ds, s);  // destroyed before any epoch
    Pipeline done = make(ds, s);
    run_epoch(done, 0);
    BatchView b;
    CHECK_FALSE(done.next(b));  // stays at the end
  }
}

TEST_CASE("pipeline: a corrupt image reaches the consumer as an Error naming it, or is skipped") {
  TempDir tmp;
  for (int i = 0; i < 6; ++i)
    write_png(tmp.path() / "train" / (i < 3 ? "a" : "b") / (std::to_string(i) + ".png"), 40, 30, kPngRgb,
              flat(40, 30, {uint8_t(i * 10), 0, 0}));
  write_bytes(tmp.path() / "train" / "b" / "9.jpg", {0xFF, 0xD8, 0xFF, 0x00});
  TransformSettings t;
  t.crop_size = 16;
  PipelineSettings s;
  s.batch_size = 7;
  s.threads = 2;
  {
    auto ds = std::make_shared<ImageFolderDataset>(tmp.path(), Split::train);
    Pipeline p(ds, SampleTransform(DatasetKind::imagefolder, *ds, t, true), s);
    CHECK(p.sharing() == CoreSharing::background);  // automatic: decoded data gets its own threads
    p.start_epoch(0);
    BatchView b;
    try {
      p.next(b);
      FAIL("expected an Error");
    } catch (const dnntrain::Error& e) {
      CHECK(std::string(e.what()).find("9.jpg") != std::string::npos);
    }
  }
  auto ds = std::make_shared<ImageFolderDataset>(tmp.path(), Split::train, ImageFolderOptions{true});
  Pipeline p(ds, SampleTransform(DatasetKind::imagefolder, *ds, t, true), s);
  p.start_epoch(0);
  BatchView b;
  REQUIRE(p.next(b));
  CHECK(b.n == 7);
  CHECK(b.height == 16);
  CHECK(ds->bad_images() == 1);
}

TEST_CASE(
    "pipeline: the torchvision recipe (RandAugment, erasing, MixUp/CutMix) is thread-count independent") {
  auto ds = indexed(200);
  std::vector<Epoch> runs;
  std::vector<std::vector<int32_t>> mixed;
  std::vector<std::vector<double>> lambdas;
  for (CoreSharing sharing : {CoreSharing::in_steps, CoreSharing::background}) {
    for (int threads : {1, 2}) {
      PipelineSettings s;
      s.batch_size = 32;
      s.threads = threads;
      s.sharing = sharing;
      s.seed = 42;
      s.mix = {0.2, 1.0};
      TransformSettings t;
      t.auto_augment.policy = AutoAugmentPolicy::ra;
      t.random_erase = 0.5;
      Pipeline p(ds, SampleTransform(DatasetKind::synthetic, *ds, t, true), s);
      Epoch e;
      p.start_epoch(3);
      BatchView b;
      mixed.emplace_back();
      lambdas.emplace_back();
      while (p.next(b)) {
        REQUIRE(b.mix_labels != nullptr);
        e.images.emplace_back(b.images, b.images + int64_t(b.n) * b.channels * b.height * b.width);
        e.labels.insert(e.labels.end(), b.labels, b.labels + b.n);
        mixed.back().insert(mixed.back().end(), b.mix_labels, b.mix_labels + b.n);
        lambdas.back().push_back(b.mix_lambda);
        // The second label of row i is the first label of row i - 1 (the batch rolled by one).
        for (int i = 0; i < b.n; ++i) CHECK(b.mix_labels[i] == b.labels[(i + b.n - 1) % b.n]);
      }
      runs.push_back(std::move(e));
    }
  }
  REQUIRE(runs[0].images.size() == 6);
  for (size_t r = 1; r < runs.size(); ++r) {
    CAPTURE(r);
    CHECK(runs[r].labels == runs[0].labels);
    CHECK(mixed[r] == mixed[0]);
    CHECK(lambdas[r] == lambdas[0]);
    CHECK(runs[r].images == runs[0].images);
  }
  // Not every batch is left unmixed.
  CHECK(std::count(lambdas[0].begin(), lambdas[0].end(), 1.0) < 6);
}
