// train's option declarations, the checks across options, and --resume's comparison with the
// options a checkpoint recorded.
#include "apps/train_options.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <sstream>

#include "apps/command.hpp"
#include "apps/limits.hpp"
#include "apps/option_table.hpp"
#include "apps/run_views.hpp"
#include "engine/checkpoint/atomic_file.hpp"
#include "engine/checkpoint/safetensors.hpp"
#include "engine/error.hpp"
#include "engine/names.hpp"

namespace dnntrain::apps {

namespace {

// A file option (--resume, --init, --weights) that is given must name a regular file.
void check_file_option(const std::string& option, const std::string& file) {
  if (file.empty()) return;
  if (const auto problem = engine::not_a_regular_file(file))
    throw UsageError(fmt::format("{}: '{}' {}; give a checkpoint file", option, file, *problem));
}

// torchvision's --weights names an enum member (ResNet50_Weights.IMAGENET1K_V2, DEFAULT) that it
// downloads; here it must be a file.
void check_weights(const std::string& weights) {
  if (weights.empty() || std::filesystem::exists(weights)) return check_file_option("--weights", weights);
  const bool enum_like = std::all_of(weights.begin(), weights.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
  });
  if (enum_like)
    throw UsageError(fmt::format(
        "--weights: '{}' looks like a torchvision weights name; dnntrain never downloads: give a safetensors "
        "state-dict file (safetensors.torch.save_file(model.state_dict(), FILE))",
        weights));
  check_file_option("--weights", weights);
}

void declare(OptionTable& t, TrainOptions& o) {
  t.add("config", o.config).help("INI file of options (name=value; the command line wins)").not_stored();
  declare_model_options(t, o.model);
  declare_tune_option(t, o.model);
  t.option("batch-size").torchvision("32");
  declare_data_options(t, o.data, DataUse::training);
  t.add("epochs", o.epochs)
      .help("epochs to train")
      .torchvision("90")
      .range(1, INT32_MAX)
      .on_resume(OnResume::notice, "extending it stretches the schedule from there on");
  t.add("steps", o.steps)
      .help("stop after this many optimizer steps in total, then save (0: no limit)")
      .on_resume(OnResume::may_change);
  t.add("start-epoch", o.start_epoch)
      .help("a fresh run (or --init/--weights) starts its schedule and data order at this epoch; --resume "
            "takes the checkpoint's")
      .on_resume(OnResume::may_change);
  t.add("opt", o.opt).help("optimizer").choices(names_of(engine::kOptimizerNames));
  t.add("lr", o.lr).help("base learning rate").positive();
  t.add("momentum", o.momentum).help("SGD momentum").range(0, 1);
  t.flag("nesterov", o.nesterov).help("Nesterov momentum (SGD)");
  t.add("wd", o.weight_decay).alias("weight-decay").help("weight decay").torchvision("1e-4");
  t.add("norm-weight-decay", o.norm_weight_decay)
      .help("weight decay of BN parameters (< 0: same as --wd; torchvision's None)")
      .range(-INFINITY);
  t.add("bias-weight-decay", o.bias_weight_decay)
      .help("weight decay of biases (< 0: as the parameter's kind; torchvision's None)")
      .range(-INFINITY);
  t.add("label-smoothing", o.label_smoothing).help("label smoothing").range(0, 1);
  t.add("clip-grad-norm", o.clip_grad_norm)
      .help("clip the global gradient norm to this, as torch.nn.utils.clip_grad_norm_ (0: off)");
  t.add("lr-scheduler", o.lr_scheduler)
      .help("learning-rate schedule, stepped per epoch unless --sched-on-updates")
      .choices(names_of(engine::kScheduleNames))
      .torchvision("steplr");
  t.add("lr-step-size", o.lr_step_size).help("steplr: epochs per decay").range(1, INFINITY);
  t.add("lr-gamma", o.lr_gamma).help("steplr, multisteplr, exponentiallr: factor").positive();
  t.add("lr-milestones", o.lr_milestones).help("multisteplr: comma-separated epochs, e.g. 30,60");
  t.add("lr-min", o.lr_min).help("cosineannealinglr: final rate");
  t.add("lr-warmup-epochs", o.lr_warmup_epochs).help("warmup epochs (0: none)");
  t.add("lr-warmup-method", o.lr_warmup_method)
      .help("warmup as torch's LinearLR from --lr-warmup-decay up to 1, or ConstantLR at --lr-warmup-decay")
      .choices({"linear", "constant"})
      .torchvision("constant");
  t.add("lr-warmup-decay", o.lr_warmup_decay).help("warmup start factor").positive().range(0, 1);
  t.flag("sched-on-updates", o.sched_on_updates)
      .help("step the LR schedule and warmup after every optimizer update (lengths stay in epochs)");
  t.flag("amp", o.amp).help("mixed precision: on the CPU this is --precision bf16 (README, Precision)");
  t.add("output-dir", o.output_dir)
      .help("folder for summary.csv, log.jsonl, config, curves.svg and checkpoints")
      .torchvision("'.'")
      .on_resume(OnResume::may_change)
      .per_rank();
  t.add("tensorboard", o.tensorboard)
      .implicit(kTensorboardDefault)
      .help("write TensorBoard scalars (--tensorboard=DIR for another folder)")
      .on_resume(OnResume::may_change)
      .per_rank();
  t.add("resume", o.resume)
      .help("continue from this checkpoint; the options that define the run come from it")
      .on_resume(OnResume::may_change)
      .per_rank();
  t.flag("overwrite", o.overwrite)
      .help("start afresh in an --output-dir that holds another run's checkpoint, replacing it")
      .on_resume(OnResume::may_change)
      .per_rank();
  t.add("init", o.init).help("start from these model weights").on_resume(OnResume::may_change).per_rank();
  t.add("init-skip", o.init_skip).help("--init: comma-separated key prefixes to keep at their fresh values, e.g. fc.");
  t.add("weights", o.weights)
      .help("start from this safetensors state dict, as --init (torchvision's enum names download; dnntrain "
            "never does)")
      .on_resume(OnResume::may_change)
      .per_rank();
  t.flag("test-only", o.test_only)
      .help("evaluate the weights of --weights, --init or --resume on the test split and exit")
      .on_resume(OnResume::may_change);
  t.add("print-freq", o.print_freq)
      .help("steps between log lines")
      .torchvision("10")
      .range(1, INT32_MAX)
      .on_resume(OnResume::may_change)
      .per_rank();
  t.add("seed", o.seed).help("seeds the weights, the data order and augmentation");
  t.flag("freeze-bn", o.freeze_bn).help("BN uses its running statistics in training too and leaves them unchanged");
  t.flag("sync-bn", o.sync_bn).help("refused: see --dist-bn");
  t.add("bucket-mb", o.bucket_mb)
      .help("under mpirun: MiB of gradients per allreduce bucket")
      .positive()
      .range(0, kMaxBucketMb)
      .on_resume(OnResume::may_change);
  t.add("dist-bn", o.dist_bn)
      .help("under mpirun: none (BN statistics per rank) or reduce (average running statistics each epoch)")
      .choices({"none", "reduce"});
  t.add("dist-timeout", o.dist_timeout)
      .help("under mpirun: seconds a rank waits for the others before it aborts the job")
      .positive()
      .range(0, kMaxDistTimeout)
      .on_resume(OnResume::may_change)
      .per_rank();
  t.flag("model-ema", o.model_ema)
      .help("keep an exponential moving average of the weights and BN buffers, evaluated each epoch as EMA and "
            "saved in the checkpoint and model_ema.safetensors");
  t.add("model-ema-steps", o.model_ema_steps).help("optimizer steps between EMA updates").range(1, INT32_MAX);
  t.add("model-ema-decay", o.model_ema_decay)
      .help("EMA decay before the adjustment alpha = min(1, (1 - decay) x world x batch x steps / epochs)")
      .range(0, 1);
  // torchvision's flags without a counterpart here, and what to use instead.
  t.hint("device", "dnntrain runs on the CPU; --threads sets the compute threads");
  t.hint("cache-dataset", "in-memory datasets are read once; image folders decode per sample in the pipeline");
  t.hint("world-size", "start data-parallel runs with mpirun -n N (README, mpirun)");
  t.hint("dist-url", "start data-parallel runs with mpirun -n N (README, mpirun)");
  t.hint("use-deterministic-algorithms", "runs are deterministic for a given --threads and rank count already");
  t.hint("backend", "the transforms are built in; there is no PIL or tensor backend to choose");
  t.hint("use-v2", "the transforms are built in; there is no transforms v2 to choose");
  t.hint("apex", "use --amp (bf16 mixed precision on the CPU)");
  t.hint("data-augmentation", "use --augment");
  t.hint("transformer-embedding-decay", "dnntrain trains ResNets only");
  t.hint("weights-ema", "dnntrain never downloads; --weights takes a safetensors file");
  t.hint("augmix-severity", "AugMix is not implemented; --auto-augment takes ta_wide or ra");
}

// The checks that involve several options (each option's own range is declared with it).
void check(TrainOptions& o) {
  check_model_options_before_data(o.model);
  if (o.sync_bn)
    throw UsageError("--sync-bn: cross-rank batch statistics are not implemented; --dist-bn reduce averages "
                     "BN running statistics across ranks each epoch");
  if (o.label_smoothing >= 1)
    throw UsageError(fmt::format("--label-smoothing must be in [0, 1), got {}", o.label_smoothing));
  if (o.nesterov && (o.opt != "sgd" || o.momentum <= 0))
    throw UsageError("--nesterov needs --opt sgd and --momentum > 0");
  try {
    engine::LrSchedule check_schedule(schedule_options(o));
  } catch (const Error& e) {
    throw UsageError(fmt::format("--lr-scheduler: {}", e.what()));
  }
  if (o.lr_warmup_epochs >= o.epochs)
    throw UsageError(fmt::format("--lr-warmup-epochs must be in [0, --epochs), got {}", o.lr_warmup_epochs));
  if (o.start_epoch >= o.epochs)
    throw UsageError(fmt::format("--start-epoch must be in [0, --epochs), got {}", o.start_epoch));
  if (o.start_epoch > 0 && !o.resume.empty())
    throw UsageError("--start-epoch and --resume exclude each other: the checkpoint holds its epoch");
  if (o.output_dir.empty()) throw UsageError("--output-dir must not be empty");
  check_file_option("--resume", o.resume);
  check_file_option("--init", o.init);
  check_weights(o.weights);
  if (int(!o.resume.empty()) + int(!o.init.empty()) + int(!o.weights.empty()) > 1)
    throw UsageError("--resume, --init and --weights exclude each other");
  if (o.test_only && o.resume.empty() && o.init.empty() && o.weights.empty())
    throw UsageError("--test-only evaluates loaded weights: give --weights, --init or --resume");
  if (o.data.train_crop_size > 0 && o.model.image_size > 0 && o.data.train_crop_size != o.model.image_size)
    throw UsageError(fmt::format("--train-crop-size {} differs from --image-size {}; give one of them",
                                 o.data.train_crop_size, o.model.image_size));
  if (o.data.train_crop_size > 0) o.model.image_size = o.data.train_crop_size;
}

// --amp is torchvision's switch for mixed precision; here it selects --precision bf16.
void apply_amp(OptionTable& t, TrainOptions& o) {
  if (!o.amp) return;
  if (t.given("precision") && o.model.precision != "bf16")
    throw UsageError(fmt::format("--amp means --precision bf16; it contradicts --precision {}", o.model.precision));
  o.model.precision = "bf16";
}

// --resume: the options that define the run come from the checkpoint. A value given otherwise is
// refused (all of them listed) unless its declaration allows the change.
void take_from_checkpoint(OptionTable& t, TrainOptions& o) {
  const engine::Safetensors st = engine::Safetensors::open(o.resume);
  const auto config = st.metadata().find("dnntrain.config");
  if (config == st.metadata().end()) return;  // not written by train: resume_checkpoint refuses it
  const auto differences = t.take_recorded(recorded_options(config->second), [](const Option& option) {
    return option.stored() && option.resume_rule() != OnResume::may_change;
  });
  std::vector<OptionDifference> refused;
  for (const auto& d : differences) {
    if (t.option(d.name).resume_rule() == OnResume::fixed) {
      refused.push_back(d);
      continue;
    }
    std::string notice = fmt::format("--{} {} (the checkpoint has {})", d.name, d.given, d.recorded);
    if (d.name == "epochs" && o.lr_scheduler == "cosineannealinglr")
      notice += fmt::format(": the cosine schedule now ends at epoch {} (T_max {}), so the rate from here on "
                            "differs from the run that wrote the checkpoint",
                            o.epochs, std::max(1, o.epochs - static_cast<int>(o.lr_warmup_epochs)));
    o.notices.push_back(notice);
  }
  if (!refused.empty())
    throw UsageError(fmt::format("--resume {}: {} differ from the run that wrote it; resume without them (the "
                                 "checkpoint's values are taken) or start a new run with --init",
                                 o.resume, describe_differences(refused)));
}

}  // namespace

std::vector<std::string> split_list(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

engine::OptimizerOptions optimizer_options(const TrainOptions& o) {
  engine::OptimizerOptions opt;
  opt.kind = engine::optimizer_kind_from_name(o.opt);
  opt.momentum = opt.kind == engine::OptimizerOptions::Kind::sgd ? o.momentum : 0;
  opt.nesterov = o.nesterov;
  opt.weight_decay = o.weight_decay;
  if (o.norm_weight_decay >= 0) opt.norm_weight_decay = o.norm_weight_decay;
  if (o.bias_weight_decay >= 0) opt.bias_weight_decay = o.bias_weight_decay;
  opt.clip_grad_norm = o.clip_grad_norm;
  return opt;
}

engine::ScheduleOptions schedule_options(const TrainOptions& o) {
  engine::ScheduleOptions s;
  const auto kind = engine::find_named(engine::kScheduleNames, o.lr_scheduler);
  if (!kind)
    throw UsageError(fmt::format("--lr-scheduler: unknown '{}'; choose {}", o.lr_scheduler,
                                 engine::name_list(engine::kScheduleNames)));
  s.kind = *kind;
  s.base_lr = o.lr;
  s.step_size = o.lr_step_size;
  s.gamma = o.lr_gamma;
  for (const std::string& m : split_list(o.lr_milestones)) {
    int64_t epoch = 0;
    const auto [end, ec] = std::from_chars(m.data(), m.data() + m.size(), epoch);
    if (ec != std::errc() || end != m.data() + m.size() || epoch < 1 ||
        (!s.milestones.empty() && epoch <= s.milestones.back()))
      throw UsageError(
          fmt::format("--lr-milestones: '{}' is not an epoch number after the previous one; give increasing "
                      "positive integers separated by commas, e.g. 30,60",
                      m));
    s.milestones.push_back(epoch);
  }
  s.t_max = std::max<int64_t>(1, o.epochs - o.lr_warmup_epochs);  // torchvision's T_max
  s.eta_min = o.lr_min;
  s.warmup_epochs = o.lr_warmup_epochs;
  s.warmup = o.lr_warmup_method == "constant" ? engine::ScheduleOptions::Warmup::constant
                                              : engine::ScheduleOptions::Warmup::linear;
  s.warmup_start_factor = o.lr_warmup_decay;
  s.on_updates = o.sched_on_updates;
  return s;
}

std::map<std::string, std::string> recorded_options(const std::string& config_text) {
  std::map<std::string, std::string> out;
  std::istringstream in(config_text);
  for (std::string line; std::getline(in, line);) {
    const auto eq = line.find('=');
    if (line.empty() || line[0] == '#' || eq == std::string::npos || eq == 0) continue;
    out[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return out;
}

bool parse_train_options(const std::vector<std::string>& args, TrainOptions& o) {
  o.model.model = "auto";
  o.model.batch = 128;
  o.model.image_size = o.model.in_channels = o.model.classes = 0;
  OptionTable t("dnntrain train: train a ResNet, evaluate each epoch, keep logs and checkpoints\n"
                "(defaults that differ from torchvision's references/classification/train.py name its value)");
  declare(t, o);
  if (!t.parse(args)) return false;
  if (!o.resume.empty()) {
    check_file_option("--resume", o.resume);
    take_from_checkpoint(t, o);
  }
  apply_amp(t, o);
  check(o);
  o.effective_config = "# dnntrain train: effective configuration (usable with --config)\n" + t.config_text();
  for (const auto& option : t.options())
    if (option->is_per_rank()) o.per_rank.push_back(option->name());
  return true;
}

}  // namespace dnntrain::apps
