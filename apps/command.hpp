// What every dnntrain subcommand shares: its entry point signature and the usage error that maps
// to exit code 2 (runtime failures, dnntrain::Error, map to 1).
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace dnntrain::apps {

// A bad command line: unknown option, value out of range, missing argument. Exit code 2.
class UsageError : public std::runtime_error {
 public:
  explicit UsageError(const std::string& what) : std::runtime_error(what) {}
};

// Each subcommand takes its own arguments (without the subcommand name) and returns its exit code.
int run_bench(const std::vector<std::string>& args);
int run_train(const std::vector<std::string>& args);
int run_eval(const std::vector<std::string>& args);
int run_plot(const std::vector<std::string>& args);
int run_predict(const std::vector<std::string>& args);
int run_export(const std::vector<std::string>& args);

}  // namespace dnntrain::apps
