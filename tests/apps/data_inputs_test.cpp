// Hostile data through the real executable: an IDX header whose sizes overflow, an image above the
// pixel limit with and without --skip-bad-images (and the per-epoch count of skipped images), and the
// --max-image-pixels range. One line on stderr naming the file or option, never a signal.
#include <doctest/doctest.h>

#include <algorithm>

#include "tests/apps/cli_run.hpp"
#include "tests/data/test_files.hpp"

using dnntrain::test::run_cli;
using dnntrain::test::scratch_dir;
namespace files = dnntrain::data::test;

namespace {

// A two-class image folder of 12x12 PNGs (train: 2 per class, val: 1 per class) plus `extra` in
// train/a as 0.png, so that it sorts first.
std::filesystem::path image_folder(const std::string& name, const std::vector<uint8_t>& extra) {
  const auto root = scratch_dir(name) / "images";
  for (const char* split : {"train", "val"})
    for (const char* cls : {"a", "b"})
      for (int i = 1; i <= (split[0] == 't' ? 2 : 1); ++i)
        files::write_png(root / split / cls / (std::to_string(i) + ".png"), 12, 12, files::kPngRgb,
                         files::flat(12, 12, {uint8_t(cls[0]), 9, uint8_t(i)}));
  files::write_bytes(root / "train" / "a" / "0.png", extra);
  return root;
}

const std::string kImageRun =
    " --dataset imagefolder --model resnet20 --image-size 8 -b 2 --epochs 2 --threads 1 --workers 1";

}  // namespace

TEST_CASE("cli: an IDX header whose sizes overflow fails with one line naming the file") {
  const auto dir = scratch_dir("idx_overflow");
  files::write_bytes(dir / "train-images-idx3-ubyte", files::idx_bytes({1u << 22, 1u << 21, 1u << 21}, {}));
  files::write_bytes(dir / "train-labels-idx1-ubyte",
                     files::idx_bytes({1u << 22}, std::vector<uint8_t>(1u << 22, 1)));
  const auto r = run_cli("train --dataset mnist --data-path " + dir.string() + " --output-dir " +
                         (dir / "out").string());
  INFO("stderr: " << r.err);
  CHECK(r.code == 1);
  CHECK(r.err.find("train-images-idx3-ubyte") != std::string::npos);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
}

TEST_CASE("cli: an image above --max-image-pixels fails naming it, or is skipped and counted each epoch") {
  const auto root = image_folder("pixel_limit", files::png_claiming(30000, 30000));
  const std::string out = " --output-dir " + (root.parent_path() / "out").string();
  auto r = run_cli("train" + kImageRun + " --data-path " + root.string() + out);
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  CHECK(r.code == 1);
  CHECK(r.err.find("0.png: 30000x30000") != std::string::npos);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);

  r = run_cli("train" + kImageRun + " --skip-bad-images --data-path " + root.string() + out + "2");
  CHECK(r.code == 0);
  size_t reports = 0;
  for (size_t at = 0; (at = r.out.find("skipped 1 unreadable images", at)) != std::string::npos; ++at)
    ++reports;
  CHECK(reports == 2);  // one line per epoch
  CHECK(r.out.find("0.png") != std::string::npos);

  // A limit below 12x12 makes every image bad; 0 lifts the limit (the claim then fails as truncated).
  r = run_cli("train" + kImageRun + " --max-image-pixels 143 --data-path " + root.string() + out + "3");
  CHECK(r.code == 1);
  CHECK(r.err.find("more than the limit of 143") != std::string::npos);
}

TEST_CASE("cli: --max-image-pixels must be >= 0") {
  const auto checkpoint = scratch_dir("max_pixels") / "some.safetensors";
  files::write_bytes(checkpoint, {0});
  for (const std::string& command : {std::string("train"), "eval --checkpoint " + checkpoint.string()}) {
    const auto r = run_cli(command + " --dataset synthetic --max-image-pixels -1");
    INFO(command << " stderr: " << r.err);
    CHECK(r.code == 2);
    CHECK(r.err.find("--max-image-pixels") != std::string::npos);
  }
}
