#pragma once
// Per-dataset hyper-parameters from the GAT paper (Veličković et al., 2018, section 3.3),
// applied to the flags a user did not give.

#include <CLI/CLI.hpp>
#include <string>

#include "model_flags.hpp"

namespace gat::app {

/// @brief Sets the paper's values for `dataset` (cora, citeseer, pubmed; case-insensitive) on
/// every flag of the preset that `cmd` did not see on the command line: a user's flag always
/// wins. Returns the preset's name ("" for a dataset without one) and, through `report`, the
/// one line that says what was set.
std::string apply_preset(const std::string& dataset, const CLI::App& cmd, ModelFlags& flags,
                         std::string& report);

/// @brief The output heads the paper trains `dataset` with (pubmed: 8), else 1: what gat bench
/// times when --out-heads is not given, so that it times the model gat train trains.
int preset_out_heads(const std::string& dataset);

}  // namespace gat::app
