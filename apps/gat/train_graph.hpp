#pragma once
// gat train --task graph: graph classification on a TU dataset with k-fold cross-validation.

#include <string>

#include "common.hpp"
#include "gat/train/graph_trainer.hpp"

namespace gat::app {

/// What `gat train --task graph` needs; train.cpp fills it from its flags.
struct GraphRunFlags {
  DataFlags data;
  GraphClassifierOptions model;
  GraphTrainOptions train;
  int folds = 10;
  bool no_edge_features = false;
  std::string pool = "attention";
  std::uint64_t seed = 0;
  bool quiet = false;
  int log_every = 0;  // --log-every when given; 0: progress chooses (see progress.hpp)
  std::string json;
  std::string history;  // per-epoch CSV
};

/// Loads the TU dataset, runs stratified k-fold cross-validation and prints the results.
void run_train_graph(GraphRunFlags& f);

}  // namespace gat::app
