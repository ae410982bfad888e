#pragma once
// Full-batch node-classification training with the GAT paper's early stopping.

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "gat/core/device.hpp"
#include "gat/data/dataset.hpp"
#include "gat/data/features.hpp"
#include "gat/data/split.hpp"
#include "gat/layers/gat_model.hpp"
#include "gat/optim/adam.hpp"

namespace gat {

/// @brief Training hyper-parameters; defaults are the GAT paper's Cora settings.
struct TrainOptions {
  int epochs = 1000;   // upper bound on epochs
  int patience = 100;  // epochs without improvement of validation loss or accuracy
  AdamOptions adam;
  std::uint64_t seed = 0;  // keys every dropout mask (the model's init has its own seed)
  // OpenMP threads for this call, from whichever thread makes it; 0: the count set with
  // gat::set_num_threads (or OpenMP's default). Results are the same at any count.
  int threads = 0;
  // Where to train: the CPU, or CUDA device 0 (gat/train/cuda_trainer.hpp: the same model and
  // masks, equal to rounding). Throws gat::Error saying why when the device cannot run here.
  Device device = Device::kCpu;
};

/// @brief What one epoch measured. Times are wall-clock milliseconds.
struct EpochStats {
  int epoch = 0;          // 1-based
  double train_loss = 0;  // on the training nodes, with dropout (the loss minimised)
  double train_acc = 0;   // on the training nodes, with dropout
  double val_loss = 0;    // inference mode
  double val_acc = 0;
  double train_ms = 0;  // forward + backward + optimiser step
  double eval_ms = 0;   // one inference forward pass over the whole graph
};

/// @brief The outcome of a training run, evaluated with the restored best weights.
struct TrainResult {
  int epochs_run = 0;
  int best_epoch = 0;  // epoch whose weights were restored
  double train_acc = 0, val_acc = 0, test_acc = 0;
  double val_loss = 0;
  std::vector<EpochStats> history;
};

/// @brief Per-epoch report; the trainer itself prints nothing.
using EpochCallback = std::function<void(const EpochStats&)>;

/// @brief Trains `model` on the dataset's training nodes with Adam and the paper's early
/// stopping: the patience counter resets whenever validation accuracy or loss improves on
/// its best so far; the weights are saved when both are at least as good as the best; at
/// the end the saved weights are restored. Throws gat::Error naming the epoch and the
/// parameter if a loss or gradient becomes non-finite.
TrainResult train_node_classifier(GatModel<float>& model, const Dataset& data,
                                  const TrainOptions& options, const EpochCallback& on_epoch = {});

/// @brief The same from arrays a program holds, without filling a Dataset.
/// @param graph N nodes, as built (the model applies its self-loop policy itself)
/// @param features (N, in) sparse, or dense in the caller's memory (not copied)
/// @param labels (N) class index in [0, C) of every node in the split; others may be -1
/// @param split train, validation and test node indices (see gat/data/split.hpp)
TrainResult train_node_classifier(GatModel<float>& model, const CsrGraph& graph,
                                  FeatureView features, std::span<const std::int32_t> labels,
                                  const Split& split, const TrainOptions& options = {},
                                  const EpochCallback& on_epoch = {});

/// @brief Accuracy and loss of a model on each split, inference mode.
struct Evaluation {
  double train_acc = 0, val_acc = 0, test_acc = 0;
  double train_loss = 0, val_loss = 0, test_loss = 0;
  RowMatrix logits;  // (N, C)
};

/// @brief Runs one inference pass and scores every split.
Evaluation evaluate(const GatModel<float>& model, const Dataset& data);
/// @brief The same from arrays (see train_node_classifier); `threads` as in TrainOptions.
Evaluation evaluate(const GatModel<float>& model, const CsrGraph& graph, FeatureView features,
                    std::span<const std::int32_t> labels, const Split& split, int threads = 0);

}  // namespace gat
