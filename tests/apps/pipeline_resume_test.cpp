// data::Pipeline::start_epoch(epoch, first_batch), which resume relies on: starting at batch k gives
// exactly batches k, k+1, ... of the full epoch, in both core-sharing modes.
#include <doctest/doctest.h>

#include <vector>

#include "data/pipeline.hpp"
#include "data/synthetic.hpp"

using namespace dnntrain::data;

namespace {

struct Copy {
  std::vector<float> images;
  std::vector<int32_t> labels;
  bool operator==(const Copy&) const = default;
};

std::vector<Copy> epoch_from(Pipeline& p, uint64_t epoch, int64_t first) {
  p.start_epoch(epoch, first);
  std::vector<Copy> out;
  BatchView b;
  while (p.next(b)) {
    const size_t per = static_cast<size_t>(b.channels) * b.height * b.width;
    out.push_back({{b.images, b.images + per * b.n}, {b.labels, b.labels + b.n}});
  }
  return out;
}

}  // namespace

TEST_CASE("a pipeline started at batch k yields the rest of the full epoch") {
  std::shared_ptr<const Dataset> set =
      make_synthetic({.samples = 100, .channels = 1, .height = 8, .width = 8});
  for (CoreSharing sharing : {CoreSharing::in_steps, CoreSharing::background}) {
    PipelineSettings s;
    s.batch_size = 16;  // 6 full batches per training epoch
    s.seed = 7;
    s.sharing = sharing;
    Pipeline p(set, SampleTransform(DatasetKind::synthetic, *set, {}, true), s);
    const auto full = epoch_from(p, 3, 0);
    REQUIRE(full.size() == 6);
    for (int64_t k : {1, 4, 6}) {
      INFO("sharing " << (sharing == CoreSharing::background ? "background" : "in_steps") << ", first batch "
                      << k);
      const auto rest = epoch_from(p, 3, k);
      REQUIRE(rest.size() == full.size() - static_cast<size_t>(k));
      for (size_t i = 0; i < rest.size(); ++i) CHECK(rest[i] == full[static_cast<size_t>(k) + i]);
    }
  }
}
