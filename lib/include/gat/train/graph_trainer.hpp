#pragma once
// Mini-batch training of GraphClassifier on a graph-classification dataset, and stratified
// k-fold cross-validation as the graph-classification literature reports it.

#include <cstdint>
#include <functional>
#include <vector>

#include "gat/data/graph_dataset.hpp"
#include "gat/layers/graph_classifier.hpp"
#include "gat/optim/adam.hpp"

namespace gat {

/// @brief Hyper-parameters of graph-classification training.
struct GraphTrainOptions {
  int epochs = 100;     // a fixed number of epochs: no early stopping on the test fold
  int batch_size = 32;  // graphs per mini-batch
  AdamOptions adam{0.01, 0.9, 0.999, 1e-8, 0.0};  // lr 0.01, no weight decay
  std::uint64_t seed = 0;                         // keys the shuffling and every dropout mask
};

/// @brief What one epoch measured. Times are wall-clock milliseconds.
struct GraphEpochStats {
  int fold = 0;           // 0-based fold of cross-validation (0 outside it)
  int epoch = 0;          // 1-based
  double train_loss = 0;  // mean over the epoch's graphs, with dropout
  double train_acc = 0;   // with dropout, as the batches went
  double train_ms = 0;    // all batches: forward, backward, optimiser steps
};

/// @brief Per-epoch report; the trainer prints nothing.
using GraphEpochCallback = std::function<void(const GraphEpochStats&)>;

/// @brief Accuracy and mean loss of a model over a set of graphs (inference mode).
struct GraphEvaluation {
  double accuracy = 0;
  double loss = 0;
  std::vector<std::int32_t> predicted;  // (number of graphs evaluated) class per graph
};

/// @brief Trains `model` on the graphs `train` (indices into data) for options.epochs epochs,
/// in mini-batches reshuffled every epoch from (seed, epoch). Throws gat::Error naming the
/// epoch (and the parameter) when the loss or a gradient becomes non-finite.
std::vector<GraphEpochStats> train_graph_classifier(GraphClassifier<float>& model,
                                                    const GraphDataset& data,
                                                    const std::vector<std::int64_t>& train,
                                                    const GraphTrainOptions& options,
                                                    const GraphEpochCallback& on_epoch = {});

/// @brief Evaluates `model` on the graphs `graphs` in batches of batch_size.
GraphEvaluation evaluate_graphs(const GraphClassifier<float>& model, const GraphDataset& data,
                                const std::vector<std::int64_t>& graphs, int batch_size = 128);

/// @brief The outcome of k-fold cross-validation.
struct CrossValidation {
  std::vector<double> fold_accuracy;  // (k) test accuracy of each fold after the last epoch
  double mean = 0, stddev = 0;        // over folds (population standard deviation)
  std::vector<double> epoch_ms;       // every epoch of every fold, for timing statistics
};

/// @brief Stratified k-fold cross-validation: for each fold, a fresh model (initialised from
/// model_seed + fold) is trained on the other k - 1 folds and tested on it. Folds come from
/// stratified_folds(labels, k, options.seed).
CrossValidation cross_validate(const GraphDataset& data, const GraphClassifierOptions& model,
                               const GraphTrainOptions& options, int folds,
                               std::uint64_t model_seed, const GraphEpochCallback& on_epoch = {});

}  // namespace gat
