// choose_micro_batching: byte counts of each node's output and each stage's weights, walked over
// the topology with the config's image size.
#include "layers/micro_batching.hpp"

#include <algorithm>

#include "engine/precision.hpp"

namespace dnntrain::layers {

MicroBatching choose_micro_batching(const ResNetConfig& config, const std::vector<ResNetNode>& nodes,
                                    size_t cache_bytes, int threads) {
  if (cache_bytes == 0) return {};  // unknown caches: the whole batch
  const size_t element = config.precision == engine::Precision::bf16 ? 2 : 4;
  int stages = 0;  // the residual stages; the pools and the classifier come after them
  for (const ResNetNode& node : nodes)
    if (node.kind == ResNetNode::Kind::conv_bn) stages = std::max(stages, node.stage);
  // per stage: bytes of every output of one image, and of the weights
  std::vector<double> outputs(static_cast<size_t>(stages) + 1, 0), weights(outputs.size(), 0);
  std::vector<int> side(nodes.size(), config.image_size);
  double largest_first = 0;  // the largest output of one image in the stem and stage 1
  for (size_t i = 0; i < nodes.size() && nodes[i].stage <= stages; ++i) {
    const ResNetNode& n = nodes[i];
    const int in = n.inputs.empty() || n.inputs[0] == kGraphInput ? config.image_size
                                                                 : side[static_cast<size_t>(n.inputs[0])];
    const int stage = n.stage;
    if (n.kind != ResNetNode::Kind::conv_bn && n.kind != ResNetNode::Kind::max_pool) {
      side[i] = in;
      continue;
    }
    side[i] = (in + 2 * n.padding - n.kernel) / n.stride + 1;
    const double bytes = static_cast<double>(n.out) * side[i] * side[i] * element;
    outputs[static_cast<size_t>(stage)] += bytes;
    if (stage <= 1) largest_first = std::max(largest_first, bytes);
    if (n.kind == ResNetNode::Kind::conv_bn)
      weights[static_cast<size_t>(stage)] += static_cast<double>(n.out) * n.in * n.kernel * n.kernel * element;
  }
  if (config.batch * largest_first <= static_cast<double>(cache_bytes)) return {};
  int images = 0;  // the largest fitting divisor, and at least one image per thread
  for (int m = 1; m < config.batch; ++m)
    if (config.batch % m == 0 && (m * largest_first <= static_cast<double>(cache_bytes) || images < threads))
      images = m;
  if (images == 0) return {};
  const double micro_batches = static_cast<double>(config.batch) / images;
  int head = 0;
  while (head < stages && micro_batches * weights[static_cast<size_t>(head) + 1] <
                              config.batch * outputs[static_cast<size_t>(head) + 1])
    ++head;
  if (head == 0) return {};
  return {images, head};
}

}  // namespace dnntrain::layers
