// The options of `dnntrain train` (torchvision's reference-script names where one exists), their
// range checks, the --config INI file (the command line overrides it) and the effective
// configuration written beside the checkpoints.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "apps/data_setup.hpp"
#include "apps/options.hpp"
#include "engine/optim/lr_schedule.hpp"
#include "engine/optim/optimizer.hpp"

namespace dnntrain::apps {

struct TrainOptions {
  ModelOptions model;  // model "auto", image size/channels/classes 0: from the dataset
  DataOptions data;
  int epochs = 15;
  int64_t steps = 0;  // stop after this many optimizer steps in total (0: run all epochs)
  std::string opt = "sgd";
  double lr = 0.1, momentum = 0.9, weight_decay = 5e-4, label_smoothing = 0;
  double norm_weight_decay = -1;  // < 0: same as --wd
  bool nesterov = false;
  std::string lr_scheduler = "cosineannealinglr";
  int64_t lr_step_size = 30;
  double lr_gamma = 0.1, lr_min = 0, lr_warmup_decay = 0.01;
  std::string lr_milestones;  // comma-separated epochs (multisteplr)
  int64_t lr_warmup_epochs = 0;
  bool sched_on_updates = false;  // step the schedule and warmup per optimizer update
  std::string output_dir = "output";
  std::string tensorboard;  // empty: no event file; see RunViews
  std::string resume, init, init_skip;  // init_skip: comma-separated key prefixes
  bool overwrite = false;               // a fresh run may replace the checkpoint of another run in output_dir
  int print_freq = 50;
  uint64_t seed = 0;
  std::string config;  // the INI file read, if any

  bool freeze_bn = false;
  // Under mpirun: MiB of gradients per allreduce bucket; none | reduce (average BN running statistics
  // at each epoch end); seconds a rank waits for the others before it aborts the job.
  double bucket_mb = 25;
  std::string dist_bn = "none";
  double dist_timeout = 600;

  // ---- issue 24, torchvision recipe: EMA flags (branch augment) ----
  bool model_ema = false;            // keep and evaluate an exponential moving average of weights and buffers
  int64_t model_ema_steps = 32;      // optimizer steps between EMA updates (batch index % steps == 0)
  double model_ema_decay = 0.99998;  // before torchvision's adjustment by world x batch x steps / epochs
  // ---- end issue 24 EMA flags ----

  std::string effective_config;  // every option's value as INI lines, filled by parse
};

// Parses args (and --config). Returns false when --help was printed. Throws UsageError or
// boost::program_options::error for bad input; every value is range-checked except the model
// shape, which resolve_model_from_data completes.
bool parse_train_options(const std::vector<std::string>& args, TrainOptions& o);

engine::OptimizerOptions optimizer_options(const TrainOptions& o);
engine::ScheduleOptions schedule_options(const TrainOptions& o);
std::vector<std::string> split_list(const std::string& list);

}  // namespace dnntrain::apps
