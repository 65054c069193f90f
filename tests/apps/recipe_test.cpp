// torchvision's ResNet-50 "new recipe" command line (references/classification/README.md), unchanged
// apart from the program name, the data path, the output folder and our thread option, run for one
// optimizer step (--steps 1) on a tiny image folder written here: 128 training images (one batch of
// 128), four test images. It checks that every flag is taken with torchvision's meaning.
#include <doctest/doctest.h>

#include "tests/apps/cli_run.hpp"
#include "tests/data/test_files.hpp"

using namespace dnntrain::test;
namespace fs = std::filesystem;
namespace dt = dnntrain::data::test;

namespace {

// torchvision's line, flags in its order, without `torchrun --nproc_per_node=8 train.py`.
constexpr const char* kRecipe =
    "--model resnet50 --batch-size 128 --lr 0.5 --lr-scheduler cosineannealinglr --lr-warmup-epochs 5 "
    "--lr-warmup-method linear --auto-augment ta_wide --epochs 600 --random-erase 0.1 --weight-decay 0.00002 "
    "--norm-weight-decay 0.0 --label-smoothing 0.1 --mixup-alpha 0.2 --cutmix-alpha 1.0 --train-crop-size 176 "
    "--model-ema --val-resize-size 232 --ra-sampler --ra-reps 4";

void write_folder(const fs::path& root) {
  for (const auto& [split, count] : {std::pair{"train", 32}, std::pair{"val", 1}})
    for (int c = 0; c < 4; ++c) {
      const fs::path dir = root / split / ("class" + std::to_string(c));
      fs::create_directories(dir);
      for (int i = 0; i < count; ++i) {
        std::vector<uint8_t> colour = {uint8_t(40 + 50 * c), uint8_t(200 - 40 * c), uint8_t(60 + 4 * i)};
        dt::write_png(dir / ("img" + std::to_string(i) + ".png"), 24, 20, dt::kPngRgb, dt::flat(24, 20, colour));
      }
    }
}

}  // namespace

TEST_CASE("torchvision's ResNet-50 new-recipe command line runs unchanged (one step)") {
  const fs::path dir = scratch_dir("recipe");
  write_folder(dir / "data");
  const auto r = run_cli(std::string("train ") + kRecipe + " --data-path " + (dir / "data").string() +
                         " --output-dir " + (dir / "run").string() + " --threads 0 --steps 1");
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  CHECK(contains(r.out, "resnet50 on imagefolder (128 training, 4 test samples, 3x176x176, 4 classes), batch 128, "
                        "1 steps/epoch"));
  const std::string config = read_text(dir / "run" / "config");
  for (const char* line : {"model=resnet50", "batch-size=128", "lr=0.5", "lr-scheduler=cosineannealinglr",
                           "lr-warmup-epochs=5", "lr-warmup-method=linear", "auto-augment=ta_wide", "epochs=600",
                           "random-erase=0.1", "wd=2e-05", "norm-weight-decay=0", "label-smoothing=0.1",
                           "mixup-alpha=0.2", "cutmix-alpha=1", "train-crop-size=176", "model-ema=true",
                           "val-resize-size=232", "ra-sampler=true", "ra-reps=4", "image-size=176"}) {
    INFO(line);
    CHECK(contains(config, std::string(line) + "\n"));
  }
  CHECK(fs::exists(dir / "run" / "weights.safetensors"));
}
