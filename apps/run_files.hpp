// The output folder of a training run besides checkpoints: its lock, summary.csv (one row per
// epoch), log.jsonl (a run line, then one JSON object per printed step and per evaluation) and
// config.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "apps/log_file.hpp"
#include "engine/precision.hpp"
#include "engine/trainer.hpp"
#include "engine/tuning.hpp"

namespace dnntrain::apps {

struct EpochSummary {
  int64_t epoch = 0;  // 1-based
  double lr = 0, train_loss = 0, train_top1 = 0;
  engine::EvalResult test;
  double images_per_sec = 0, seconds = 0, wait_seconds = 0;
  std::optional<engine::EvalResult> ema;  // --model-ema: the average's evaluation (extra columns)
};

// How far a resumed run's logs go: rows past it were written after the checkpoint and are cut.
struct LogPosition {
  int64_t epochs_done = 0;  // completed epochs (summary rows and epoch lines 1..epochs_done)
  int64_t step = 0;         // step lines up to this step
};

// log.jsonl's first line: the step the run starts from and the precision it trains in, with
// --precision auto's decision when it made one.
struct RunStart {
  int64_t step = 0;
  engine::Precision precision = engine::Precision::f32;
  std::optional<engine::PrecisionDecision> automatic;
};

class RunFiles {
 public:
  // Creates `dir` and holds an exclusive lock on `dir`/dnntrain.lock until destroyed (a second run
  // on the folder: UsageError naming it); then removes the temporaries a killed run left.
  explicit RunFiles(const std::string& dir);
  ~RunFiles();
  RunFiles(const RunFiles&) = delete;
  RunFiles& operator=(const RunFiles&) = delete;

  // A fresh run (`resume` empty), or a resume from a checkpoint of another folder, into a folder
  // that holds a checkpoint: UsageError unless `overwrite`. A resume in the checkpoint's own
  // folder continues that run.
  void check_target(const std::string& resume, bool overwrite) const;
  // Opens summary.csv and log.jsonl: emptied when `resumed` is null, else cut to its position.
  // A log.jsonl left empty starts with `start`'s run line (a resume keeps the first run's).
  // `ema`: summary.csv gets the columns ema_test_loss, ema_test_top1, ema_test_top5.
  void open_logs(const LogPosition* resumed, const RunStart& start, bool ema = false);
  void write_config(const std::string& text);  // atomically
  void log_step(const engine::StepStats& s, int64_t epoch, double images_per_sec);
  void log_epoch(const EpochSummary& e);
  // fsyncs and closes the logs; throws dnntrain::Error naming the file on a write error.
  void close();
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  int stale_temporaries_removed() const { return stale_removed_; }

 private:
  std::string dir_;
  int lock_fd_ = -1;
  int stale_removed_ = 0;
  LogFile summary_, log_;
};

// The length of the prefix of summary.csv (`csv`) or log.jsonl (`jsonl`) text written up to
// `position`: whole lines only, stopping at the first line past it.
size_t summary_prefix(const std::string& csv, const LogPosition& position);
size_t log_prefix(const std::string& jsonl, const LogPosition& position);

}  // namespace dnntrain::apps
