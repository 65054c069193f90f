// libFuzzer target for the INI text a run stores and `plot` and `predict` read back
// (apps/run_summary.cpp: config_values, run_title, read_run_summary) and the SVG drawn from it
// (apps/curves_svg.cpp). The input is a run's config file beside a fixed two-epoch summary.csv; an
// input starting "csv:" is the summary.csv instead. Any input reads or throws dnntrain::Error, and
// every SVG drawn is UTF-8 text without control characters but line breaks (what XML requires).
#include <cstdint>
#include <string>

#include "apps/curves_svg.hpp"
#include "apps/run_summary.hpp"
#include "engine/error.hpp"
#include "engine/utf8.hpp"
#include "tests/fuzz/fuzz_files.hpp"

namespace {

constexpr const char* kSummary =
    "epoch,lr,train_loss,train_top1,test_loss,test_top1,test_top5,images_per_sec,seconds,data_wait_seconds\n"
    "1,0.1,2.0,0.3,1.9,0.35,0.8,100.0,1.0,0.01\n2,0.05,1.5,0.5,1.6,0.45,0.9,100.0,1.0,0.01\n";

void require_printable(const std::string& svg) {
  for (const char c : svg)
    dnntrain::fuzz::require(c == '\n' || !dnntrain::engine::is_control(static_cast<unsigned char>(c)));
  size_t i = 0;
  while (i < svg.size()) {
    const size_t len = dnntrain::engine::utf8_sequence_length(svg, i);
    dnntrain::fuzz::require(len > 0);
    i += len;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dnntrain;
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto dir = fuzz::scratch_dir() / "run";
  const bool csv = text.rfind("csv:", 0) == 0;
  const std::string summary = csv ? text.substr(4) : kSummary;
  fuzz::write_file(dir / "summary.csv", reinterpret_cast<const uint8_t*>(summary.data()), summary.size(),
                   false);
  fuzz::write_file(dir / "config", data, csv ? 0 : size, false);
  apps::config_values(text);
  try {
    const apps::RunSummary run = apps::read_run_summary(dir.string());
    require_printable(apps::curves_svg({run}, run.title));
    require_printable(apps::curves_svg({run, run}, text));
  } catch (const Error&) {
  }
  return 0;
}
