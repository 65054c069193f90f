// Reads --config through Boost.Program_options' INI parser; kept apart so that a fuzz target can
// build it alone.
#include "apps/config_file.hpp"

#include <fmt/format.h>

#include <boost/program_options/parsers.hpp>
#include <fstream>

#include "apps/command.hpp"

namespace dnntrain::apps {

namespace po = boost::program_options;

void store_config_file(const std::string& file, const po::options_description& desc, po::variables_map& vm) {
  std::ifstream in(file);
  if (!in) throw UsageError(fmt::format("--config: cannot read '{}'", file));
  po::store(po::parse_config_file(in, desc), vm);
}

}  // namespace dnntrain::apps
