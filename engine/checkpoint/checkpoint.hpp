// Checkpoints as safetensors files that PyTorch reads: model tensors under torchvision state_dict
// keys in plain layouts, optimizer state under "optimizer.<param>.<state>", the training position in
// __metadata__ (string values), a CRC-32C of the data buffer, written atomically.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/checkpoint/safetensors.hpp"
#include "engine/optim/optimizer.hpp"
#include "engine/parameter.hpp"

namespace dnntrain::engine {

// Where training stands; everything resume needs besides tensors. Stored in __metadata__ as
// "dnntrain.<field>", one key per field below (save_checkpoint in checkpoint.cpp writes them).
struct TrainingState {
  int64_t epoch = 0;           // the epoch in progress (0-based)
  int64_t step = 0;            // optimizer steps done since the start of training
  int64_t batch_in_epoch = 0;  // batches of `epoch` consumed: the position in the epoch's data order
  uint64_t data_seed = 0;      // seeds data order and augmentation (counter-based draws)
  uint64_t init_seed = 0;      // seeded the initial weights
  double lr = 0;               // the rate of the last step (information; schedules are pure functions)
  std::string schedule;        // LrSchedule::describe() of the run
  std::string config;          // the run's configuration, verbatim (e.g. the command line)
  int64_t world_size = 1;      // ranks and threads: the bitwise-resume promise needs both unchanged
  int64_t threads = 0;
  std::map<std::string, std::string> extra;  // free-form, stored as "dnntrain.extra.<key>"
};

// Saves the model (and, when `optimizer` is given, its state and `state`) to `path`.
// requires: every tensor finite; parameter names unique; `optimizer` (if any) built on `parameters`.
// ensures:  atomic (atomic_file.hpp): on any error `path` keeps its previous content.
//           Without an optimizer the file holds exactly the model's state_dict keys, so
//           torchvision's model.load_state_dict(safetensors.torch.load_file(path)) accepts it;
//           its metadata then keeps only state.config and state.extra (when set).
// throws:   dnntrain::Error naming the tensor for a non-finite value, or the file for I/O errors.
void save_checkpoint(const std::string& path, const std::vector<Parameter*>& parameters,
                     const std::vector<Buffer*>& buffers, const Optimizer* optimizer,
                     const TrainingState& state);
inline void save_weights(const std::string& path, const std::vector<Parameter*>& parameters,
                         const std::vector<Buffer*>& buffers) {
  save_checkpoint(path, parameters, buffers, nullptr, TrainingState{});
}

// The file's dnntrain.crc32c against its bytes (format 1 or 2), when present; `required`: a file
// without one is refused. throws: dnntrain::Error naming the file on a mismatch.
// requires: `st` loaded (Safetensors::read).
void verify_checksum(const Safetensors& st, bool required);

// Every F32 tensor of `st`, except those whose names start with a `skip` prefix, holds finite values.
// throws: dnntrain::Error naming the file, the tensor and the index of the first other value.
void check_finite_tensors(const Safetensors& st, const std::vector<std::string>& skip);

struct InitOptions {
  // Keys starting with any of these are neither loaded nor reported (e.g. "fc." to fine-tune with
  // another number of classes); the model keeps its own values for them.
  std::vector<std::string> skip_prefixes;
};

// --init: model weights and buffers only, strictly. Keys "optimizer.*" in the file are ignored.
// Loads files from torch (safetensors.torch.save_file(model.state_dict())) and from us; a CRC in
// the metadata, when present, must match.
// ensures:  on success every non-skipped parameter and buffer holds the file's values (padding
//           zero); on failure nothing was modified and the one error lists every missing,
//           unexpected and mis-shaped key.
void load_weights(const std::string& path, const std::vector<Parameter*>& parameters,
                  const std::vector<Buffer*>& buffers, const InitOptions& options = {});

// --resume: everything save_checkpoint wrote with an optimizer. The optimizer must be built over
// the same parameters with the same kind (its hyperparameters may differ: a deliberate change).
// ensures:  weights, buffers, optimizer state and step count restored exactly, so continuing gives
//           the same bits as never stopping (same binary, threads and ranks); returns the position.
//           On failure nothing was modified.
TrainingState resume_checkpoint(const std::string& path, const std::vector<Parameter*>& parameters,
                                const std::vector<Buffer*>& buffers, Optimizer& optimizer);

// The name of a state tensor in the file: "optimizer.<parameter name>.<state name>", state names
// as torch.optim's state_dict: momentum_buffer (SGD), exp_avg and exp_avg_sq (Adam, AdamW).
std::string optimizer_key(const std::string& parameter, const std::string& state);

}  // namespace dnntrain::engine
