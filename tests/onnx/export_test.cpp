// dnntrain export read back: the file passes ONNX's checker and strict shape inference, declares
// opset 17 and a dynamic batch, holds one node group per topology node (Conv with or without
// BatchNormalization), the normalisation first and the metadata; and its errors are one line.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <string>

#include "engine/checkpoint/safetensors.hpp"
#include "layers/resnet_models.hpp"
#include "layers/resnet_topology.hpp"
#include "onnx/model_file.hpp"
#include "tests/apps/cli_run.hpp"
#include "tests/engine/checkpoint/rewrite_checkpoint.hpp"

namespace fs = std::filesystem;
using namespace dnntrain;
using namespace dnntrain::test;

namespace {

// A ResNet-20 trained for 2 steps on tiny synthetic RGB images (8x8, 10 classes).
fs::path tiny_run(const std::string& name) {
  const fs::path dir = scratch_dir(name);
  const CliResult r =
      run_cli(std::string("train ") + kTinyRun + " --model resnet20 --steps 2 --threads 1 --output-dir " +
              (dir / "run").string());
  INFO(r.err);
  REQUIRE(r.code == 0);
  return dir;
}

std::map<std::string, int> op_counts(const onnx::GraphProto& g) {
  std::map<std::string, int> counts;
  for (const onnx::NodeProto& n : g.node()) ++counts[n.op_type()];
  return counts;
}

std::map<std::string, std::string> metadata(const onnx::ModelProto& m) {
  std::map<std::string, std::string> props;
  for (const auto& p : m.metadata_props()) props[p.key()] = p.value();
  return props;
}

// (batch, dims...) with batch symbolic.
void check_dims(const onnx::ValueInfoProto& v, const std::string& name, std::vector<int64_t> dims) {
  CHECK(v.name() == name);
  const onnx::TensorShapeProto& shape = v.type().tensor_type().shape();
  REQUIRE(shape.dim_size() == static_cast<int>(dims.size()) + 1);
  CHECK(shape.dim(0).dim_param() == "batch");
  for (size_t i = 0; i < dims.size(); ++i) CHECK(shape.dim(static_cast<int>(i) + 1).dim_value() == dims[i]);
}

// A weights file for `model` with every tensor its topology names, random values (running variances
// positive), and the run configuration export reads. poison: one value of conv1.weight becomes it.
void write_random_checkpoint(const fs::path& file, const std::string& model, layers::Stem stem,
                             std::optional<float> poison = std::nullopt) {
  std::vector<std::pair<std::string, std::vector<int64_t>>> shapes;
  for (const layers::ResNetNode& n :
       layers::resnet_topology({.model = model, .classes = 10, .in_channels = 3, .stem = stem})) {
    if (n.kind == layers::ResNetNode::Kind::conv_bn) {
      shapes.push_back({n.name + ".weight", {n.out, n.in, n.kernel, n.kernel}});
      for (const char* key : {".weight", ".bias", ".running_mean", ".running_var"})
        shapes.push_back({n.bn + key, {n.out}});
    } else if (n.kind == layers::ResNetNode::Kind::linear) {
      shapes.push_back({n.name + ".weight", {n.out, n.in}});
      shapes.push_back({n.name + ".bias", {n.out}});
    }
  }
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> value(0.1f, 1.f);
  std::vector<std::vector<float>> values;
  std::vector<engine::TensorRef> refs;
  for (const auto& [name, shape] : shapes) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    std::vector<float>& v = values.emplace_back(static_cast<size_t>(n));
    for (float& x : v) x = value(rng);
  }
  if (poison) values[0][5] = *poison;
  for (size_t i = 0; i < shapes.size(); ++i)
    refs.push_back({shapes[i].first,
                    engine::DType::F32,
                    shapes[i].second,
                    {reinterpret_cast<const uint8_t*>(values[i].data()), values[i].size() * sizeof(float)}});
  const std::string config = "model=" + model + "\nimage-size=64\nin-channels=3\nclasses=10\nstem=" +
                             (stem == layers::Stem::cifar ? "cifar" : "imagenet") + "\ndataset=imagefolder\n";
  engine::write_safetensors(file.string(), refs, {{"dnntrain.config", config}});
}

}  // namespace

TEST_CASE(
    "every ResNet exports, folded and unfolded, and passes the checker with one Conv per convolution and a "
    "MaxPool for the ImageNet stem") {
  const fs::path dir = scratch_dir("onnx_every_model");
  for (const layers::ResNetArchitecture& arch : layers::resnet_models()) {
    for (const layers::Stem stem : {layers::Stem::imagenet, layers::Stem::cifar}) {
      // The CIFAR stem on an ImageNet ResNet once (resnet18): the stem is all it changes.
      if (stem == layers::Stem::imagenet ? arch.cifar_family : !arch.cifar_family && arch.name != "resnet18")
        continue;
      const std::string model(arch.name);
      CAPTURE(model);
      CAPTURE(stem == layers::Stem::cifar);
      const fs::path checkpoint = dir / (model + ".safetensors");
      write_random_checkpoint(checkpoint, model, stem);
      int convs = 0;
      for (const layers::ResNetNode& n :
           layers::resnet_topology({.model = model, .classes = 10, .stem = stem}))
        convs += n.kind == layers::ResNetNode::Kind::conv_bn;
      for (const bool fold : {false, true}) {
        const fs::path file = dir / "model.onnx";
        const CliResult r = run_cli("export --checkpoint " + checkpoint.string() + " -o " + file.string() +
                                    (fold ? " --fold-bn" : ""));
        INFO(r.err);
        REQUIRE(r.code == 0);
        const onnx::ModelProto m = onnx_export::read_onnx(file.string());
        CHECK_NOTHROW(onnx_export::check_onnx(m));
        const auto ops = op_counts(m.graph());
        CHECK(ops.at("Conv") == convs);
        CHECK(ops.count("MaxPool") == (stem == layers::Stem::imagenet ? 1u : 0u));
        CHECK(ops.count("BatchNormalization") == (fold ? 0u : 1u));
        CHECK(metadata(m).count("dnntrain.class_names") == 0);  // an image folder's names were not stored
        CHECK(metadata(m).at("dnntrain.mean") == "0.485,0.456,0.406");
      }
    }
  }
}

TEST_CASE(
    "an exported ResNet-20 reads back through the ONNX checker with opset 17, a dynamic batch and its "
    "metadata") {
  const fs::path dir = tiny_run("onnx_round_trip");
  const std::string checkpoint = (dir / "run" / "checkpoint.safetensors").string();
  int convs = 0;
  for (const layers::ResNetNode& n :
       layers::resnet_topology({.model = "resnet20", .classes = 10, .in_channels = 3}))
    convs += n.kind == layers::ResNetNode::Kind::conv_bn;
  CHECK(convs == 21);  // the stem, 18 in the blocks, 2 shortcuts

  for (const bool fold : {false, true}) {
    CAPTURE(fold);
    const std::string file = (dir / (fold ? "folded.onnx" : "unfolded.onnx")).string();
    const CliResult r =
        run_cli("export --checkpoint " + checkpoint + " -o " + file + (fold ? " --fold-bn" : ""));
    INFO(r.err);
    REQUIRE(r.code == 0);
    const onnx::ModelProto model = onnx_export::read_onnx(file);
    CHECK_NOTHROW(onnx_export::check_onnx(model));
    REQUIRE(model.opset_import_size() == 1);
    CHECK(model.opset_import(0).version() == 17);
    CHECK(model.opset_import(0).domain().empty());
    const onnx::GraphProto& g = model.graph();
    REQUIRE(g.input_size() == 1);
    REQUIRE(g.output_size() == 1);
    check_dims(g.input(0), "input", {3, 8, 8});
    check_dims(g.output(0), "logits", {10});

    // The normalisation first, then the convolutions; BN nodes only unfolded.
    REQUIRE(g.node_size() > 2);
    CHECK(g.node(0).op_type() == "Sub");
    CHECK(g.node(1).op_type() == "Div");
    const auto ops = op_counts(g);
    CHECK(ops.at("Conv") == convs);
    CHECK(ops.count("BatchNormalization") == (fold ? 0u : 1u));
    if (!fold) CHECK(ops.at("BatchNormalization") == convs);
    CHECK(ops.at("Add") == 9);
    CHECK(ops.at("Gemm") == 1);
    CHECK(g.node(g.node_size() - 1).output(0) == "logits");

    const auto props = metadata(model);
    CHECK(props.at("dnntrain.mean") == "0.5,0.5,0.5");  // synthetic data's normalisation
    CHECK(props.at("dnntrain.std") == "0.2887,0.2887,0.2887");
    CHECK(props.at("dnntrain.input_layout") == "NCHW, RGB, [0,1]");
    CHECK(props.at("dnntrain.model") == "resnet20");
    CHECK(props.at("dnntrain.batch_norm") == (fold ? "folded" : "unfolded"));
    CHECK(props.count("dnntrain.class_names") == 0);  // synthetic classes have no names
  }
}

TEST_CASE(
    "export keeps the class names train stored, and reads a weights-only file's model from the run's "
    "config") {
  const fs::path dir = tiny_run("onnx_class_names");
  const std::string names = "zero\none\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine";
  const fs::path named = dir / "run" / "named.safetensors";
  rewrite_checkpoint((dir / "run" / "checkpoint.safetensors").string(), named.string(),
                     [&](Metadata& m) { m["dnntrain.extra.class_names"] = names; });
  REQUIRE(run_cli("export --checkpoint " + named.string() + " -o " + (dir / "named.onnx").string()).code ==
          0);
  CHECK(metadata(onnx_export::read_onnx((dir / "named.onnx").string())).at("dnntrain.class_names") == names);

  // Without dnntrain.config: the run folder's config file names the model; elsewhere, an error.
  const fs::path bare = dir / "run" / "bare.safetensors";
  rewrite_checkpoint((dir / "run" / "checkpoint.safetensors").string(), bare.string(),
                     [](Metadata& m) { m.erase("dnntrain.config"); });
  const CliResult r = run_cli("export --checkpoint " + bare.string() + " -o " + (dir / "bare.onnx").string());
  INFO(r.err);
  CHECK(r.code == 0);
  fs::copy_file(bare, dir / "bare.safetensors");
  expect_error(
      "export --checkpoint " + (dir / "bare.safetensors").string() + " -o " + (dir / "x.onnx").string(), 1,
      "no dnntrain.config in its metadata (a torch state dict?) and no run config beside it");
}

TEST_CASE("export's errors are one line naming the file, and a failed export leaves the output as it was") {
  const fs::path dir = tiny_run("onnx_errors");
  const std::string checkpoint = (dir / "run" / "checkpoint.safetensors").string();
  const std::string out = (dir / "model.onnx").string();
  expect_error("export -o " + out, 2, "--checkpoint is required");
  expect_error("export --checkpoint " + checkpoint, 2, "--output is required");
  expect_error("export --checkpoint " + (dir / "missing.safetensors").string() + " -o " + out, 2,
               "missing.safetensors");

  std::ofstream(dir / "text.safetensors") << "not a checkpoint";
  expect_error("export --checkpoint " + (dir / "text.safetensors").string() + " -o " + out, 1,
               "text.safetensors");

  const fs::path unknown = dir / "run" / "unknown.safetensors";
  rewrite_checkpoint(checkpoint, unknown.string(), [](Metadata& m) {
    std::string& c = m["dnntrain.config"];
    for (size_t at; (at = c.find("model=resnet20")) != std::string::npos;)
      c.replace(at, 14, "model=resnet21");
  });
  std::ofstream(out) << "previous";
  expect_error("export --checkpoint " + unknown.string() + " -o " + out, 1, "got 'resnet21'");
  CHECK(read_text(out) == "previous");

  // A tensor the topology needs is missing: named with the file.
  const fs::path damaged = dir / "run" / "damaged.safetensors";
  rewrite_checkpoint(checkpoint, damaged.string(), [](Metadata& m) {
    std::string& c = m["dnntrain.config"];
    for (size_t at; (at = c.find("classes=10")) != std::string::npos;) c.replace(at, 10, "classes=11");
  });
  expect_error("export --checkpoint " + damaged.string() + " -o " + out, 1, "fc.weight");
  CHECK(read_text(out) == "previous");

  expect_error("export --checkpoint " + checkpoint + " -o " + (dir / "no_such_dir" / "m.onnx").string(), 1,
               "no_such_dir");
}

TEST_CASE("export refuses weights holding NaN or infinity, naming the file and the tensor") {
  const fs::path dir = scratch_dir("onnx_nonfinite");
  const std::string out = (dir / "model.onnx").string();
  for (const float poison : {std::numeric_limits<float>::quiet_NaN(), -std::numeric_limits<float>::infinity()}) {
    const fs::path file = dir / "poisoned.safetensors";
    write_random_checkpoint(file, "resnet18", layers::Stem::imagenet, poison);
    std::ofstream(out) << "previous";
    expect_error("export --checkpoint " + file.string() + " -o " + out, 1,
                 "poisoned.safetensors: tensor 'conv1.weight' holds a non-finite value");
    CHECK(read_text(out) == "previous");
  }
}
