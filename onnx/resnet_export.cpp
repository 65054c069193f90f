// The ONNX graph of a ResNet, one group of nodes per topology node; see resnet_export.hpp.
// Tensor names: the input "input", each node's output under its module path ("layer1.0.bn1"), the
// logits "logits"; initializers under the checkpoint's keys ("layer1.0.conv1.weight").
#include "onnx/resnet_export.hpp"

#include <fmt/format.h>

#include <cstring>
#include <span>

#include "engine/error.hpp"
#include "layers/batch_norm_fold.hpp"

namespace dnntrain::onnx_export {

namespace {

using layers::ResNetNode;

// Appends nodes and initializers to one GraphProto.
class GraphWriter {
 public:
  GraphWriter(onnx::GraphProto& graph, const engine::Safetensors& weights) : g_(graph), weights_(weights) {}

  // The checkpoint's F32 tensor `key`, checked to have `shape`.
  std::vector<float> tensor(const std::string& key, const std::vector<int64_t>& shape) const {
    const engine::TensorInfo& t = weights_.at(key, engine::DType::F32, &shape);
    const std::span<const uint8_t> bytes = weights_.bytes(t);
    std::vector<float> values(t.elements());
    std::memcpy(values.data(), bytes.data(), bytes.size());  // little-endian, as the host
    return values;
  }

  // An f32 initializer `name` of `shape`; returns its name.
  std::string initializer(const std::string& name, const std::vector<int64_t>& shape,
                          std::span<const float> values) {
    onnx::TensorProto* t = g_.add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto_DataType_FLOAT);
    for (int64_t d : shape) t->add_dims(d);
    t->set_raw_data(values.data(), values.size_bytes());
    return name;
  }
  // The checkpoint's tensor `key` as an initializer of the same name.
  std::string initializer(const std::string& key, const std::vector<int64_t>& shape) {
    return initializer(key, shape, tensor(key, shape));
  }

  onnx::NodeProto& node(const std::string& op, const std::string& name, std::vector<std::string> inputs,
                        const std::string& output) {
    onnx::NodeProto* n = g_.add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (const std::string& in : inputs) n->add_input(in);
    n->add_output(output);
    return *n;
  }

 private:
  onnx::GraphProto& g_;
  const engine::Safetensors& weights_;
};

void set_ints(onnx::NodeProto& n, const std::string& name, std::vector<int64_t> values) {
  onnx::AttributeProto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto_AttributeType_INTS);
  for (int64_t v : values) a->add_ints(v);
}
void set_int(onnx::NodeProto& n, const std::string& name, int64_t value) {
  onnx::AttributeProto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto_AttributeType_INT);
  a->set_i(value);
}
void set_float(onnx::NodeProto& n, const std::string& name, float value) {
  onnx::AttributeProto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto_AttributeType_FLOAT);
  a->set_f(value);
}

// A float tensor value (batch, dims...) for the graph's input or output.
void declare(onnx::ValueInfoProto& value, const std::string& name, const std::vector<int64_t>& dims) {
  value.set_name(name);
  onnx::TypeProto_Tensor* t = value.mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto_DataType_FLOAT);
  onnx::TensorShapeProto* shape = t->mutable_shape();
  shape->add_dim()->set_dim_param("batch");
  for (int64_t d : dims) shape->add_dim()->set_dim_value(d);
}

std::string join(const std::vector<float>& values) {
  std::string text;
  for (float v : values) text += (text.empty() ? "" : ",") + fmt::format("{}", v);
  return text;
}

void add_metadata(onnx::ModelProto& model, const std::string& key, const std::string& value) {
  onnx::StringStringEntryProto* p = model.add_metadata_props();
  p->set_key(key);
  p->set_value(value);
}

// Conv (no bias), BatchNormalization with the running statistics, Relu if the node has one; or,
// folded, one Conv whose weights and bias carry the batch norm.
std::string conv_bn(GraphWriter& w, const ResNetNode& node, const std::string& x, bool fold) {
  const int64_t out = node.out;
  const std::vector<int64_t> weight_shape{out, node.in, node.kernel, node.kernel};
  const std::vector<int64_t> channels{out};
  const std::string bn = node.bn;
  const std::string y = node.relu ? bn + ".pre_relu" : bn;
  onnx::NodeProto* conv = nullptr;
  if (fold) {
    const layers::FoldedConv folded = layers::fold_batch_norm(
        w.tensor(node.name + ".weight", weight_shape), {}, node.out, w.tensor(bn + ".weight", channels),
        w.tensor(bn + ".bias", channels), w.tensor(bn + ".running_mean", channels),
        w.tensor(bn + ".running_var", channels), node.bn_eps);
    const std::string weight = w.initializer(node.name + ".weight", weight_shape, folded.weights);
    const std::string bias = w.initializer(node.name + ".bias", channels, folded.bias);
    conv = &w.node("Conv", node.name, {x, weight, bias}, y);
  } else {
    conv = &w.node("Conv", node.name, {x, w.initializer(node.name + ".weight", weight_shape)}, node.name);
    onnx::NodeProto& norm =
        w.node("BatchNormalization", bn,
               {node.name, w.initializer(bn + ".weight", channels), w.initializer(bn + ".bias", channels),
                w.initializer(bn + ".running_mean", channels), w.initializer(bn + ".running_var", channels)},
               y);
    set_float(norm, "epsilon", static_cast<float>(node.bn_eps));
  }
  set_ints(*conv, "kernel_shape", {node.kernel, node.kernel});
  set_ints(*conv, "strides", {node.stride, node.stride});
  set_ints(*conv, "pads", {node.padding, node.padding, node.padding, node.padding});
  if (!node.relu) return y;
  w.node("Relu", bn + ".relu", {y}, bn);
  return bn;
}

}  // namespace

onnx::ModelProto resnet_to_onnx(const ExportSpec& spec, const engine::Safetensors& weights) {
  const std::vector<ResNetNode> nodes = layers::resnet_topology(spec.topology);
  const int channels = spec.topology.in_channels;
  DNNTRAIN_CHECK(spec.mean.size() == static_cast<size_t>(channels) && spec.std.size() == spec.mean.size(),
                 fmt::format("the normalisation has {} means and {} stds for {} input channels",
                             spec.mean.size(), spec.std.size(), channels));
  DNNTRAIN_CHECK(spec.image_size > 0,
                 fmt::format("the image size must be positive, got {}", spec.image_size));

  onnx::ModelProto model;
  model.set_ir_version(8);  // the IR of opset 17 (ONNX 1.12)
  model.set_producer_name("dnntrain");
  model.set_producer_version(DNNTRAIN_VERSION);
  model.set_doc_string(fmt::format("{}{}, {}", spec.topology.model,
                                   spec.fold_bn ? " (batch norm folded)" : "",
                                   spec.normalize ? "input: images in [0, 1], normalised by the first nodes"
                                                  : "input: normalised images (see dnntrain.mean/std)"));
  onnx::OperatorSetIdProto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOpset);
  onnx::GraphProto& graph = *model.mutable_graph();
  graph.set_name(spec.topology.model);
  declare(*graph.add_input(), kInputName, {channels, spec.image_size, spec.image_size});
  declare(*graph.add_output(), kOutputName, {spec.topology.classes});

  GraphWriter w(graph, weights);
  std::string images = kInputName;
  if (spec.normalize) {
    // (C, 1, 1), broadcast over (N, C, H, W): OpenCV 4.6 refuses a (1, C, 1, 1) constant at batch > 1.
    const std::vector<int64_t> per_channel{channels, 1, 1};
    w.node("Sub", "normalize.sub", {kInputName, w.initializer("normalize.mean", per_channel, spec.mean)},
           "normalize.centered");
    w.node("Div", "normalize.div",
           {"normalize.centered", w.initializer("normalize.std", per_channel, spec.std)}, "normalized");
    images = "normalized";
  }
  std::vector<std::string> outputs;  // per topology node
  for (const ResNetNode& node : nodes) {
    const auto in = [&](size_t i) {
      return node.inputs[i] == layers::kGraphInput ? images : outputs[static_cast<size_t>(node.inputs[i])];
    };
    std::string y;
    switch (node.kind) {
      case ResNetNode::Kind::conv_bn:
        y = conv_bn(w, node, in(0), spec.fold_bn);
        break;
      case ResNetNode::Kind::max_pool: {
        onnx::NodeProto& pool = w.node("MaxPool", node.name, {in(0)}, node.name);
        set_ints(pool, "kernel_shape", {node.kernel, node.kernel});
        set_ints(pool, "strides", {node.stride, node.stride});
        set_ints(pool, "pads", {node.padding, node.padding, node.padding, node.padding});
        y = node.name;
        break;
      }
      case ResNetNode::Kind::add_relu:
        w.node("Add", node.name, {in(0), in(1)}, node.name + ".sum");
        y = w.node("Relu", node.name + ".relu", {node.name + ".sum"}, node.name).output(0);
        break;
      case ResNetNode::Kind::global_avg_pool:
        w.node("GlobalAveragePool", node.name, {in(0)}, node.name + ".map");  // (N, C, 1, 1)
        set_int(w.node("Flatten", node.name + ".flatten", {node.name + ".map"}, node.name), "axis", 1);
        y = node.name;
        break;
      case ResNetNode::Kind::linear: {
        const std::vector<int64_t> weight_shape{node.out, node.in}, bias_shape{node.out};
        onnx::NodeProto& gemm = w.node("Gemm", node.name,
                                       {in(0), w.initializer(node.name + ".weight", weight_shape),
                                        w.initializer(node.name + ".bias", bias_shape)},
                                       kOutputName);
        set_int(gemm, "transB", 1);  // fc.weight is (out, in), as torch stores it
        y = kOutputName;
        break;
      }
    }
    outputs.push_back(y);
  }
  DNNTRAIN_CHECK(outputs.back() == kOutputName, "the topology does not end with its classifier");

  add_metadata(model, "dnntrain.model", spec.topology.model);
  add_metadata(model, "dnntrain.input_layout",
               fmt::format("NCHW, {}, [0,1]", channels == 3   ? std::string("RGB")
                                              : channels == 1 ? std::string("grayscale")
                                                              : fmt::format("{} channels", channels)));
  add_metadata(model, "dnntrain.mean", join(spec.mean));
  add_metadata(model, "dnntrain.std", join(spec.std));
  add_metadata(model, "dnntrain.normalization", spec.normalize ? "in the graph" : "not in the graph");
  add_metadata(model, "dnntrain.batch_norm", spec.fold_bn ? "folded" : "unfolded");
  if (!spec.class_names.empty()) {
    std::string text;
    for (const std::string& name : spec.class_names) text += (text.empty() ? "" : "\n") + name;
    add_metadata(model, "dnntrain.class_names", text);
  }
  for (const auto& [key, value] : spec.metadata) add_metadata(model, key, value);
  return model;
}

}  // namespace dnntrain::onnx_export
