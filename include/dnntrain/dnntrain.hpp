// The public interface of dnntrain: everything an embedding program uses. It includes no oneDNN
// header; the engine behind it stays internal (docs/architecture.md, "The public library").
#pragma once

#include "dnntrain/error.hpp"
#include "dnntrain/evaluation.hpp"
#include "dnntrain/metadata.hpp"
#include "dnntrain/model_spec.hpp"
#include "dnntrain/predictor.hpp"
#include "dnntrain/trainer.hpp"
