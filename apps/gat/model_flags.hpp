#pragma once
// The flags that describe a node-classification GAT and how it is trained, shared by the
// commands that train one (gat train, gat attention), so that the same flags build the same
// model everywhere.

#include <CLI/CLI.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gat/core/device.hpp"
#include "gat/data/dataset.hpp"
#include "gat/layers/gat_model.hpp"
#include "gat/train/trainer.hpp"

namespace gat::app {

/// Model and training options as the command line gives them: the library's option table
/// (gat::for_each_option) binds the model flags to `model` directly; finish_model_options adds
/// what comes from the dataset.
struct ModelFlags {
  GatModelOptions model;
  TrainOptions train;
  std::uint64_t seed = 0;
};

/// @brief Adds one flag per row of the library's option table that has one (--layers, --hidden,
/// --heads, ..., --score, --align, --multi-dim). Returns them, so that a command can tell
/// whether any was given.
std::vector<CLI::Option*> add_model_flags(CLI::App& cmd, ModelFlags& flags);

/// @brief Adds the training flags --lr, --weight-decay, --epochs, --patience; returns them.
std::vector<CLI::Option*> add_training_flags(CLI::App& cmd, ModelFlags& flags);

/// @brief Adds --device cpu|cuda (default cpu), parsed by gat::parse_device: the commands that
/// can train on the GPU (gat train, gat bench) bind it to their own Device.
CLI::Option* add_device_flag(CLI::App& cmd, Device& device);

/// @brief Completes flags.model from the dataset's sizes (input features,
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
