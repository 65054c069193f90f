// Graph: building the static graph, and executing its planned forward and backward passes.
#include "engine/graph.hpp"

#include <chrono>
#include <random>

#include <fmt/format.h>

#include "engine/desc_format.hpp"
#include "engine/error.hpp"
#include "engine/graph_state.hpp"

namespace dnntrain::engine {

namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// LayerTime's byte counts of node n.
void layer_bytes(const GraphState& s, size_t n, LayerTime& t) {
  const NodeState& node = s.nodes[n];
  double in = 0, diff_in = 0, out = node.output >= 0 ? static_cast<double>(s.tensors[node.output].md.get_size()) : 0;
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    const TensorState& x = s.tensors[node.inputs[i]];
    in += static_cast<double>(x.md.get_size());
    if (x.needs_diff) diff_in += static_cast<double>(x.md.get_size());
  }
  double weights = 0, grads = 0;
  for (int p : node.params) {
    const Parameter& param = s.parameters[p];
    grads += static_cast<double>(param.grad.get_desc().get_size());
    weights += param.working.empty() ? static_cast<double>(param.weight.get_desc().get_size())
                                     : static_cast<double>(param.weight.get_desc().get_size()) / 2;  // bf16 copy
  }
  t.forward_bytes = in + weights + out;
  t.backward_bytes = node.runs_backward ? out + in + weights + diff_in + grads : 0;
}

}  // namespace

Graph::Graph(Context& context, GraphOptions options)
    : state_(std::make_unique<GraphState>(context, options)) {}

Graph::~Graph() = default;

TensorId Graph::input(dnnl::memory::dims nchw) {
  GraphState& s = *state_;
  DNNTRAIN_CHECK(s.tensors.empty(), "the graph already has an input");
  DNNTRAIN_CHECK(nchw.size() == 4, "the graph input must be 4-D (N, C, H, W)");
  for (auto d : nchw)
    DNNTRAIN_CHECK(d > 0, fmt::format("input shape {}x{}x{}x{} has a dimension that is not positive",
                                      nchw[0], nchw[1], nchw[2], nchw[3]));
  TensorState& t = s.tensors.emplace_back();
  t.md = dnnl::memory::desc(nchw, dnnl::memory::data_type::f32, dnnl::memory::format_tag::nchw);
  t.declared = true;
  t.value = dnnl::memory(t.md, s.context.engine(), DNNL_MEMORY_NONE);
  return {0};
}

TensorId Graph::add(std::unique_ptr<Layer> layer, std::vector<TensorId> inputs) {
  GraphState& s = *state_;
  DNNTRAIN_CHECK(!s.planned, fmt::format("layer {} added after plan()", layer->name()));
  const int n = static_cast<int>(s.nodes.size());
  NodeState& node = s.nodes.emplace_back();
  for (size_t i = 0; i < inputs.size(); ++i) {
    DNNTRAIN_CHECK(inputs[i].valid() && inputs[i].index < static_cast<int>(s.tensors.size()),
                   fmt::format("layer {}: input {} is not a tensor of this graph", layer->name(), i));
    node.inputs.push_back(inputs[i].index);
    s.tensors[inputs[i].index].consumers.emplace_back(n, static_cast<int>(i));
  }
  node.layer = std::move(layer);
  if (!node.layer->is_sink()) {
    node.output = static_cast<int>(s.tensors.size());
    s.tensors.emplace_back().producer = n;
  }
  return {node.output};
}

Layer& Graph::layer(std::string_view name) {
  for (NodeState& node : state_->nodes)
    if (node.layer->name() == name) return *node.layer;
  throw Error(fmt::format("the graph has no layer named '{}'", name));
}

void Graph::throw_not_a(std::string_view name, const char* type) {
  throw Error(fmt::format("layer '{}' is not a {}", name, type));
}

void Graph::plan() { plan_graph(*state_); }

bool Graph::planned() const { return state_->planned; }

void Graph::initialize(uint64_t seed) {
  GraphState& s = *state_;
  DNNTRAIN_CHECK(s.planned, "initialize() needs a planned graph");
  size_t index = 0;
  for (Parameter& p : s.parameters) {
    std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + index++);
    std::vector<float> plain(p.elements());
    if (p.init.kind == Init::Kind::constant) {
      std::fill(plain.begin(), plain.end(), p.init.a);
    } else if (p.init.kind == Init::Kind::normal) {
      std::normal_distribution<float> d(0.f, p.init.a);
      for (float& v : plain) v = d(rng);
    } else {
      std::uniform_real_distribution<float> d(-p.init.a, p.init.a);
      for (float& v : plain) v = d(rng);
    }
    dnnl::memory src(p.plain_md, s.context.engine(), plain.data());
    dnnl::reorder(src, p.weight).execute(s.context.stream(), src, p.weight);
  }
  s.context.stream().wait();
  for (const Parameter& p : s.parameters) p.write_working_copies();
  for (const Buffer& b : s.buffers) b.reset();
}

void Graph::forward(Mode mode, const float* images, const int32_t* labels, const int32_t* mix_labels,
                    double mix_lambda) {
  GraphState& s = *state_;
  DNNTRAIN_CHECK(s.planned, "forward() needs a planned graph: call plan() first");
  DNNTRAIN_CHECK(images != nullptr, "forward(): no images given");
  DNNTRAIN_CHECK(mode == Mode::eval || !s.options.inference,
                 "forward(Mode::train) on a graph planned for inference (GraphOptions::inference); plan "
                 "a graph without it to train");
  dnnl::memory& in = s.tensors[0].value;
  if (in.get_data_handle() != images) in.set_data_handle(const_cast<float*>(images));
  Step step{s.context.stream(), mode, labels, batch()};
  step.mix_labels = mix_labels;
  step.mix_lambda = mix_lambda;
  if (s.profiling) s.times.assign(s.nodes.size(), LayerTime{});
  for (size_t n = 0; n < s.nodes.size(); ++n) {
    const auto t0 = std::chrono::steady_clock::now();
    double primitive_ms = 0;
    if (s.profiling) step.primitive_ms = &primitive_ms;
    s.nodes[n].layer->forward(step);
    if (s.profiling) {
      step.stream.wait();
      LayerTime& t = s.times[n];
      t.name = s.nodes[n].layer->name();
      t.forward_ms = ms_since(t0);
      t.forward_primitive_ms = primitive_ms;
      t.forward_flops = s.nodes[n].layer->forward_flops();
      t.backward_flops = s.nodes[n].layer->backward_flops();
      layer_bytes(s, n, t);
      const int out = s.nodes[n].output;
      t.bf16 = out >= 0 && s.tensors[out].md.get_data_type() == dnnl::memory::data_type::bf16;
    }
  }
  step.stream.wait();
}

void Graph::backward() {
  GraphState& s = *state_;
  DNNTRAIN_CHECK(s.planned, "backward() needs a planned graph: call plan() first");
  DNNTRAIN_CHECK(!s.options.inference,
                 "backward() on a graph planned for inference (GraphOptions::inference) has no gradients "
                 "to compute; plan a graph without it to train");
  Step step{s.context.stream(), Mode::train, nullptr, batch()};
  for (int n = static_cast<int>(s.nodes.size()) - 1; n >= 0; --n) {
    NodeState& node = s.nodes[n];
    if (!node.runs_backward) continue;
    const auto t0 = std::chrono::steady_clock::now();
    double primitive_ms = 0;
    if (s.profiling) step.primitive_ms = &primitive_ms;
    for (const Op& sum : node.sums_before_backward) sum.run(step);
    node.layer->backward(step);
    if (s.profiling) {
      step.stream.wait();
      s.times[n].backward_ms = ms_since(t0);
      s.times[n].backward_primitive_ms = primitive_ms;
    }
    if (s.on_gradient_ready)
      for (int p : node.params) s.on_gradient_ready(s.parameters[p]);
  }
  for (const Op& sum : s.input_sums) sum.run(step.stream);
  step.stream.wait();
}

void Graph::on_gradient_ready(std::function<void(Parameter&)> callback) {
  state_->on_gradient_ready = std::move(callback);
}

std::vector<Parameter*> Graph::parameters() {
  std::vector<Parameter*> out;
  for (Parameter& p : state_->parameters) out.push_back(&p);
  return out;
}

std::vector<Buffer*> Graph::buffers() {
  std::vector<Buffer*> out;
  for (Buffer& b : state_->buffers) out.push_back(&b);
  return out;
}

const dnnl::memory& Graph::value(TensorId t) const { return state_->tensors.at(t.index).value; }

const dnnl::memory& Graph::diff(TensorId t) const { return state_->tensors.at(t.index).diff; }

dnnl::memory::dims Graph::input_dims() const { return state_->tensors.at(0).md.get_dims(); }

int Graph::batch() const { return static_cast<int>(input_dims()[0]); }

Context& Graph::context() { return state_->context; }

MemoryReport Graph::memory_report() const { return state_->report; }

size_t Graph::primitives_created() const { return state_->primitives; }

std::string Graph::describe() const {
  const GraphState& s = *state_;
  std::string out;
  for (const NodeState& node : s.nodes) {
    out += fmt::format("{:<28} {}", node.layer->name(),
                       node.output >= 0 ? engine::describe(s.tensors[node.output].md) : "(sink)");
    for (const std::string& note : node.notes) out += " | " + note;
    out += '\n';
  }
  return out;
}

void Graph::set_profiling(bool on) { state_->profiling = on; }

const std::vector<LayerTime>& Graph::layer_times() const { return state_->times; }

}  // namespace dnntrain::engine
