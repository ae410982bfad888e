#pragma once
// Helpers of the commands that write results (eval, predict, embed, attention, info): the
// inference pass of a saved model over a dataset, and result files — CSV text, NumPy .npy
// arrays — written through gat::write_output (atomic replace, devices written directly, "-"
// stdout). Checkpoints themselves are read and written in model_io.hpp.

#include <string>
#include <string_view>
#include <vector>

#include "common.hpp"
#include "gat/data/dataset.hpp"
#include "gat/io/output.hpp"
#include "gat/layers/gat_model.hpp"

namespace gat::app {

/// @brief The inference pass of a model over a whole dataset: logits (N, C) and, through
/// `hidden`, the ELU outputs (N, H·F) of the hidden layers.
RowMatrix run_inference(const GatModel<float>& model, const Dataset& data,
                        std::vector<RowMatrix>* hidden = nullptr);

/// @brief The bytes of a NumPy .npy file (format 1.0, dtype '<f4', C order) holding m (R, C).
std::string npy_bytes(const RowMatrix& m);

/// @brief A CSV field, quoted (RFC 4180) when it holds a comma, quote or line break.
std::string csv_field(std::string_view s);

/// @brief A float in the shortest text that reads back to the same value.
std::string float_text(float v);

}  // namespace gat::app
