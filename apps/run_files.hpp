// The files of a training run's output folder besides checkpoints: summary.csv (one row per epoch),
// log.jsonl (one JSON object per printed step and per evaluation) and config.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "engine/trainer.hpp"

namespace dnntrain::apps {

struct EpochSummary {
  int64_t epoch = 0;  // 1-based
  double lr = 0, train_loss = 0, train_top1 = 0;
  engine::EvalResult test;
  double images_per_sec = 0, seconds = 0, wait_seconds = 0;
};

class RunFiles {
 public:
  // Creates `dir`; `append` (resume) keeps existing summary.csv and log.jsonl rows.
  RunFiles(const std::string& dir, bool append);
  ~RunFiles();
  RunFiles(const RunFiles&) = delete;
  RunFiles& operator=(const RunFiles&) = delete;

  void write_config(const std::string& text);
  void log_step(const engine::StepStats& s, int64_t epoch, double images_per_sec);
  void log_epoch(const EpochSummary& e);
  std::string path(const std::string& name) const { return dir_ + "/" + name; }

 private:
  std::string dir_;
  std::FILE* summary_ = nullptr;
  std::FILE* log_ = nullptr;
};

}  // namespace dnntrain::apps
