// The dnntrain command: dispatches to train, eval, bench, plot, predict and export, and turns every error
// into one line on stderr with exit code 2 (usage) or 1 (failure at run time). SIGPIPE is ignored,
// so a closed pipe on stdout is a failed write (exit 1 naming stdout), not a silent death.
#include <fmt/format.h>

#include <boost/program_options/errors.hpp>
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "apps/command.hpp"
#include "apps/interrupt.hpp"
#include "engine/error.hpp"
#include "engine/runtime_info.hpp"

namespace {

constexpr const char* kUsage =
    "usage: dnntrain <command> [options]\n"
    "\n"
    "commands:\n"
    "  train   train a ResNet on a dataset (checkpoints, logs, evaluation each epoch)\n"
    "  eval    evaluate a checkpoint: loss, top-1, top-5, confusion matrix\n"
    "  bench   measure training and inference images/s, per-layer times, peak memory\n"
    "  plot    draw training runs' curves (summary.csv) into one SVG to compare them\n"
    "  predict top-5 classes of images with a trained checkpoint\n"
    "  export  write a trained checkpoint as an ONNX model (ONNX Runtime, OpenVINO, OpenCV)\n"
    "\n"
    "'dnntrain <command> --help' lists the options of a command with their defaults;\n"
    "'dnntrain --version' prints the version, oneDNN's and the instruction set used.\n";

int dispatch(const std::string& command, const std::vector<std::string>& args) {
  using namespace dnntrain;
  if (command == "--help" || command == "-h" || command == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (command == "--version" || command == "version") {
    if (!args.empty()) throw apps::UsageError("--version takes no arguments");
    fmt::print("dnntrain {}\n{}\n", DNNTRAIN_VERSION, engine::describe(engine::runtime_info()));
    return 0;
  }
  if (command == "bench") return apps::run_bench(args);
  if (command == "train") return apps::run_train(args);
  if (command == "eval") return apps::run_eval(args);
  if (command == "plot") return apps::run_plot(args);
  if (command == "predict") return apps::run_predict(args);
  if (command == "export") return apps::run_export(args);
  throw apps::UsageError(
      fmt::format("unknown command '{}'; choose train, eval, bench, plot, predict or export", command));
}

}  // namespace

int main(int argc, char** argv) {
  using namespace dnntrain;
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string command = argv[1];
  const std::vector<std::string> args(argv + 2, argv + argc);
  std::signal(SIGPIPE, SIG_IGN);
  const auto run = [&]() -> int {
    const int code = dispatch(command, args);
    if (const auto failure = apps::stdout_failure(); failure && code == 0) throw Error(*failure);
    return code;
  };
  try {
    return run();
  } catch (const apps::UsageError& e) {
    fmt::print(stderr, "dnntrain {}: {}\n", command, e.what());
    return 2;
  } catch (const boost::program_options::error& e) {
    fmt::print(stderr, "dnntrain {}: {}\n", command, e.what());
    return 2;
  } catch (const Error& e) {
    fmt::print(stderr, "dnntrain {}: {}\n", command, e.what());
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "dnntrain {}: unexpected failure: {}\n", command, e.what());
    return 1;
  }
}
