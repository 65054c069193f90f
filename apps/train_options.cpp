// train's options: registration, --config, checks, and the effective configuration text.
#include "apps/train_options.hpp"

#include <fmt/format.h>

#include <boost/program_options.hpp>
#include <charconv>
#include <filesystem>
#include <iostream>
#include <optional>
#include <sstream>

#include "apps/command.hpp"
#include "apps/config_file.hpp"
#include "apps/limits.hpp"
#include "apps/run_views.hpp"
#include "engine/checkpoint/atomic_file.hpp"
#include "engine/error.hpp"
#include "engine/names.hpp"
#include "engine/utf8.hpp"

namespace dnntrain::apps {

namespace po = boost::program_options;

namespace {

// An option's value as the INI text train writes, or nullopt for a type it does not store.
std::optional<std::string> value_text(const boost::any& v) {
  if (auto* s = boost::any_cast<std::string>(&v)) return *s;
  if (auto* i = boost::any_cast<int>(&v)) return std::to_string(*i);
  if (auto* l = boost::any_cast<int64_t>(&v)) return std::to_string(*l);
  if (auto* u = boost::any_cast<uint64_t>(&v)) return std::to_string(*u);
  if (auto* d = boost::any_cast<double>(&v)) return fmt::format("{}", *d);
  if (auto* b = boost::any_cast<bool>(&v)) return std::string(*b ? "true" : "false");
  return std::nullopt;
}

bool stored(const std::string& name, const po::variables_map& vm) {
  return name != "help" && name != "config" && vm.count(name) > 0;
}

// One line per stored option, in INI form, so that `--config <output>/config` reruns the same job.
std::string ini_text(const po::options_description& desc, const po::variables_map& vm) {
  std::string out = "# dnntrain train: effective configuration (usable with --config)\n";
  for (const auto& option : desc.options()) {
    const std::string& name = option->long_name();
    if (!stored(name, vm)) continue;
    if (const auto text = value_text(vm[name].value())) out += name + "=" + *text + "\n";
  }
  return out;
}

// Every stored value must be text the output files can hold (UTF-8, no control characters) and
// must read back unchanged from `ini` through --config: the INI reader ends a value at '#' and
// trims spaces, so such values are refused here rather than rerun as something else.
void check_round_trip(const po::options_description& desc, const po::variables_map& vm,
                      const std::string& ini) {
  for (const auto& option : desc.options()) {
    const std::string& name = option->long_name();
    const auto text = stored(name, vm) ? value_text(vm[name].value()) : std::nullopt;
    if (!text) continue;
    if (const std::string problem = engine::name_problem(*text); !problem.empty())
      throw UsageError(fmt::format("--{}: the value {}; the config and checkpoint files could not hold it",
                                   name, problem));
  }
  po::variables_map back;
  std::istringstream in(ini);
  try {
    po::store(po::parse_config_file(in, desc), back);
  } catch (const po::error& e) {
    throw UsageError(
        fmt::format("the options do not read back from the config file train writes: {}", e.what()));
  }
  for (const auto& option : desc.options()) {
    const std::string& name = option->long_name();
    if (!stored(name, vm)) continue;
    const auto text = value_text(vm[name].value());
    if (!text) continue;
    const auto again = back.count(name) ? value_text(back[name].value()) : std::nullopt;
    if (again != text)
      throw UsageError(
          fmt::format("--{}: '{}' does not read back from the config file train writes ('#' starts a comment "
                      "there and surrounding spaces are dropped); choose a value without them",
                      name, *text));
  }
}

// --seed: a decimal integer in [0, 2^64 - 1]; "-1" or "1e3" is refused, not wrapped or cut.
uint64_t parse_seed(const std::string& text) {
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size())
    throw UsageError(fmt::format("--seed must be an integer in [0, {}], got '{}'", UINT64_MAX, text));
  return v;
}

// A file option (--resume, --init) that is given must name a regular file.
void check_file_option(const std::string& option, const std::string& file) {
  if (file.empty()) return;
  if (const auto problem = engine::not_a_regular_file(file))
    throw UsageError(fmt::format("{}: '{}' {}; give a checkpoint file", option, file, *problem));
}

void check(const TrainOptions& o) {
  check_model_options_before_data(o.model);
  if (o.epochs < 1) throw UsageError(fmt::format("--epochs must be at least 1, got {}", o.epochs));
  if (o.steps < 0) throw UsageError(fmt::format("--steps must be >= 0, got {}", o.steps));
  check_real("--lr", o.lr, 0, INFINITY, true);
  check_real("--momentum", o.momentum, 0, 1);
  check_real("--wd", o.weight_decay, 0);
  check_real("--norm-weight-decay", o.norm_weight_decay, -INFINITY);
  check_real("--label-smoothing", o.label_smoothing, 0, 1);
  if (o.label_smoothing >= 1)
    throw UsageError(fmt::format("--label-smoothing must be in [0, 1), got {}", o.label_smoothing));
  check_real("--lr-gamma", o.lr_gamma, 0, INFINITY, true);
  check_real("--lr-min", o.lr_min, 0);
  check_real("--lr-warmup-decay", o.lr_warmup_decay, 0, 1, true);
  if (o.lr_step_size < 1)
    throw UsageError(fmt::format("--lr-step-size must be at least 1, got {}", o.lr_step_size));
  if (!engine::find_named(engine::kOptimizerNames, o.opt))
    throw UsageError(
        fmt::format("--opt must be {}, got '{}'", engine::name_list(engine::kOptimizerNames), o.opt));
  if (o.nesterov && (o.opt != "sgd" || o.momentum <= 0))
    throw UsageError("--nesterov needs --opt sgd and --momentum > 0");
  try {
    engine::LrSchedule check_schedule(schedule_options(o));
  } catch (const Error& e) {
    throw UsageError(fmt::format("--lr-scheduler: {}", e.what()));
  }
  if (o.lr_warmup_epochs < 0 || o.lr_warmup_epochs >= o.epochs)
    throw UsageError(fmt::format("--lr-warmup-epochs must be in [0, --epochs), got {}", o.lr_warmup_epochs));
  if (o.print_freq < 1)
    throw UsageError(fmt::format("--print-freq must be at least 1, got {}", o.print_freq));
  if (o.output_dir.empty()) throw UsageError("--output-dir must not be empty");
  check_real("--bucket-mb", o.bucket_mb, 0, kMaxBucketMb, true);
  check_real("--dist-timeout", o.dist_timeout, 0, kMaxDistTimeout, true);
  if (o.dist_bn != "none" && o.dist_bn != "reduce")
    throw UsageError(fmt::format("--dist-bn must be none or reduce, got '{}'", o.dist_bn));
  check_file_option("--resume", o.resume);
  check_file_option("--init", o.init);
  if (!o.resume.empty() && !o.init.empty()) throw UsageError("--resume and --init exclude each other");
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
  s.warmup_start_factor = o.lr_warmup_decay;
  s.on_updates = o.sched_on_updates;
  return s;
}

bool parse_train_options(const std::vector<std::string>& args, TrainOptions& o) {
  const std::string optimizers = engine::name_list(engine::kOptimizerNames);
  const std::string schedules =
      engine::name_list(engine::kScheduleNames) + " (stepped per epoch unless --sched-on-updates)";
  // Doubles shown as typed (0.1, not 0.10000000000000001) in --help.
  const auto real = [](double& v) { return po::value(&v)->default_value(v, fmt::format("{}", v)); };
  std::string seed_text = std::to_string(o.seed);
  o.model.model = "auto";
  o.model.batch = 128;
  o.model.image_size = o.model.in_channels = o.model.classes = 0;
  po::options_description desc(
      "dnntrain train: train a ResNet, evaluate each epoch, keep logs and checkpoints\n"
      "(--model auto: resnet20 for 28/32-pixel datasets, resnet18 otherwise; --image-size, --in-channels,\n"
      "--classes 0: from the dataset; a --config INI file takes the same names, the command line wins)\n"
      "options");
  desc.add_options()("help,h", "show this help")("config", po::value(&o.config),
                                                 "INI file of options (name=value)");
  add_model_options(desc, o.model);
  add_tune_option(desc, o.model);
  add_data_options(desc, o.data, true);
  desc.add_options()("epochs", po::value(&o.epochs)->default_value(o.epochs), "epochs to train")(
      "steps", po::value(&o.steps)->default_value(o.steps),
      "stop after this many optimizer steps in total, then save (0: no limit)")(
      "opt", po::value(&o.opt)->default_value(o.opt), optimizers.c_str())(
      "lr", real(o.lr), "base learning rate")("momentum", real(o.momentum), "SGD momentum")(
      "nesterov", po::bool_switch(&o.nesterov), "Nesterov momentum (SGD)")(
      "wd,weight-decay", real(o.weight_decay), "weight decay (also --weight-decay)")(
      "norm-weight-decay", real(o.norm_weight_decay), "weight decay of BN parameters (< 0: same as --wd)")(
      "label-smoothing", real(o.label_smoothing), "label smoothing")(
      "lr-scheduler", po::value(&o.lr_scheduler)->default_value(o.lr_scheduler), schedules.c_str())(
      "lr-step-size", po::value(&o.lr_step_size)->default_value(o.lr_step_size), "steplr: epochs per decay")(
      "lr-gamma", real(o.lr_gamma), "steplr, multisteplr, exponentiallr: factor")(
      "lr-milestones", po::value(&o.lr_milestones)->default_value(o.lr_milestones),
      "multisteplr: comma-separated epochs, e.g. 30,60")("lr-min", real(o.lr_min),
                                                         "cosineannealinglr: final rate")(
      "lr-warmup-epochs", po::value(&o.lr_warmup_epochs)->default_value(o.lr_warmup_epochs),
      "linear warmup epochs")("lr-warmup-decay", real(o.lr_warmup_decay), "warmup start factor")(
      "sched-on-updates", po::bool_switch(&o.sched_on_updates),
      "step the LR schedule and warmup after every optimizer update (lengths stay in epochs)")(
      "output-dir", po::value(&o.output_dir)->default_value(o.output_dir),
      "folder for summary.csv, log.jsonl, config, curves.svg and checkpoints")(
      "tensorboard", po::value(&o.tensorboard)->implicit_value(kTensorboardDefault),
      "write TensorBoard scalars (--tensorboard=DIR for another folder)")(
      "resume", po::value(&o.resume)->default_value(o.resume),
      "continue from this checkpoint (same options)")(
      "overwrite", po::bool_switch(&o.overwrite),
      "start afresh in an --output-dir that holds another run's checkpoint, replacing it")(
      "init", po::value(&o.init)->default_value(o.init), "start from these model weights")(
      "init-skip", po::value(&o.init_skip)->default_value(o.init_skip),
      "--init: comma-separated key prefixes to keep at their fresh values, e.g. fc.")(
      "print-freq", po::value(&o.print_freq)->default_value(o.print_freq), "steps between log lines")(
      "seed", po::value(&seed_text)->default_value(seed_text),
      "seeds the weights, the data order and augmentation");
  desc.add_options()("freeze-bn", po::bool_switch(&o.freeze_bn),
                     "BN uses its running statistics in training too and leaves them unchanged")(
      "bucket-mb", real(o.bucket_mb), "under mpirun: MiB of gradients per allreduce bucket")(
      "dist-bn", po::value(&o.dist_bn)->default_value(o.dist_bn),
      "under mpirun: none (BN statistics per rank) or reduce (average running statistics each epoch)")(
      "dist-timeout", real(o.dist_timeout),
      "under mpirun: seconds a rank waits for the others before it aborts the job");

  po::variables_map vm;
  if (!parse_command_line(desc, args, vm)) return false;
  if (vm.count("config"))
    store_config_file(vm["config"].as<std::string>(), desc, vm);  // the command line wins
  po::notify(vm);
  o.seed = parse_seed(seed_text);
  check(o);
  o.effective_config = ini_text(desc, vm);
  check_round_trip(desc, vm, o.effective_config);
  return true;
}

}  // namespace dnntrain::apps
