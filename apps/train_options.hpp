// The options of `dnntrain train` (torchvision's reference-script names where one exists), each
// declared once in train_options.cpp (apps/option_table.hpp derives parsing, checks, help, the
// config file and the --resume comparison), and the checks that involve several options.
#pragma once

#include <cstdint>
#include <map>
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
  int64_t steps = 0;        // stop after this many optimizer steps in total (0: run all epochs)
  int64_t start_epoch = 0;  // a fresh run starts its schedule and data order at this epoch
  std::string opt = "sgd";
  double lr = 0.1, momentum = 0.9, weight_decay = 5e-4, label_smoothing = 0;
  double norm_weight_decay = -1, bias_weight_decay = -1;  // < 0: same as --wd
  double clip_grad_norm = 0;                              // 0: no clipping
  bool nesterov = false;
  bool amp = false;  // torchvision's mixed precision: here --precision bf16
  std::string lr_scheduler = "cosineannealinglr";
  int64_t lr_step_size = 30;
  double lr_gamma = 0.1, lr_min = 0, lr_warmup_decay = 0.01;
  std::string lr_milestones;  // comma-separated epochs (multisteplr)
  int64_t lr_warmup_epochs = 0;
  std::string lr_warmup_method = "linear";
  bool sched_on_updates = false;  // step the schedule and warmup per optimizer update
  std::string output_dir = "output";
  std::string tensorboard;  // empty: no event file; see RunViews
  std::string resume, init, init_skip;  // init_skip: comma-separated key prefixes
  std::string weights;                  // torchvision's --weights: a state-dict file, as --init
  bool test_only = false;               // evaluate the loaded weights and exit
  bool overwrite = false;               // a fresh run may replace the checkpoint of another run in output_dir
  int print_freq = 50;
  uint64_t seed = 0;
  std::string config;  // the INI file read, if any

  bool freeze_bn = false, sync_bn = false;
  // Under mpirun: MiB of gradients per allreduce bucket; none | reduce (average BN running statistics
  // at each epoch end); seconds a rank waits for the others before it aborts the job.
  double bucket_mb = 25;
  std::string dist_bn = "none";
  double dist_timeout = 600;

  bool model_ema = false;          // keep and evaluate an exponential moving average of weights and buffers
  int64_t model_ema_steps = 32;    // optimizer steps between EMA updates (batch index % steps == 0)
  double model_ema_decay = 0.99998;  // before torchvision's adjustment by world x batch x steps / epochs
  std::string effective_config;      // every stored option's value as INI lines, filled by parse
  std::vector<std::string> notices;  // --resume: changes the declarations allow, to print
  std::vector<std::string> per_rank;  // the options that may differ between ranks
};

// Parses args (and --config, and with --resume the checkpoint's recorded options). Returns false
// when --help was printed. Throws UsageError for bad input; every value is range-checked except
// the model shape, which resolve_model_from_data completes.
bool parse_train_options(const std::vector<std::string>& args, TrainOptions& o);

// The name=value lines of a config text (comments skipped): what a run recorded.
std::map<std::string, std::string> recorded_options(const std::string& config_text);

engine::OptimizerOptions optimizer_options(const TrainOptions& o);
engine::ScheduleOptions schedule_options(const TrainOptions& o);
std::vector<std::string> split_list(const std::string& list);

}  // namespace dnntrain::apps
