// dnntrain train: options → data → model → (resume | init) → epochs of steps with progress, an
// evaluation and a checkpoint after each; Ctrl-C saves and exits 130 (also during an evaluation,
// which it cuts short), a failed write to stdout saves and exits 1, a NaN loss stops with exit 1.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <optional>

#include "apps/class_names.hpp"
#include "apps/command.hpp"
#include "apps/data_setup.hpp"
#include "apps/interrupt.hpp"
#include "apps/model_setup.hpp"
#include "apps/parallel.hpp"
#include "apps/precision_tuner.hpp"
#include "apps/progress.hpp"
#include "apps/run_files.hpp"
#include "apps/run_identity.hpp"
#include "apps/run_views.hpp"
#include "apps/train_options.hpp"
#include "apps/val_model.hpp"
#include "engine/checkpoint/checkpoint.hpp"
#include "engine/checkpoint/safetensors.hpp"
#include "engine/error.hpp"
#include "engine/evaluate.hpp"
#include "engine/model_ema.hpp"
#include "engine/runtime_info.hpp"

namespace dnntrain::apps {

namespace {

// --model-ema's tensors in the checkpoint: torchvision's checkpoint["model_ema"] state_dict keys
// ("module.<key>", "n_averaged") under "model_ema.".
constexpr const char* kEmaPrefix = "model_ema.module.";
constexpr const char* kEmaCount = "model_ema.n_averaged";

std::string resolved_config(const TrainOptions& o, int threads, engine::Precision precision) {
  return o.effective_config +
         fmt::format(
             "# resolved from the data: model={} image-size={} in-channels={} classes={} "
             "threads={} dataset={} precision={}\n",
             o.model.model, o.model.image_size, o.model.in_channels, o.model.classes, threads, o.data.dataset,
             engine::precision_name(precision));
}

// The checkpoint's key for the precision a run trained in (--precision auto resolved).
constexpr const char* kPrecisionKey = "precision";

// --precision auto: on --resume the precision the checkpoint records (never a new measurement),
// else decide_precision's; with several ranks bf16 only when every rank chose it.
engine::PrecisionDecision auto_precision(const TrainOptions& o, engine::Context& context,
                                         const layers::ResNetConfig& config, Parallel& parallel) {
  engine::PrecisionDecision d;
  if (!o.resume.empty()) {
    const auto meta = engine::Safetensors::open(o.resume).metadata();
    if (const auto it = meta.find(std::string("dnntrain.extra.") + kPrecisionKey); it != meta.end()) {
      const auto recorded = engine::find_named(engine::kPrecisionNames, it->second);
      DNNTRAIN_CHECK(recorded && *recorded != engine::PrecisionChoice::automatic,
                     fmt::format("{}: metadata key 'dnntrain.extra.{}' is '{}', not f32 or bf16", o.resume,
                                 kPrecisionKey, it->second));
      d.precision = engine::resolve(*recorded);
      d.source = engine::PrecisionDecision::Source::checkpoint;
      d.why = "recorded in " + o.resume;
      return d;
    }
  }
  d = tune_precision(context, config, *engine::find_named(engine::kTuneModeNames, o.model.tune));
  if (parallel.any(d.precision != engine::Precision::bf16)) d.precision = engine::Precision::f32;
  return d;
}

}  // namespace

int run_train(const std::vector<std::string>& args) {
  TrainOptions o;
  if (!parse_train_options(args, o)) return 0;
  const std::unique_ptr<Parallel> parallel = make_parallel(o.dist_timeout);
  const int world = parallel->world_size();
  // Rank 0 alone prints and writes files; the other ranks keep stderr for their errors.
  if (!parallel->writer()) DNNTRAIN_CHECK(std::freopen("/dev/null", "w", stdout), "cannot silence stdout");
  const data::DatasetKind kind = check_data_options(o.data);
  if (kind == data::DatasetKind::synthetic) check_synthetic_size(o.data, o.model);
  std::optional<RunFiles> files;  // rank 0's: the folder's lock, held until the run ends
  if (parallel->writer() && !o.test_only) {  // --test-only writes nothing
    files.emplace(o.output_dir);
    files->check_target(o.resume, o.overwrite);
    if (files->stale_temporaries_removed() > 0)
      fmt::print("removed {} temporary file(s) a killed run left in {}\n", files->stale_temporaries_removed(),
                 o.output_dir);
  }
  auto train_set = open_split(kind, o.data, o.model, data::Split::train);
  auto test_set = open_split(kind, o.data, o.model, data::Split::test);
  resolve_model_from_data(o.model, kind, *train_set, o.data);
  check_model_options(o.model);
  check_resume_shape(o);
  parallel->check_same_options(shared_options(o, *train_set, *test_set));
  if (parallel->writer())
    for (const std::string& notice : o.notices) fmt::print("notice: {}\n", notice);
  layers::ResNetConfig config = resnet_config(o.model);
  config.label_smoothing = static_cast<float>(o.label_smoothing);
  config.freeze_bn = o.freeze_bn;

  engine::Context context(compute_threads(parallel->threads(o.model.threads)));
  std::optional<engine::PrecisionDecision> precision;  // --precision auto's
  if (o.model.precision == "auto") {
    precision = auto_precision(o, context, config, *parallel);
    config.precision = precision->precision;
    if (parallel->writer())
      for (const std::string& notice : precision->notices) fmt::print(stderr, "{}\n", notice);
  }
  layers::Model model(context, config);
  engine::Graph& graph = model.graph();
  graph.initialize(o.seed);
  engine::Optimizer optimizer(graph.parameters(), optimizer_options(o));
  engine::LrSchedule schedule(schedule_options(o));
  engine::TrainingState state;
  int64_t saved_step = 0;  // the checkpoint's step count, in the global batches of the run that wrote it
  state.data_seed = state.init_seed = o.seed;
  // ---- issue 24: --model-ema (branch augment). The average starts as a copy of the model; a resume
  // restores it from the checkpoint's "model_ema." tensors, --init copies the loaded weights. ----
  std::optional<engine::ModelEma> ema;
  if (o.model_ema)
    ema.emplace(
        graph.parameters(), graph.buffers(),
        engine::adjusted_ema_decay(o.model_ema_decay, world, o.model.batch, o.model_ema_steps, o.epochs));
  const auto with_ema = [&](auto model, auto averages) {
    model.insert(model.end(), averages.begin(), averages.end());
    return model;
  };
  const auto checkpoint_parameters = [&] {
    return ema ? with_ema(graph.parameters(), ema->parameters(kEmaPrefix)) : graph.parameters();
  };
  const auto checkpoint_buffers = [&] {
    return ema ? with_ema(graph.buffers(), ema->buffers(kEmaPrefix, kEmaCount)) : graph.buffers();
  };
  // ---- end issue 24 ----
  if (!o.resume.empty()) {
    state = engine::resume_checkpoint(o.resume, checkpoint_parameters(), checkpoint_buffers(), optimizer);
    saved_step = state.step;
    if (state.threads != 0 && state.threads != context.threads() && parallel->writer())
      fmt::print(stderr,
                 "warning: {} was written with {} threads, this run has {}: resume is not bitwise exact\n",
                 o.resume, state.threads, context.threads());
  } else if (!o.init.empty()) {
    engine::load_weights(o.init, graph.parameters(), graph.buffers(), {split_list(o.init_skip)});
    if (ema) ema->copy_from_model();
  } else if (!o.weights.empty()) {
    engine::load_weights(o.weights, graph.parameters(), graph.buffers(), {});
    if (ema) ema->copy_from_model();
  }
  parallel->synchronize(graph, optimizer, state);
  state.threads = context.threads();
  state.config = resolved_config(o, context.threads(), config.precision);
  state.extra[kPrecisionKey] = engine::precision_name(config.precision);
  state.schedule = schedule.describe();
  if (const std::string names = class_names_text(*train_set); !names.empty()) state.extra[kClassNamesKey] = names;

  const int batch = o.model.batch, image_size = o.model.image_size;
  // Image folders may evaluate at another size (--val-crop-size): a second plan, same weights.
  std::optional<ValModel> val_model;
  if (kind == data::DatasetKind::imagefolder && o.data.val_crop_size > 0 && o.data.val_crop_size != image_size) {
    layers::ResNetConfig val_config = config;
    val_config.image_size = o.data.val_crop_size;
    val_model.emplace(context, val_config);
  }
  const auto evaluate = [&](engine::BatchSource& batches) {
    return val_model ? val_model->evaluate(graph, batches) : engine::evaluate(graph, model.readout(), batches);
  };
  const data::ShardSpec shard{parallel->rank(), world};
  PipelineSource train_source(train_set, kind, o.data, image_size, batch, true, state.data_seed, shard);
  PipelineSource test_source(test_set, kind, o.data, image_size, batch, false, state.data_seed, shard);
  const int64_t global_batch = int64_t{world} * batch;
  if (!o.resume.empty()) rescale_position(state, global_batch, train_source.batches_per_epoch());
  state.world_size = world;
  state.extra["global_batch"] = std::to_string(global_batch);
  const int64_t steps_per_epoch = train_source.batches_per_epoch();
  if (o.resume.empty() && o.start_epoch > 0) {  // the schedule is a function of the step
    state.epoch = o.start_epoch;
    state.step = o.start_epoch * steps_per_epoch;
  }
  DNNTRAIN_CHECK(state.batch_in_epoch <= steps_per_epoch,
                 fmt::format("{}: batch {} of the epoch is past its {} batches; resume with the --batch-size "
                             "and data of the run that wrote it",
                             o.resume, state.batch_in_epoch, steps_per_epoch));
  if (o.test_only) {  // torchvision's --test-only: evaluate the loaded weights, then exit
    InterruptibleSource batches(test_source);
    engine::EvalResult r = evaluate(batches);
    parallel->reduce(r);
    fmt::print("{} on {} test split ({} samples): loss {:.4f} top-1 {:.2f}% top-5 {:.2f}%\n", o.model.model,
               o.data.dataset, r.samples, r.loss, 100 * r.top1, 100 * r.top5);
    return 0;
  }
  std::optional<RunViews> views;
  if (files) {
    const LogPosition position{state.epoch, saved_step};  // the logs count steps as their writer did
    files->open_logs(o.resume.empty() ? nullptr : &position, {saved_step, config.precision, precision},
                     ema.has_value());
    files->write_config(state.config);
    views.emplace(o.output_dir, o.tensorboard);
  }
  const std::string checkpoint = o.output_dir + "/checkpoint.safetensors",
                    best = o.output_dir + "/best.safetensors", weights = o.output_dir + "/weights.safetensors",
                    ema_weights = o.output_dir + "/model_ema.safetensors";
  // Every save: the full state, and the latest weights alone (torch's load_state_dict(strict=True) takes it).
  const auto save = [&] {
    engine::save_checkpoint(checkpoint, checkpoint_parameters(), checkpoint_buffers(), &optimizer, state);
    engine::save_checkpoint(weights, graph.parameters(), graph.buffers(), nullptr, state);
  };
  double best_top1 = -1;
  if (state.extra.count("best_top1")) {
    const std::string& text = state.extra["best_top1"];
    char* end = nullptr;
    best_top1 = std::strtod(text.c_str(), &end);
    DNNTRAIN_CHECK(
        !text.empty() && *end == '\0' && best_top1 >= 0 && best_top1 <= 1,
        fmt::format("{}: metadata key 'dnntrain.extra.best_top1' is not a fraction: '{}'", o.resume, text));
  }

  const engine::LossReadout readout = model.readout();
  engine::Trainer trainer(graph, readout, optimizer, schedule, state);
  trainer.set_before_update(parallel->average_gradients(graph, optimizer, o.bucket_mb));
  fmt::print(
      "{} on {} ({} training, {} test samples, {}x{}x{}, {} classes), batch {}, {} steps/epoch, {} threads\n",
      o.model.model, o.data.dataset, train_set->size(), test_set->size(), o.model.in_channels, image_size,
      image_size, o.model.classes, batch, steps_per_epoch, context.threads());
  fmt::print("{}; {}; output in {}\n", optimizer.describe(), schedule.describe(), o.output_dir);
  fmt::print("{}\n", describe(engine::runtime_info()));
  if (precision) fmt::print("{}\n", engine::describe(*precision));
  if (world > 1)
    fmt::print("data-parallel: {} ranks x batch {} = global batch {}; BN statistics per rank{}\n", world,
               batch, global_batch, o.dist_bn == "reduce" ? ", running statistics averaged each epoch" : "");
  if (!o.resume.empty())
    fmt::print("resumed from {}: epoch {}, batch {}, step {}\n", o.resume, state.epoch + 1,
               state.batch_in_epoch, state.step);
  std::fflush(stdout);

  Progress progress(steps_per_epoch, o.epochs, static_cast<int>(global_batch), o.print_freq,
                    isatty(STDOUT_FILENO) == 1);
  InterruptGuard interrupt(world > 1);
  engine::EpochControl control;
  control.max_steps = o.steps;
  control.stop_requested = [&] { return parallel->any(InterruptGuard::requested() || stdout_failure()); };
  int64_t epoch_shown = state.epoch;
  control.on_step = [&](const engine::StepStats& mine) {
    // torchvision's train_one_epoch: after the step of batch i, update when i % steps == 0, and
    // during the warmup epochs reset the count so that the average keeps copying the weights.
    if (ema && (mine.batch_in_epoch - 1) % o.model_ema_steps == 0) {
      ema->update();
      if (epoch_shown < o.lr_warmup_epochs) ema->reset();
    }
    engine::StepStats s = mine;
    parallel->reduce(s);
    if (!progress.step(s) || !files) return;
    const double images_per_sec = progress.images_per_sec();  // a clock reading: read once for both
    files->log_step(s, epoch_shown + 1, images_per_sec);
    views->on_step(s, images_per_sec);
  };

  // A completed epoch: the ranks' figures combined, evaluation, logs, and best.safetensors. False
  // when a signal cut the evaluation short: nothing is logged from it.
  InterruptibleSource test_batches(test_source);
  const auto finish_epoch = [&](engine::EpochResult& r) {
    parallel->reduce(r);
    if (o.dist_bn == "reduce") parallel->average_running_statistics(graph);
    EpochSummary e;
    e.epoch = epoch_shown + 1;
    e.lr = state.lr;
    e.train_loss = r.steps ? r.loss_sum / static_cast<double>(r.steps) : 0;
    e.train_top1 = r.samples ? static_cast<double>(r.correct) / static_cast<double>(r.samples) : 0;
    e.images_per_sec = r.seconds > 0 ? static_cast<double>(r.samples) / r.seconds : 0;
    e.seconds = r.seconds;
    e.wait_seconds = r.wait_seconds;
    e.test = evaluate(test_batches);
    parallel->reduce(e.test);
    if (parallel->any(test_batches.cut())) return false;
    if (ema) {  // the average evaluated in place of the weights, then the weights back
      ema->swap_with_model();
      try {
        e.ema = evaluate(test_batches);
      } catch (...) {
        ema->swap_with_model();
        throw;
      }
      ema->swap_with_model();
      parallel->reduce(*e.ema);
      if (parallel->any(test_batches.cut())) return false;
      if (files) engine::save_checkpoint(ema_weights, ema->parameters(""), ema->buffers(""), nullptr, state);
    }
    if (files) {
      files->log_epoch(e);
      views->on_epoch(e);
    }
    fmt::print(
        "epoch {}/{}: train loss {:.4f} top-1 {:.2f}% | test loss {:.4f} top-1 {:.2f}% top-5 {:.2f}% | "
        "{:.0f} img/s, {:.1f} s (data {:.1f} s)\n",
        e.epoch, o.epochs, e.train_loss, 100 * e.train_top1, e.test.loss, 100 * e.test.top1,
        100 * e.test.top5, e.images_per_sec, e.seconds, e.wait_seconds);
    if (e.ema)
      fmt::print(
          "epoch {}/{}: EMA test loss {:.4f} top-1 {:.2f}% top-5 {:.2f}% (decay {:.6g}, {} updates "
          "averaged)\n",
          e.epoch, o.epochs, e.ema->loss, 100 * e.ema->top1, 100 * e.ema->top5, ema->decay(),
          ema->n_averaged());
    for (const auto* set : {train_set.get(), test_set.get()})
      if (const std::string skipped = data::skipped_images_report(*set); !skipped.empty())
        fmt::print("{}\n", skipped);
    if (e.test.top1 > best_top1) {
      best_top1 = e.test.top1;
      state.extra["best_top1"] = fmt::format("{}", best_top1);
      // best.safetensors: the weights and the config, no optimizer state.
      if (files) engine::save_checkpoint(best, graph.parameters(), graph.buffers(), nullptr, state);
    }
    return true;
  };

  using End = engine::EpochResult::End;
  End end = End::completed;
  while (end == End::completed && state.epoch < o.epochs) {
    epoch_shown = state.epoch;
    progress.start_epoch(state.epoch, state.batch_in_epoch);
    engine::EpochResult r;
    try {
      r = trainer.train_epoch(train_source, control);
    } catch (...) {
      progress.finish_line();
      throw;
    }
    progress.finish_line();
    end = r.end;
    const bool evaluated = end != End::completed || finish_epoch(r);
    if (files) save();
    if (!evaluated) {
      fmt::print(
          "interrupted during the evaluation of epoch {} (it has no summary row); saved {}; continue "
          "with --resume {}\n",
          epoch_shown + 1, checkpoint, checkpoint);
      end = End::interrupted;
    }
    switch (end) {
      case End::completed:
        if (o.steps > 0 && state.step >= o.steps) {  // --steps reached at the epoch's last batch
          fmt::print("stopped after {} steps (--steps)\n", state.step);
          end = End::step_limit;
        }
        break;
      case End::step_limit:
        fmt::print("stopped after {} steps (--steps) in epoch {}, batch {}\n", state.step, state.epoch + 1,
                   state.batch_in_epoch);
        break;
      case End::interrupted:
        if (!evaluated) break;
        fmt::print("interrupted at step {} (epoch {}, batch {}); saved {}; continue with --resume {}\n",
                   state.step, state.epoch + 1, state.batch_in_epoch, checkpoint, checkpoint);
        break;
    }
    std::fflush(stdout);
  }
  if (files) files->close();
  if (end == End::interrupted) {
    if (InterruptGuard::requested())
      return 128 + InterruptGuard::signal();    // 130 for Ctrl-C, 143 for SIGTERM
    if (const auto failure = stdout_failure())  // stopped for stdout: saved, now fail
      throw Error(fmt::format("{}; saved {}; continue with --resume {}", *failure, checkpoint, checkpoint));
    return 1;  // rank 0's standard output failed; it says why
  }
  if (best_top1 >= 0) fmt::print("best test top-1 {:.2f}%: {}\n", 100 * best_top1, best);
  fmt::print("checkpoint: {} (weights only: {})\n", checkpoint, weights);
  return 0;
}

}  // namespace dnntrain::apps
