#pragma once
// A model into and out of a checkpoint. Training and saving live here once, for every command
// that trains a node-classification model (gat train, gat attention), so that the same flags and
// seed give the same weights everywhere and every saved file carries the same metadata; loading
// lives here for every command that applies a saved model (eval, predict, embed, attention; and
// eval and predict --task graph for graph classification), so that each one reads that metadata
// back the same way.

#include <cstdint>
#include <string>
#include <vector>

#include "common.hpp"
#include "gat/data/dataset.hpp"
#include "gat/data/graph_dataset.hpp"
#include "gat/io/checkpoint.hpp"
#include "gat/io/graph_checkpoint.hpp"
#include "gat/layers/gat_model.hpp"
#include "gat/train/trainer.hpp"
#include "model_flags.hpp"

namespace gat::app {

/// A model trained by train_model, with what its training reported.
struct TrainedModel {
  GatModel<float> model;  // the best-validation weights, restored by the trainer
  TrainResult result;
  std::uint64_t seed;  // of the initial weights and of every dropout mask
};

/// @brief One run of gat train: the model that `flags` describe, initialised from `seed`,
/// trained on `data` with flags.train and `seed` keying the dropout masks. gat train's run r
/// is train_model(flags, data, flags.seed + r - 1); gat attention trains run 1.
/// @param on_epoch called after every epoch (progress); may be empty
TrainedModel train_model(const ModelFlags& flags, const Dataset& data, std::uint64_t seed,
                         const EpochCallback& on_epoch = {});

/// @brief The metadata a trained model is saved with: the run (seed, best epoch, accuracies),
/// the preprocessing that shaped the input ("normalize", "strict") and a fingerprint of the
/// data ("dataset", "nodes", "edges", "features", "classes"), so that a saved model is later
/// applied to the input it expects (see load_model_and_data).
CheckpointMetadata training_metadata(const Dataset& data, const DataFlags& flags,
                                     std::uint64_t seed, const TrainResult& result);

/// @brief Saves `run` as a safetensors checkpoint at `path` with training_metadata: what
/// `gat train --save` and `gat attention --save` write.
void save_trained_model(const std::string& path, const TrainedModel& run, const Dataset& data,
                        const DataFlags& flags);

/// A checkpoint loaded together with the dataset it is applied to.
struct ModelAndData {
  Dataset data;
  Checkpoint checkpoint;
};

/// @brief Loads the checkpoint at `model_path` and the dataset, and checks that they fit: the
/// same number of input features and classes, and the same class names when the checkpoint
/// recorded them (metadata "classes", written by save_trained_model). Throws gat::Error that
/// says which does not match.
///
/// The dataset is read with the checkpoint's feature normalisation (metadata "normalize")
/// unless --no-normalize was given, which then wins with a warning on stderr when it
/// contradicts the checkpoint. A dataset with other node or edge counts than the fingerprint
/// is a warning, not an error: applying a model to another graph is legitimate (inductive use).
/// Checkpoints without these keys load as the flags say.
ModelAndData load_model_and_data(const std::string& model_path, const DataFlags& flags);

// ---- Graph classification (--task graph) ----

/// A graph-classification checkpoint loaded together with the TU dataset it is applied to.
struct GraphModelAndData {
  GraphDataset data;
  GraphCheckpoint checkpoint;
  // With test graphs asked for: the checkpoint's held-out graphs (metadata "test_graphs").
  std::vector<std::int64_t> test_graphs;
};

/// @brief Loads the graph-classification checkpoint at `model_path` and the TU dataset the
/// flags name — without --dataset, the one the checkpoint records (metadata "dataset") — and
/// checks that they fit: the model's node features, edge features (when it reads them) and
/// classes. Throws gat::Error that says which does not match.
///
/// With `test_graphs`, also reads the held-out graphs the checkpoint records, refusing (with a
/// hint to evaluate every graph) a checkpoint without them, one trained on another dataset,
/// and indices that do not parse or lie beyond the dataset. Without, a dataset of another name
/// than the checkpoint's is a warning on stderr (a model applied to new graphs on purpose).
GraphModelAndData load_graph_model_and_data(const std::string& model_path, const DataFlags& flags,
                                            bool test_graphs);

}  // namespace gat::app
