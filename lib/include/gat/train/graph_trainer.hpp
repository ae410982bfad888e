#pragma once
// Mini-batch training of GraphClassifier on a graph-classification dataset; stratified k-fold
// cross-validation as much of the literature reports it; and the protocol of Errica et al.,
// "A Fair Comparison of Graph Neural Networks for Graph Classification" (ICLR 2020), in which
// the test fold is touched once: model selection and early stopping use a holdout of the
// training part only.

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <vector>

#include "gat/data/graph_dataset.hpp"
#include "gat/layers/graph_classifier.hpp"
#include "gat/optim/adam.hpp"

namespace gat {

/// @brief Hyper-parameters of graph-classification training.
struct GraphTrainOptions {
  int epochs = 100;     // the most epochs (all of them without validation graphs)
  int batch_size = 32;  // graphs per mini-batch
  AdamOptions adam{0.01, 0.9, 0.999, 1e-8, 0.0};  // lr 0.01, no weight decay
  std::uint64_t seed = 0;                         // keys the shuffling and every dropout mask
  // With validation graphs: stop after `patience` epochs without a better validation accuracy
  // (a tie with a lower validation loss counts as better) and restore the best epoch's weights.
  // 0: train every epoch and keep the last weights.
  int patience = 0;
  // Each mini-batch is cut into `shards` runs of consecutive graphs (sizes differ by at most
  // one) whose forward and backward passes are independent: they run on as many threads as
  // there are, and their gradients are added in shard order, so the result is the same bits at
  // any thread count. Batches of small graphs are too small to share one op among threads;
  // sharing whole shards is what makes a second core pay. Shard s of step t draws its dropout
  // masks with step key t·shards + s. 1: no cut.
  int shards = 2;
  // Learning rate: multiplied by lr_decay every lr_step epochs (0: constant).
  int lr_step = 0;
  double lr_decay = 0.5;
  // Weight averaging (Polyak & Juditsky 1992, in its exponential form): with ema = d in (0, 1),
  // the model evaluated, early-stopped and kept is the average θ̄_t = S_t / (1 − d^t) with
  // S_t = d·S_{t−1} + (1 − d)·θ_t over the optimiser's steps t = 1, 2, … (S_0 = 0; the
  // division removes the bias towards zero, as Adam's moments do). The weights Adam moves are
  // unchanged; what a noisy step adds reaches the kept model damped, so the epoch early
  // stopping picks depends less on where the last mini-batch left the weights. 0: off.
  double ema = 0.0;
};

/// @brief What one epoch measured. Times are wall-clock milliseconds.
struct GraphEpochStats {
  int fold = 0;           // 0-based fold of cross-validation (0 outside it)
  int candidate = -1;     // model selection: the configuration trained (-1: an assessment run)
  int run = 0;            // model assessment: 0-based run of the selected configuration
  int epoch = 0;          // 1-based
  double train_loss = 0;  // mean over the epoch's graphs, with dropout
  double train_acc = 0;   // with dropout, as the batches went
  double train_ms = 0;    // all batches: forward, backward, optimiser steps
  double val_loss = std::numeric_limits<double>::quiet_NaN();  // NaN without validation graphs
  double val_acc = std::numeric_limits<double>::quiet_NaN();
};

/// @brief Per-epoch report; the trainer prints nothing.
using GraphEpochCallback = std::function<void(const GraphEpochStats&)>;

/// @brief Accuracy and mean loss of a model over a set of graphs (inference mode).
struct GraphEvaluation {
  double accuracy = 0;
  double loss = 0;
  std::vector<std::int32_t> predicted;  // (number of graphs evaluated) class per graph
};

/// @brief What a training run did.
struct GraphTrainResult {
  std::vector<GraphEpochStats> history;
  int best_epoch = 0;  // the epoch whose weights the model holds (the last without validation)
  double best_val_acc = std::numeric_limits<double>::quiet_NaN();
  double best_val_loss = std::numeric_limits<double>::quiet_NaN();
};

/// @brief Trains `model` on the graphs `train` (indices into data) for options.epochs epochs,
/// in mini-batches reshuffled every epoch from (seed, epoch). Throws gat::Error naming the
/// epoch (and the parameter) when the loss or a gradient becomes non-finite.
GraphTrainResult train_graph_classifier(GraphClassifier<float>& model, const GraphDataset& data,
                                        const std::vector<std::int64_t>& train,
                                        const GraphTrainOptions& options,
                                        const GraphEpochCallback& on_epoch = {});

/// @brief The same, evaluating the graphs `validation` after every epoch for early stopping
/// (options.patience) and the choice of the weights kept.
GraphTrainResult train_graph_classifier(GraphClassifier<float>& model, const GraphDataset& data,
                                        const std::vector<std::int64_t>& train,
                                        const std::vector<std::int64_t>& validation,
                                        const GraphTrainOptions& options,
                                        const GraphEpochCallback& on_epoch = {});

/// @brief Evaluates `model` on the graphs `graphs` in batches of batch_size (batches run on as
/// many threads as there are; the result does not depend on how many).
GraphEvaluation evaluate_graphs(const GraphClassifier<float>& model, const GraphDataset& data,
                                const std::vector<std::int64_t>& graphs, int batch_size = 128);

/// @brief The outcome of k-fold cross-validation.
struct CrossValidation {
  std::vector<double> fold_accuracy;  // (k) test accuracy of each fold after the last epoch
  double mean = 0, stddev = 0;        // over folds (population standard deviation)
  std::vector<double> epoch_ms;       // every epoch of every fold, for timing statistics
};

/// @brief One configuration of a model-selection grid.
struct GraphCandidate {
  GraphClassifierOptions model;
  GraphTrainOptions train;  // train.seed is replaced by the protocol's own keys
  // The candidate's own inputs, when the choice is about them (e.g. with or without degree
  // features): the same graphs, in the same order, with the same labels and structure, and
  // other node features. Null: the dataset the protocol is given.
  std::shared_ptr<const GraphDataset> data = nullptr;
};

/// @brief The protocol of Errica et al. (ICLR 2020) for graph classification.
struct ModelSelectionOptions {
  int folds = 10;          // outer stratified folds: each is a test set once
  int holdout_folds = 10;  // the training part is cut into this many stratified folds, and one
                           // of them (10 %) is the holdout for selection and early stopping
  int final_runs = 3;      // the selected configuration is retrained this many times (each with
                           // another holdout fold for early stopping); the fold's test accuracy
                           // is their mean
  std::uint64_t seed = 0;  // keys the folds, the holdouts, the initialisations and the runs
};

/// @brief What the protocol did on one outer fold.
struct AssessedFold {
  std::vector<double> candidate_val_acc;   // (candidates) best holdout accuracy of each
  std::vector<double> candidate_val_loss;  // (candidates) its holdout loss
  std::vector<int> candidate_epoch;        // (candidates) the epoch it was reached at
  int selected = 0;                        // the candidate chosen: best holdout accuracy, then
                                           // lower loss, then the earlier in the grid
  std::vector<double> run_test_acc;        // (final_runs) test accuracy of each retraining
  std::vector<int> run_epoch;              // (final_runs) the epoch each one stopped at
  double test_acc = 0;                     // mean of run_test_acc
};

/// @brief The outcome of the protocol.
struct ModelAssessment {
  std::vector<AssessedFold> folds;
  double mean = 0, stddev = 0;   // of the folds' test accuracy (population standard deviation)
  std::vector<double> epoch_ms;  // every training epoch, for timing statistics
};

/// @brief Called with a fold's model after its test evaluation (e.g. to save it): the fold
/// (0-based), the candidate it was built from (the selected one; 0 in cross-validation), the
/// model, the test graphs and their accuracy. The protocol passes run 0's.
using AssessedModelCallback =
    std::function<void(int fold, int candidate, const GraphClassifier<float>& model,
                       const std::vector<std::int64_t>& test, double test_acc)>;

/// @brief Stratified k-fold cross-validation: for each fold, a fresh model (initialised from
/// model_seed + fold) is trained options.epochs epochs on the other k - 1 folds and tested on
/// it (no early stopping: nothing but the test fold to stop on). Folds come from
/// stratified_folds(labels, k, options.seed). on_model gets every fold's model.
CrossValidation cross_validate(const GraphDataset& data, const GraphClassifierOptions& model,
                               const GraphTrainOptions& options, int folds,
                               std::uint64_t model_seed, const GraphEpochCallback& on_epoch = {},
                               const AssessedModelCallback& on_model = {});

/// @brief Errica et al.'s protocol: for each of options.folds stratified outer folds, each
/// candidate is trained on the other folds less a stratified holdout, early-stopped and scored
/// on that holdout; the best is retrained final_runs times (another holdout each time) and
/// tested once on the outer fold. With one candidate the selection is skipped (nothing to
/// choose). Outer folds: stratified_folds(labels, folds, seed); the holdout of run r is fold r
/// of stratified_folds(training labels, holdout_folds, seed + 1 + fold). A candidate with its
/// own `data` trains and is tested on that; `data` decides the folds.
ModelAssessment assess_graph_classifier(const GraphDataset& data,
                                        const std::vector<GraphCandidate>& candidates,
                                        const ModelSelectionOptions& options,
                                        const GraphEpochCallback& on_epoch = {},
                                        const AssessedModelCallback& on_model = {});

}  // namespace gat
