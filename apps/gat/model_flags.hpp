#pragma once
// The flags that describe a node-classification GAT and how it is trained, shared by the
// commands that train one (gat train, gat attention), so that the same flags build the same
// model everywhere.

#include <CLI/CLI.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gat/io/dataset.hpp"
#include "gat/layers/gat_model.hpp"
#include "gat/train/trainer.hpp"

namespace gat::app {

/// Model and training options as the command line gives them. Fields that are strings on the
/// command line become GatModelOptions in finish_model_options, once the dataset is known.
struct ModelFlags {
  GatModelOptions model;
  TrainOptions train;
  std::string self_loops = "add";
  std::string attention = "sparse";
  std::string score = "gat";
  std::string align = "softmax";
  bool no_bias = false;
  std::uint64_t seed = 0;
};

/// @brief Adds the model flags: --layers, --hidden, --heads, --out-heads, --dropout,
/// --feature-dropout, --attn-dropout, --negative-slope, --no-bias, --residual, --self-loops,
/// --attention, --score, --share-weights, --align, --top-k, --multi-dim. Returns them, so that
/// a command can tell whether any was given.
std::vector<CLI::Option*> add_model_flags(CLI::App& cmd, ModelFlags& flags);

/// @brief Adds the training flags --lr, --weight-decay, --epochs, --patience; returns them.
std::vector<CLI::Option*> add_training_flags(CLI::App& cmd, ModelFlags& flags);

/// @brief The self-loop policy named add, keep or remove.
SelfLoops parse_self_loops(const std::string& name);

/// @brief Completes flags.model from the string flags and the dataset's sizes (input features,
/// classes).
void finish_model_options(ModelFlags& flags, const Dataset& data);

/// @brief Refuses (gat::Error, with the bytes needed and available) to train a model of
/// `flags.model` on `data` when GatModel::estimate_training_bytes exceeds the memory this
/// process may still allocate; called before the model is built, so that an oversized model
/// fails in milliseconds instead of growing to the limit and ending in std::bad_alloc.
void check_training_memory(const ModelFlags& flags, const Dataset& data);

/// @brief The model and training options as a JSON object, for result files.
nlohmann::json model_flags_json(const ModelFlags& flags);

}  // namespace gat::app
