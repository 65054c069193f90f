// Data-parallel training through the real mpirun: gradient averaging (bit-identical to one process
// when the ranks see identical shards; equal to one process with the global batch when BN is
// frozen), sharding (every sample once per epoch at 1, 2 and 3 ranks), rank 0 as the only writer,
// resume across world sizes, --dist-bn reduce, and the TCP transport.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "engine/checkpoint/safetensors.hpp"
#include "tests/distributed/mpi_run.hpp"

using namespace dnntrain::test;
namespace fs = std::filesystem;

namespace {

// CIFAR-10 binary records (label, 3072 pixels) of the given samples; sample k's pixels and label
// depend only on k.
std::vector<char> cifar_records(const std::vector<int>& samples) {
  std::vector<char> out;
  for (int k : samples) {
    out.push_back(static_cast<char>(k * 7 % 10));
    for (int j = 0; j < 3072; ++j) out.push_back(static_cast<char>((k * 131 + j * 17 + (j >> 5) * k) & 255));
  }
  return out;
}

void write_file(const fs::path& file, const std::vector<char>& bytes) {
  std::ofstream out(file, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

// A CIFAR-10 folder: five training files of `per_file` records each (sample ids from `id`), and a
// test file of 16 records.
fs::path cifar_folder(const fs::path& dir, int per_file, int (*id)(int)) {
  fs::create_directories(dir);
  for (int f = 0; f < 5; ++f) {
    std::vector<int> samples;
    for (int i = 0; i < per_file; ++i) samples.push_back(id(f * per_file + i));
    write_file(dir / ("data_batch_" + std::to_string(f + 1) + ".bin"), cifar_records(samples));
  }
  std::vector<int> test;
  for (int i = 0; i < 16; ++i) test.push_back(1000 + i);
  write_file(dir / "test_batch.bin", cifar_records(test));
  return dir;
}

void require_ok(const CliResult& r) {
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.code == 0);
}

struct Difference {
  double max_abs = 0;
  std::string where;
};

// The largest |a - b| over every tensor of two checkpoints (same names required).
Difference compare(const fs::path& a_path, const fs::path& b_path) {
  const Tensors a = read_tensors(a_path), b = read_tensors(b_path);
  REQUIRE(a.names == b.names);
  Difference d;
  for (size_t t = 0; t < a.names.size(); ++t) {
    REQUIRE(a.values[t].size() == b.values[t].size());
    for (size_t i = 0; i < a.values[t].size(); ++i) {
      const double e = std::abs(a.values[t][i] - b.values[t][i]);
      if (e > d.max_abs || std::isnan(e)) d = {e, a.names[t] + "[" + std::to_string(i) + "]"};
    }
  }
  return d;
}

std::string meta(const fs::path& checkpoint, const std::string& key) {
  return dnntrain::engine::Safetensors::read(checkpoint.string()).metadata().at("dnntrain." + key);
}

// summary.csv rows as numbers (header dropped).
std::vector<std::vector<double>> summary(const fs::path& dir) {
  std::stringstream in(read_text(dir / "summary.csv"));
  std::vector<std::vector<double>> rows;
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::vector<double> row;
    std::stringstream fields(line);
    for (std::string f; std::getline(fields, f, ',');) row.push_back(std::stod(f));
    rows.push_back(row);
  }
  return rows;
}

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

constexpr const char* kSynthetic = "train --dataset synthetic --image-size 8 --threads 1 --print-freq 1 ";

}  // namespace

TEST_CASE("2 ranks fed identical shards give the same bits as 1 process on that shard") {
  const fs::path dir = scratch_dir("dist_identical");
  // Duplicated: records 2k and 2k+1 are both sample k, so with --no-shuffle rank 0 (even positions)
  // and rank 1 (odd positions) read the same 40 samples in the same order.
  const fs::path twice = cifar_folder(dir / "twice", 16, [](int i) { return i / 2; });
  const fs::path once = cifar_folder(dir / "once", 8, [](int i) { return i; });
  const std::string common =
      "train --dataset cifar10 --image-size 8 -b 8 --augment none --no-shuffle --threads 1 --epochs 2 ";
  require_ok(
      run_ranks(2, common + "--data-path " + twice.string() + " --output-dir " + (dir / "ranks").string()));
  require_ok(
      run_plain(common + "--data-path " + once.string() + " --output-dir " + (dir / "plain").string()));
  const fs::path ranks = dir / "ranks" / "checkpoint.safetensors",
                 plain = dir / "plain" / "checkpoint.safetensors";
  CHECK(meta(ranks, "step") == "10");
  CHECK(meta(ranks, "world_size") == "2");
  const Difference d = compare(ranks, plain);
  INFO("max |difference| " << d.max_abs << " at " << d.where);
  CHECK(d.max_abs == 0);
}

TEST_CASE("2 ranks x batch 8 with --freeze-bn match 1 process x batch 16") {
  const fs::path dir = scratch_dir("dist_global_batch");
  const std::string common = std::string(kSynthetic) + "--synthetic-samples 128 --epochs 2 --steps 6 ";
  // Buckets of 20 KiB: ResNet-20's 1.1 MB of gradients go in about 50 allreduces, started during backward.
  require_ok(
      run_ranks(2, common + "-b 8 --freeze-bn --bucket-mb 0.02 --output-dir " + (dir / "ranks").string()));
  require_ok(run_plain(common + "-b 16 --freeze-bn --output-dir " + (dir / "plain").string()));
  // Frozen: the running statistics keep their initial values (mean 0, variance 1, no batches).
  const Tensors plain = read_tensors(dir / "plain" / "checkpoint.safetensors");
  for (size_t t = 0; t < plain.names.size(); ++t) {
    const std::string& name = plain.names[t];
    const double initial = name.ends_with("running_var") ? 1 : 0;
    if (name.ends_with("running_mean") || name.ends_with("running_var") ||
        name.ends_with("num_batches_tracked"))
      for (double v : plain.values[t]) REQUIRE_MESSAGE(v == initial, name);
  }
  const Difference d =
      compare(dir / "ranks" / "checkpoint.safetensors", dir / "plain" / "checkpoint.safetensors");
  MESSAGE("2 x 8 against 1 x 16, frozen BN: max |difference| " << d.max_abs << " at " << d.where);
  CHECK(d.max_abs < 1e-4);
  // Per-rank BN batch statistics (8 samples, not 16) make the same run differ far more: the
  // comparison above can tell.
  require_ok(run_ranks(2, common + "-b 8 --output-dir " + (dir / "ranks_bn").string()));
  require_ok(run_plain(common + "-b 16 --output-dir " + (dir / "plain_bn").string()));
  const Difference bn =
      compare(dir / "ranks_bn" / "checkpoint.safetensors", dir / "plain_bn" / "checkpoint.safetensors");
  MESSAGE("per-rank BN: max |difference| " << bn.max_abs << " at " << bn.where);
  CHECK(bn.max_abs > 1e-3);
}

TEST_CASE("1, 2 and 3 ranks see every training and test sample exactly once per epoch") {
  const fs::path dir = scratch_dir("dist_shards");
  // A frozen model (BN frozen, a rate of 1e-30 that moves no weight): each sample's loss and
  // prediction are the same whoever reads it, so equal epoch figures mean equal sample sets. 120
  // training samples are whole global batches at 1, 2 and 3 ranks of 4; the 30 test samples leave
  // padded last batches on every rank.
  const std::string common =
      std::string(kSynthetic) + "--synthetic-samples 120 -b 4 --epochs 1 --freeze-bn --lr 1e-30 --wd 0 ";
  require_ok(run_plain(common + "--output-dir " + (dir / "1").string()));
  const auto one = summary(dir / "1");
  REQUIRE(one.size() == 1);
  for (int ranks : {2, 3}) {
    CAPTURE(ranks);
    const fs::path out = dir / std::to_string(ranks);
    require_ok(run_ranks(ranks, common + "--output-dir " + out.string()));
    const auto many = summary(out);
    REQUIRE(many.size() == 1);
    // epoch,lr,train_loss,train_top1,test_loss,test_top1,test_top5,...
    CHECK(many[0][2] == doctest::Approx(one[0][2]).epsilon(1e-5));
    CHECK(many[0][3] == one[0][3]);
    CHECK(many[0][4] == doctest::Approx(one[0][4]).epsilon(1e-5));
    CHECK(many[0][5] == one[0][5]);
    CHECK(many[0][6] == one[0][6]);
  }
}

TEST_CASE("only rank 0 writes: one checkpoint writer, logs and progress lines once") {
  const fs::path dir = scratch_dir("dist_writer");
  // Two programs in one MPI job: rank 1 is told another output folder, which must stay absent.
  const std::string args = std::string(kSynthetic) + "--synthetic-samples 64 -b 8 --epochs 2 --output-dir ";
  const std::string mine = dnntrain_exe() + " " + args;
  const auto r = run_cli(mpirun_prefix(1) + " " + mine + (dir / "rank0").string() + " : -np 1 " + mine +
                         (dir / "rank1").string());
  require_ok(r);
  CHECK_FALSE(fs::exists(dir / "rank1"));
  CHECK(fs::exists(dir / "rank0" / "checkpoint.safetensors"));
  CHECK(summary(dir / "rank0").size() == 2);
  // 4 steps per epoch (64 / 2 ranks / 8), every step printed, and one line per epoch.
  CHECK(count(read_text(dir / "rank0" / "log.jsonl"), "\n") == 1 + 2 * 4 + 2);
  CHECK(count(r.out, "epoch 1/2:") == 1);
  CHECK(count(r.out, "data-parallel: 2 ranks x batch 8 = global batch 16") == 1);
}

TEST_CASE("resume a 2-rank checkpoint on 1 process and a 1-process checkpoint on 2 ranks") {
  const fs::path dir = scratch_dir("dist_resume");
  // Same global batch (2 x 8 = 1 x 16) and frozen BN: the three runs differ only by rounding.
  const std::string common = std::string(kSynthetic) + "--synthetic-samples 128 --epochs 2 --freeze-bn ";
  const auto out = [&](const std::string& name) { return " --output-dir " + (dir / name).string(); };
  const auto checkpoint = [&](const std::string& name) { return dir / name / "checkpoint.safetensors"; };
  require_ok(run_plain(common + "-b 16 --steps 6" + out("straight")));

  require_ok(run_ranks(2, common + "-b 8 --steps 3" + out("from2")));
  CHECK(meta(checkpoint("from2"), "batch_in_epoch") == "3");
  require_ok(run_plain(common + "-b 16 --steps 6 --resume " + checkpoint("from2").string() + out("from2")));
  const Difference a = compare(checkpoint("from2"), checkpoint("straight"));
  MESSAGE("2 ranks then 1: max |difference| " << a.max_abs << " at " << a.where);
  CHECK(a.max_abs < 1e-4);

  require_ok(run_plain(common + "-b 16 --steps 3" + out("from1")));
  require_ok(run_ranks(2, common + "-b 8 --steps 6 --resume " + checkpoint("from1").string() + out("from1")));
  const Difference b = compare(checkpoint("from1"), checkpoint("straight"));
  MESSAGE("1 then 2 ranks: max |difference| " << b.max_abs << " at " << b.where);
  CHECK(b.max_abs < 1e-4);
  CHECK(meta(checkpoint("from1"), "step") == "6");
}

TEST_CASE("resume at another global batch keeps the samples consumed in the epoch") {
  const fs::path dir = scratch_dir("dist_rescale");
  const std::string common = std::string(kSynthetic) + "--synthetic-samples 128 --epochs 2 -b 8 ";
  const std::string out = " --output-dir " + (dir / "run").string();
  const fs::path checkpoint = dir / "run" / "checkpoint.safetensors";
  require_ok(run_ranks(2, common + "--steps 3" + out));  // 3 global batches of 16: 48 samples
  require_ok(run_plain(common + "--steps 7 --resume " + checkpoint.string() + out));
  // On 1 process the global batch is 8: 48 samples are batch 6; one more step makes 7.
  CHECK(meta(checkpoint, "batch_in_epoch") == "7");
  CHECK(meta(checkpoint, "step") == "7");
  // Its 56 samples are not a whole number of global batches of 2 x 20.
  const auto r = run_ranks(2, std::string(kSynthetic) + "--synthetic-samples 128 --epochs 2 -b 20 --resume " +
                                  checkpoint.string() + " --output-dir " + (dir / "bad").string());
  CHECK(r.code != 0);
  CHECK(r.err.find("not a whole number") != std::string::npos);
}

TEST_CASE("--dist-bn reduce: the running statistics are the mean of the ranks' own") {
  const fs::path dir = scratch_dir("dist_bn_reduce");
  // Rank 0 reads samples 0..39 (even positions), rank 1 samples 500..539 (odd positions); each
  // alone on one process gives that rank's statistics. A rate of 1e-30 keeps the weights, so the
  // statistics depend on the data only.
  const fs::path both = cifar_folder(dir / "both", 16, [](int i) { return i % 2 ? 500 + i / 2 : i / 2; });
  const fs::path first = cifar_folder(dir / "first", 8, [](int i) { return i; });
  const fs::path second = cifar_folder(dir / "second", 8, [](int i) { return 500 + i; });
  const std::string common =
      "train --dataset cifar10 --image-size 8 -b 8 --augment none --no-shuffle --threads 1 --epochs 1 "
      "--lr 1e-30 --wd 0 --data-path ";
  const auto out = [&](const std::string& name) { return " --output-dir " + (dir / name).string(); };
  require_ok(run_ranks(2, common + both.string() + " --dist-bn reduce" + out("ranks")));
  require_ok(run_plain(common + first.string() + out("first")));
  require_ok(run_plain(common + second.string() + out("second")));
  const Tensors r = read_tensors(dir / "ranks" / "checkpoint.safetensors");
  const Tensors a = read_tensors(dir / "first" / "checkpoint.safetensors");
  const Tensors b = read_tensors(dir / "second" / "checkpoint.safetensors");
  REQUIRE(r.names == a.names);
  REQUIRE(r.names == b.names);
  double worst = 0, spread = 0;
  std::string where;
  for (size_t t = 0; t < r.names.size(); ++t) {
    if (!r.names[t].ends_with("running_mean") && !r.names[t].ends_with("running_var")) continue;
    for (size_t i = 0; i < r.values[t].size(); ++i) {
      const double mean = (a.values[t][i] + b.values[t][i]) / 2;
      const double e = std::abs(r.values[t][i] - mean) / (1 + std::abs(mean));
      spread = std::max(spread, std::abs(a.values[t][i] - b.values[t][i]));
      if (e > worst) worst = e, where = r.names[t] + "[" + std::to_string(i) + "]";
    }
  }
  MESSAGE("relative error against the mean of the ranks " << worst << " at " << where
                                                          << "; the ranks differ by up to " << spread);
  CHECK(spread > 1e-2);  // the two shards give different statistics
  CHECK(worst < 1e-5);
}

TEST_CASE("over TCP (loopback) the ranks train the same bits as over shared memory") {
  const fs::path dir = scratch_dir("dist_tcp");
  const std::string args =
      std::string(kSynthetic) + "--synthetic-samples 64 -b 8 --epochs 1 --bucket-mb 0.05 ";
  require_ok(run_ranks(2, args + "--output-dir " + (dir / "shm").string()));
  require_ok(run_cli(mpirun_prefix(2) + " --mca btl self,tcp --mca btl_tcp_if_include lo " + dnntrain_exe() +
                     " " + args + "--output-dir " + (dir / "tcp").string()));
  const Difference d =
      compare(dir / "shm" / "checkpoint.safetensors", dir / "tcp" / "checkpoint.safetensors");
  INFO("max |difference| " << d.max_abs << " at " << d.where);
  CHECK(d.max_abs == 0);
}
