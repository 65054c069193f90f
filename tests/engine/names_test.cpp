// Name tables (engine/names.hpp) and the tables beside the options they name: every name parses to
// its value and back, every error lists the table, and each ResNet's name is its depth.
#include "engine/names.hpp"

#include <doctest/doctest.h>

#include <string>

#include "engine/error.hpp"
#include "engine/optim/lr_schedule.hpp"
#include "engine/optim/optimizer.hpp"
#include "layers/conv2d.hpp"
#include "layers/resnet.hpp"

using namespace dnntrain;

namespace {

// Every row's name finds its value, and the value its name.
template <class Value, size_t N>
void check_round_trip(const engine::Named<Value> (&table)[N]) {
  for (const auto& row : table) {
    INFO(std::string(row.name));
    CHECK(engine::find_named(table, row.name) == row.value);
    CHECK(engine::name_of(table, row.value) == row.name);
  }
  CHECK_FALSE(engine::find_named(table, "no-such-name").has_value());
}

// The message of what `parse` throws.
template <class Parse>
std::string error_of(Parse parse) {
  try {
    parse();
  } catch (const Error& e) {
    return e.what();
  }
  return "(nothing thrown)";
}

}  // namespace

TEST_CASE("name_list joins a table's names with commas and a final 'or'") {
  const engine::Named<int> one[] = {{1, "a"}};
  const engine::Named<int> three[] = {{1, "a"}, {2, "b"}, {3, "c"}};
  CHECK(engine::name_list(one) == "a");
  CHECK(engine::name_list(three) == "a, b or c");
}

TEST_CASE("every table's names parse to their values and back") {
  check_round_trip(engine::kOptimizerNames);
  check_round_trip(engine::kScheduleNames);
  check_round_trip(layers::kConvAlgorithmNames);
  check_round_trip(layers::kStemNames);
  for (const auto& model : layers::resnet_models()) CHECK(&layers::resnet_architecture(model.name) == &model);
}

TEST_CASE("an unknown name's error lists the whole table") {
  CHECK(error_of([] { engine::optimizer_kind_from_name("rmsprop"); }) ==
        "unknown optimizer 'rmsprop'; use sgd, adam or adamw");
  CHECK(error_of([] { engine::schedule_kind_from_name("wavy"); }) ==
        "unknown LR schedule 'wavy'; use constant, steplr, multisteplr, cosineannealinglr or exponentiallr");
  CHECK(error_of([] { layers::resnet_architecture("resnet19"); }) ==
        "unknown model 'resnet19'; choose one of resnet18, resnet34, resnet50, resnet101, resnet152, "
        "resnet20, resnet32, resnet44, resnet56 or resnet110");
}

TEST_CASE("each ResNet's name is its depth: weighted layers in its blocks, plus the stem conv and fc") {
  for (const auto& model : layers::resnet_models()) {
    INFO(std::string(model.name));
    int blocks = 0;
    for (int b : model.blocks) blocks += b;
    const int depth = (model.bottleneck ? 3 : 2) * blocks + 2;
    CHECK(model.name == "resnet" + std::to_string(depth));
    CHECK(model.blocks.size() == model.widths.size());
    CHECK(model.widths.front() == (model.cifar_family ? 16 : 64));
  }
}
