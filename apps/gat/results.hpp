#pragma once
// Helpers of the commands that use a saved model (eval, predict, embed) or describe a dataset
// (info): loading a checkpoint for a dataset, and writing result files — CSV text, NumPy .npy
// arrays, JSON — through gat::write_output (atomic replace, devices written directly, "-" stdout).

#include <cstdint>
#include <string>
#include <string_view>

#include "common.hpp"
#include "gat/io/checkpoint.hpp"
#include "gat/io/dataset.hpp"
#include "gat/io/output.hpp"
#include "gat/layers/gat_model.hpp"
#include "gat/train/trainer.hpp"

namespace gat::app {

/// A checkpoint loaded together with the dataset it is applied to.
struct ModelAndData {
  Dataset data;
  Checkpoint checkpoint;
};

/// @brief The metadata `gat train --save` and `gat attention --save` store beside the weights:
/// the run (seed, best epoch, accuracies), the preprocessing that shaped the input
/// ("normalize", "strict") and a fingerprint of the data ("dataset", "nodes", "edges",
/// "features", "classes"), so that a saved model is later applied to the input it expects.
CheckpointMetadata training_metadata(const Dataset& data, const DataFlags& flags,
                                     std::uint64_t seed, const TrainResult& result);

/// @brief Loads the checkpoint at `model_path` and the dataset, and checks that they fit: the
/// same number of input features and classes, and the same class names when the checkpoint
/// recorded them (metadata "classes", written by `gat train --save`). Throws gat::Error that
/// says which does not match.
///
/// The dataset is read with the checkpoint's feature normalisation (metadata "normalize")
/// unless --no-normalize was given, which then wins with a warning on stderr when it
/// contradicts the checkpoint. A dataset with other node or edge counts than the fingerprint
/// is a warning, not an error: applying a model to another graph is legitimate (inductive use).
/// Checkpoints without these keys load as the flags say.
ModelAndData load_model_and_data(const std::string& model_path, const DataFlags& flags);

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
