// libFuzzer target for the --config INI reader (apps/config_file.cpp) over options of every value
// type train uses. Any file stores and notifies, or throws UsageError or a Boost.Program_options
// error, the two that dnntrain turns into exit code 2; anything else escapes and is a finding.
#include <boost/program_options.hpp>
#include <cstdint>
#include <string>

#include "apps/command.hpp"
#include "apps/config_file.hpp"
#include "tests/fuzz/fuzz_files.hpp"

namespace po = boost::program_options;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto file = dnntrain::fuzz::scratch_dir() / "config.ini";
  dnntrain::fuzz::write_file(file, data, size, false);
  std::string text = "auto", config;
  int epochs = 15;
  int64_t steps = 0;
  uint64_t seed = 0;
  double lr = 0.1;
  bool flag = false;
  po::options_description desc("fuzz");
  desc.add_options()("config", po::value(&config), "")("model", po::value(&text)->default_value(text), "")(
      "epochs", po::value(&epochs)->default_value(epochs), "")(
      "steps", po::value(&steps)->default_value(steps), "")("seed", po::value(&seed)->default_value(seed),
                                                            "")("lr", po::value(&lr)->default_value(lr), "")(
      "nesterov", po::bool_switch(&flag), "")("wd,weight-decay", po::value(&lr), "");
  po::variables_map vm;
  try {
    dnntrain::apps::store_config_file(file.string(), desc, vm);
    po::notify(vm);
  } catch (const dnntrain::apps::UsageError&) {
  } catch (const po::error&) {
  }
  return 0;
}
