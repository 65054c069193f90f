// dnntrain predict end to end: a tiny model trained on an image folder the test writes (PNG),
// class names from the checkpoint's metadata, files and folders, probabilities that sum to 100 %;
// Fashion-MNIST's own class names; a corrupt image named in the error.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>
#include <vector>

#include "tests/apps/cli_run.hpp"
#include "tests/data/test_files.hpp"
#include "tests/engine/checkpoint/rewrite_checkpoint.hpp"

using namespace dnntrain::test;
namespace fs = std::filesystem;
namespace dt = dnntrain::data::test;

namespace {


// Three classes of 12×12 RGB images: red, green or blue squares on noise-free grey.
void write_folder(const fs::path& root) {
  const std::vector<std::pair<std::string, std::vector<uint8_t>>> classes = {
      {"red", {220, 30, 30}}, {"green", {30, 220, 30}}, {"blue", {30, 30, 220}}};
  for (const auto& [split, count] : {std::pair{"train", 8}, std::pair{"val", 2}})
    for (const auto& [name, colour] : classes) {
      fs::create_directories(root / split / name);
      for (int i = 0; i < count; ++i) {
        std::vector<uint8_t> pixels = dt::flat(12, 12, {128, 128, 128});
        for (int y = 2 + i % 3; y < 9; ++y)
          for (int x = 3; x < 10 - i % 2; ++x)
            for (int c = 0; c < 3; ++c) pixels[(static_cast<size_t>(y) * 12 + x) * 3 + c] = colour[c];
        dt::write_png(root / split / name / ("img" + std::to_string(i) + ".png"), 12, 12, dt::kPngRgb,
                      pixels);
      }
    }
}

struct Prediction {
  std::vector<std::string> names;
  std::vector<double> percent;
};

// predict's output: a file line, then "  k. name   p %" lines.
std::map<std::string, Prediction> parse(const std::string& out) {
  std::map<std::string, Prediction> result;
  std::string file;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("  ", 0) != 0) {
      file = line;
      continue;
    }
    std::istringstream words(line);
    std::string rank, name, percent_sign;
    double p = 0;
    words >> rank >> name >> p >> percent_sign;
    result[file].names.push_back(name);
    result[file].percent.push_back(p);
  }
  return result;
}

}  // namespace

TEST_CASE("predict names an image folder's classes from the checkpoint and reads files and folders") {
  const fs::path dir = scratch_dir("predict_folder");
  write_folder(dir / "images");
  const CliResult t =
      run_cli("train --dataset imagefolder --data-path " + (dir / "images").string() +
              " --model resnet20 --image-size 8 -b 6 --epochs 1 --threads 1 --workers 1 --output-dir " +
              (dir / "run").string());
  INFO(t.out << t.err);
  REQUIRE(t.code == 0);

  const fs::path red = dir / "images" / "val" / "red" / "img0.png";
  for (const char* checkpoint : {"checkpoint.safetensors", "best.safetensors"}) {
    const CliResult p = run_cli("predict --checkpoint " + (dir / "run" / checkpoint).string() + " " +
                                red.string() + " " + (dir / "images" / "val" / "blue").string());
    INFO(checkpoint << "\n" << p.out << p.err);
    REQUIRE(p.code == 0);
    const auto predictions = parse(p.out);
    CHECK(predictions.size() == 3);  // the file and the folder's two images
    for (const auto& [file, pr] : predictions) {
      INFO(file);
      REQUIRE(pr.names.size() == 3);  // top-5 of 3 classes
      CHECK(std::is_permutation(pr.names.begin(), pr.names.end(),
                                std::vector<std::string>{"blue", "green", "red"}.begin()));
      double sum = 0;
      for (size_t i = 0; i < pr.percent.size(); ++i) {
        sum += pr.percent[i];
        if (i) CHECK(pr.percent[i] <= pr.percent[i - 1]);
      }
      CHECK(std::abs(sum - 100) <= 0.02);  // three values rounded to 0.01
    }
    // A folder lists its files in sorted order, the same predictions as naming them one by one.
    const fs::path blue1 = dir / "images" / "val" / "blue" / "img1.png";
    const auto single = parse(
        run_cli("predict --checkpoint " + (dir / "run" / checkpoint).string() + " " + blue1.string()).out);
    CHECK(single.at(blue1.string()).percent == predictions.at(blue1.string()).percent);
  }
}

TEST_CASE("predict uses Fashion-MNIST's class names and the evaluation transform on any image size") {
  const fs::path dir = scratch_dir("predict_fmnist");
  const CliResult t =
      run_cli("train --dataset fashion-mnist -b 16 --steps 1 --threads 1 --output-dir " + dir.string());
  INFO(t.out << t.err);
  REQUIRE(t.code == 0);
  dt::write_jpeg(dir / "photo.jpg", 40, 30, 3, dt::flat(40, 30, {200, 100, 50}));
  const CliResult p = run_cli("predict --top 10 --checkpoint " + (dir / "checkpoint.safetensors").string() +
                              " " + (dir / "photo.jpg").string());
  INFO(p.out << p.err);
  REQUIRE(p.code == 0);
  const auto predictions = parse(p.out);
  REQUIRE(predictions.size() == 1);
  CHECK(predictions.begin()->second.names.size() == 10);
  for (const char* name : {"T-shirt/top", "Trouser", "Pullover", "Sneaker", "Ankle"})
    CHECK(contains(p.out, name));
}

TEST_CASE("predict names a corrupt image and a missing file, and calls unnamed classes class i") {
  const fs::path dir = scratch_dir("predict_errors");
  const CliResult t =
      run_cli(std::string("train ") + kTinyRun + " --steps 1 --threads 1 --output-dir " + dir.string());
  REQUIRE(t.code == 0);
  dt::write_bytes(dir / "broken.jpg", {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0, 1, 2});
  const std::string checkpoint = " --checkpoint " + (dir / "checkpoint.safetensors").string() + " ";
  const CliResult bad = run_cli("predict" + checkpoint + (dir / "broken.jpg").string());
  INFO(bad.out << bad.err);
  CHECK(bad.code == 1);
  CHECK(contains(bad.err, (dir / "broken.jpg").string()));

  const CliResult missing = run_cli("predict" + checkpoint + (dir / "nothing.png").string());
  CHECK(missing.code == 2);
  CHECK(contains(missing.err, "nothing.png"));

  // A synthetic run's classes have no names: "class <i>".
  dt::write_png(dir / "ok.png", 8, 8, dt::kPngRgb, dt::flat(8, 8, {1, 2, 3}));
  const CliResult ok = run_cli("predict" + checkpoint + (dir / "ok.png").string());
  INFO(ok.out << ok.err);
  CHECK(ok.code == 0);
  CHECK(contains(ok.out, "class "));
}

namespace {

// The largest resident set of `command` in MiB, from GNU time.
int64_t peak_rss_of(const std::string& command) {
  const CliResult r = run_shell("/usr/bin/time -f 'peak-kib %M' " + command);
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  const auto at = r.err.rfind("peak-kib ");
  REQUIRE(at != std::string::npos);
  return std::stoll(r.err.substr(at + 9)) / 1024;
}

}  // namespace

TEST_CASE("predict holds one image at a time: 40 large photos take about the memory of one") {
  const fs::path dir = scratch_dir("predict_memory");
  REQUIRE(run_cli(std::string("train ") + kTinyRun + " --steps 1 --threads 1 --output-dir " + dir.string())
              .code == 0);
  for (int i = 0; i < 40; ++i)
    dt::write_png(dir / "photos" / ("p" + std::to_string(i) + ".png"), 1500, 1500, dt::kPngRgb,
                  dt::flat(1500, 1500, {static_cast<uint8_t>(i), 80, 160}));
  const std::string predict = std::string(DNNTRAIN_CLI) + " predict --threads 1 --checkpoint " +
                              (dir / "checkpoint.safetensors").string();
  const int64_t one = peak_rss_of(predict + " " + (dir / "photos" / "p0.png").string());
  const int64_t forty = peak_rss_of(predict + " " + (dir / "photos").string());
  INFO("peak RSS: one photo " << one << " MiB, forty photos " << forty << " MiB");
  CHECK(forty <= one + 60);  // each decoded photo is 6.4 MiB: keeping them all would add 260 MiB
}

TEST_CASE(
    "predict reads a file raw (a gzip stream named .png is not inflated), skips bad images on request") {
  const fs::path dir = scratch_dir("predict_bad");
  REQUIRE(run_cli(std::string("train ") + kTinyRun + " --steps 1 --threads 1 --output-dir " + dir.string())
              .code == 0);
  dt::write_gzip_bomb(dir / "photos" / "a_bomb.png", {}, uint64_t{960} << 20);
  dt::write_png(dir / "photos" / "b_ok.png", 8, 8, dt::kPngRgb, dt::flat(8, 8, {1, 2, 3}));
  const std::string predict = std::string(DNNTRAIN_CLI) + " predict --threads 1 --checkpoint " +
                              (dir / "checkpoint.safetensors").string() + " " + (dir / "photos").string();
  const CliResult stop = run_shell(predict);
  INFO(stop.out << stop.err);
  CHECK(stop.code == 1);
  CHECK(contains(stop.err, "a_bomb.png: not a JPEG or PNG image"));
  CHECK(contains(stop.err, "--skip-bad-images"));
  const CliResult skip = run_shell(predict + " --skip-bad-images");
  INFO(skip.out << skip.err);
  CHECK(skip.code == 0);
  CHECK(contains(skip.err, "a_bomb.png"));
  CHECK(contains(skip.out, "b_ok.png"));
  CHECK(peak_rss_of(predict + " --skip-bad-images") < 700);  // inflated, the stream alone is 960 MiB
}

TEST_CASE("predict names a damaged stored config value instead of failing in a number parser") {
  const fs::path dir = scratch_dir("predict_config_value");
  REQUIRE(run_cli(std::string("train ") + kTinyRun + " --steps 1 --threads 1 --output-dir " + dir.string())
              .code == 0);
  dnntrain::test::rewrite_checkpoint((dir / "checkpoint.safetensors").string(),
                                     (dir / "bad.safetensors").string(), [](dnntrain::test::Metadata& m) {
                                       std::string& c = m["dnntrain.config"];
                                       for (size_t at; (at = c.find("image-size=8")) != std::string::npos;)
                                         c.replace(at, 12, "image-size=abc");
                                     });
  dt::write_png(dir / "ok.png", 8, 8, dt::kPngRgb, dt::flat(8, 8, {1, 2, 3}));
  const CliResult r =
      run_cli("predict --checkpoint " + (dir / "bad.safetensors").string() + " " + (dir / "ok.png").string());
  INFO(r.err);
  CHECK(r.code == 1);
  CHECK(contains(r.err, "--image-size must be an integer, got 'abc'"));
  CHECK(!contains(r.err, "unexpected"));
}

TEST_CASE("eval numbers an image folder's classes as the checkpoint does, also when some are missing") {
  const fs::path dir = scratch_dir("eval_subset");
  write_folder(dir / "images");
  REQUIRE(run_cli("train --dataset imagefolder --data-path " + (dir / "images").string() +
                  " --model resnet20 --image-size 8 -b 6 --epochs 1 --threads 1 --workers 1 --output-dir " +
                  (dir / "run").string())
              .code == 0);
  // The same val images of green and blue, once beside train/ (numbered by its folders), once alone.
  for (const char* root : {"with_train", "alone"})
    for (const char* name : {"green", "blue"}) {
      fs::create_directories(dir / root / "val" / name);
      fs::copy(dir / "images" / "val" / name, dir / root / "val" / name, fs::copy_options::recursive);
    }
  fs::copy(dir / "images" / "train", dir / "with_train" / "train", fs::copy_options::recursive);
  const std::string eval =
      "eval --dataset imagefolder --model resnet20 --image-size 8 --threads 1 --workers 1 "
      "--checkpoint " +
      (dir / "run" / "checkpoint.safetensors").string() + " --data-path ";
  const CliResult reference = run_cli(eval + (dir / "with_train").string());
  const CliResult alone = run_cli(eval + (dir / "alone").string());
  INFO(reference.out << reference.err << alone.out << alone.err);
  REQUIRE(reference.code == 0);
  CHECK(alone.code == 0);
  CHECK(alone.out == reference.out);
}

TEST_CASE("predict runs ResNet-18 at 32 px, whose last stage is 1x1 at batch 1 (training refuses that)") {
  const fs::path dir = scratch_dir("predict_resnet18");
  const CliResult t = run_cli(
      "train --model resnet18 --dataset synthetic --synthetic-samples 16 --image-size 32 --classes 10 -b 4 "
      "--steps 1 --threads 1 --output-dir " +
      dir.string());
  INFO(t.out << t.err);
  REQUIRE(t.code == 0);
  dt::write_png(dir / "a.png", 32, 32, dt::kPngRgb, dt::flat(32, 32, {10, 200, 90}));
  const CliResult p =
      run_cli("predict --checkpoint " + (dir / "checkpoint.safetensors").string() + " " + (dir / "a.png").string());
  INFO(p.out << p.err);
  REQUIRE(p.code == 0);
  CHECK(parse(p.out).at((dir / "a.png").string()).names.size() == 5);
}
