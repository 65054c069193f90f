// summary.csv, log.jsonl and config, flushed after every write so a killed run keeps its rows.
#include "apps/run_files.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>

#include "engine/error.hpp"

namespace dnntrain::apps {

namespace {

std::FILE* open_file(const std::string& path, bool append) {
  std::FILE* f = std::fopen(path.c_str(), append ? "a" : "w");
  DNNTRAIN_CHECK(f != nullptr, fmt::format("cannot write '{}'; check --output-dir", path));
  return f;
}

}  // namespace

RunFiles::RunFiles(const std::string& dir, bool append) : dir_(dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  DNNTRAIN_CHECK(!ec, fmt::format("--output-dir: cannot create '{}': {}", dir, ec.message()));
  const std::string summary = path("summary.csv");
  const bool had_rows = append && std::filesystem::exists(summary) && std::filesystem::file_size(summary) > 0;
  summary_ = open_file(summary, append);
  log_ = open_file(path("log.jsonl"), append);
  if (!had_rows) {
    std::fputs(
        "epoch,lr,train_loss,train_top1,test_loss,test_top1,test_top5,images_per_sec,seconds,data_wait_"
        "seconds\n",
        summary_);
    std::fflush(summary_);
  }
}

RunFiles::~RunFiles() {
  if (summary_) std::fclose(summary_);
  if (log_) std::fclose(log_);
}

void RunFiles::write_config(const std::string& text) {
  const std::string file = path("config");
  std::ofstream out(file, std::ios::trunc);
  out << text;
  DNNTRAIN_CHECK(out.good(), fmt::format("cannot write '{}'", file));
}

void RunFiles::log_step(const engine::StepStats& s, int64_t epoch, double images_per_sec) {
  fmt::print(log_,
             "{{\"type\":\"step\",\"epoch\":{},\"step\":{},\"batch\":{},\"loss\":{:.6g},\"top1\":{:.6g},"
             "\"lr\":{:.6g},"
             "\"images_per_sec\":{:.1f}}}\n",
             epoch, s.step, s.batch_in_epoch, s.loss, s.n ? static_cast<double>(s.correct) / s.n : 0.0, s.lr,
             images_per_sec);
  std::fflush(log_);
}

void RunFiles::log_epoch(const EpochSummary& e) {
  fmt::print(summary_, "{},{:.6g},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.1f},{:.1f},{:.2f}\n", e.epoch, e.lr,
             e.train_loss, e.train_top1, e.test.loss, e.test.top1, e.test.top5, e.images_per_sec, e.seconds,
             e.wait_seconds);
  std::fflush(summary_);
  fmt::print(log_,
             "{{\"type\":\"epoch\",\"epoch\":{},\"lr\":{:.6g},\"train_loss\":{:.6g},\"train_top1\":{:.6g},"
             "\"test_loss\":{:.6g},\"test_top1\":{:.6g},\"test_top5\":{:.6g},\"images_per_sec\":{:.1f},"
             "\"seconds\":{:.2f},\"data_wait_seconds\":{:.3f}}}\n",
             e.epoch, e.lr, e.train_loss, e.train_top1, e.test.loss, e.test.top1, e.test.top5,
             e.images_per_sec, e.seconds, e.wait_seconds);
  std::fflush(log_);
}

}  // namespace dnntrain::apps
