// The folder lock (flock, released by the kernel when the process dies), the logs cut back to a
// resumed checkpoint's position, and checked writes.
#include "apps/run_files.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <utility>

#include "apps/command.hpp"
#include "apps/precision_json.hpp"
#include "engine/checkpoint/atomic_file.hpp"
#include "engine/error.hpp"

namespace dnntrain::apps {

namespace {

constexpr const char* kSummaryHeader =
    "epoch,lr,train_loss,train_top1,test_loss,test_top1,test_top5,images_per_sec,seconds,data_wait_seconds\n";
// With --model-ema (issue 24): the same and the average's evaluation.
constexpr const char* kSummaryHeaderEma =
    "epoch,lr,train_loss,train_top1,test_loss,test_top1,test_top5,images_per_sec,seconds,data_wait_seconds,"
    "ema_test_loss,ema_test_top1,ema_test_top5\n";

// The integer after `"key":` in a JSON line, or -1.
int64_t json_int(const std::string& line, const std::string& key) {
  const auto at = line.find("\"" + key + "\":");
  if (at == std::string::npos) return -1;
  return std::strtoll(line.c_str() + at + key.size() + 3, nullptr, 10);
}

// The longest prefix of whole lines of `text` that `keep` accepts (given each line without '\n').
template <class Keep>
size_t prefix_of_lines(const std::string& text, Keep&& keep) {
  size_t end = 0;
  while (end < text.size()) {
    const size_t nl = text.find('\n', end);
    if (nl == std::string::npos || !keep(text.substr(end, nl - end))) break;  // a torn last line goes
    end = nl + 1;
  }
  return end;
}

}  // namespace

size_t summary_prefix(const std::string& csv, const LogPosition& p) {
  bool header = true;
  return prefix_of_lines(csv, [&](const std::string& line) {
    if (std::exchange(header, false))
      return line + "\n" == kSummaryHeader || line + "\n" == kSummaryHeaderEma;
    return std::strtoll(line.c_str(), nullptr, 10) <= p.epochs_done;
  });
}

size_t log_prefix(const std::string& jsonl, const LogPosition& p) {
  return prefix_of_lines(jsonl, [&](const std::string& line) {
    if (line.find("\"type\":\"epoch\"") != std::string::npos) return json_int(line, "epoch") <= p.epochs_done;
    return json_int(line, "step") <= p.step;
  });
}

RunFiles::RunFiles(const std::string& dir) : dir_(dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  DNNTRAIN_CHECK(!ec, fmt::format("--output-dir: cannot create '{}': {}", dir, ec.message()));
  const std::string lock = path("dnntrain.lock");
  lock_fd_ = engine::open_for_writing(lock, O_RDWR | O_CREAT);
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    const int e = errno;
    char pid[32] = {};
    const ssize_t n = ::pread(lock_fd_, pid, sizeof pid - 1, 0);
    ::close(lock_fd_);
    lock_fd_ = -1;
    if (e == EWOULDBLOCK)
      throw UsageError(
          fmt::format("--output-dir: '{}' is in use by another dnntrain run{}; wait for it or "
                      "choose another folder",
                      dir, n > 0 ? fmt::format(" (pid {})", std::string(pid, strcspn(pid, "\n"))) : ""));
    throw Error(fmt::format("--output-dir: cannot lock '{}': {}", lock, std::strerror(e)));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";  // information for the refused run only
  if (::ftruncate(lock_fd_, 0) != 0 || ::pwrite(lock_fd_, pid.data(), pid.size(), 0) < 0) {
    // The lock holds without the pid: nothing to do.
  }
  stale_removed_ = engine::remove_stale_temporaries(dir);
}

RunFiles::~RunFiles() {
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the lock
}

void RunFiles::check_target(const std::string& resume, bool overwrite) const {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!resume.empty()) {
    const fs::path own = fs::path(resume).parent_path();
    if (fs::equivalent(own.empty() ? fs::path(".") : own, dir_, ec)) return;
  }
  if (overwrite) return;
  for (const char* name : {"checkpoint.safetensors", "best.safetensors"}) {
    if (fs::symlink_status(path(name), ec).type() == fs::file_type::not_found) continue;
    if (resume.empty())
      throw UsageError(fmt::format(
          "--output-dir: '{}' holds another run's {}; continue it with --resume {}, or replace it with "
          "--overwrite",
          dir_, name, path("checkpoint.safetensors")));
    throw UsageError(fmt::format(
        "--output-dir: '{}' holds another run's {}, and --resume {} belongs to another folder; resume in "
        "the checkpoint's own folder, choose an empty --output-dir, or replace that run with --overwrite",
        dir_, name, resume));
  }
}

void RunFiles::open_logs(const LogPosition* resumed, const RunStart& start, bool ema) {
  const std::string summary = path("summary.csv"), log = path("log.jsonl");
  size_t summary_keep = 0, log_keep = 0;
  if (resumed) {
    summary_keep = summary_prefix(LogFile::read_existing(summary), *resumed);
    log_keep = log_prefix(LogFile::read_existing(log), *resumed);
  }
  summary_ = LogFile(summary, summary_keep);
  log_ = LogFile(log, log_keep);
  if (summary_keep == 0) summary_.append(ema ? kSummaryHeaderEma : kSummaryHeader);
  if (log_keep == 0)
    log_.append(fmt::format("{{\"type\":\"run\",\"step\":{},\"precision\":\"{}\",\"precision_auto\":{}}}\n",
                            start.step, engine::precision_name(start.precision),
                            precision_auto_json(start.automatic)));
}

void RunFiles::write_config(const std::string& text) {
  engine::write_file_atomic(path("config"), {reinterpret_cast<const uint8_t*>(text.data()), text.size()});
}

void RunFiles::log_step(const engine::StepStats& s, int64_t epoch, double images_per_sec) {
  log_.append(
      fmt::format("{{\"type\":\"step\",\"epoch\":{},\"step\":{},\"batch\":{},\"loss\":{:.6g},\"top1\":{:.6g},"
                  "\"lr\":{:.6g},"
                  "\"images_per_sec\":{:.1f}}}\n",
                  epoch, s.step, s.batch_in_epoch, s.loss, s.n ? static_cast<double>(s.correct) / s.n : 0.0,
                  s.lr, images_per_sec));
}

void RunFiles::log_epoch(const EpochSummary& e) {
  const std::string ema_csv =
      e.ema ? fmt::format(",{:.6f},{:.6f},{:.6f}", e.ema->loss, e.ema->top1, e.ema->top5) : std::string();
  const std::string ema_json =
      e.ema ? fmt::format(",\"ema_test_loss\":{:.6g},\"ema_test_top1\":{:.6g},\"ema_test_top5\":{:.6g}",
                          e.ema->loss, e.ema->top1, e.ema->top5)
            : std::string();
  summary_.append(fmt::format("{},{:.6g},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.1f},{:.1f},{:.2f}{}\n",
                              e.epoch, e.lr, e.train_loss, e.train_top1, e.test.loss, e.test.top1,
                              e.test.top5, e.images_per_sec, e.seconds, e.wait_seconds, ema_csv));
  log_.append(fmt::format(
      "{{\"type\":\"epoch\",\"epoch\":{},\"lr\":{:.6g},\"train_loss\":{:.6g},\"train_top1\":{:.6g},"
      "\"test_loss\":{:.6g},\"test_top1\":{:.6g},\"test_top5\":{:.6g},\"images_per_sec\":{:.1f},"
      "\"seconds\":{:.2f},\"data_wait_seconds\":{:.3f}{}}}\n",
      e.epoch, e.lr, e.train_loss, e.train_top1, e.test.loss, e.test.top1, e.test.top5, e.images_per_sec,
      e.seconds, e.wait_seconds, ema_json));
}

void RunFiles::close() {
  summary_.close();
  log_.close();
}

}  // namespace dnntrain::apps
