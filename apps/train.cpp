// dnntrain train / eval: placeholders until the trainer lands (issue 5).
#include "apps/command.hpp"

namespace dnntrain::apps {

int run_train(const std::vector<std::string>&) { throw UsageError("train is not built yet"); }
int run_eval(const std::vector<std::string>&) { throw UsageError("eval is not built yet"); }

}  // namespace dnntrain::apps
