// The --config INI file (name=value lines, '#' comments, [section] prefixes) read into a command's
// options; stored after the command line, so the command line wins.
#pragma once

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/variables_map.hpp>
#include <string>

namespace dnntrain::apps {

// Stores the values of `file` for `desc`'s options into `vm` (not notified). Throws UsageError
// naming the file if it cannot be read, boost::program_options::error for an unknown option or a
// bad value.
void store_config_file(const std::string& file, const boost::program_options::options_description& desc,
                       boost::program_options::variables_map& vm);

}  // namespace dnntrain::apps
