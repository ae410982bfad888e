#pragma once
// gat train --task graph: graph classification on a TU dataset, by stratified k-fold
// cross-validation (--protocol cv, quick) or by the protocol of Errica et al. (--protocol
// errica: model selection and early stopping on a holdout, the test fold touched once).

#include <string>
#include <vector>

#include "common.hpp"
#include "gat/train/graph_trainer.hpp"

namespace gat::app {

/// What `gat train --task graph` needs; train.cpp fills it from its flags.
struct GraphRunFlags {
  DataFlags data;
  GraphClassifierOptions model;
  GraphTrainOptions train;
  int folds = 10;
  std::string protocol = "cv";     // cv or errica
  std::string model_kind = "gat";  // gat or baseline (no GAT layer: sum of the node features → MLP)
  std::vector<std::string> grid;  // --grid KEY=V1,V2,...: errica's model-selection grid
  ModelSelectionOptions selection;
  bool no_edge_features = false;
  bool raw_attributes = false;
  int degree_features = 0;  // --degree-features K: one-hot neighbour count capped at K (0: none) //
                            // --raw-attributes: node attributes as read, not standardised
  std::string pool = "attention";
  std::string save;  // --save: fold 1's model (errica: its first assessment run)
  std::uint64_t seed = 0;
  bool quiet = false;
  int log_every = 0;  // --log-every when given; 0: progress chooses (see progress.hpp)
  std::string json;
  std::string history;  // per-epoch CSV
};

/// Loads the TU dataset, runs stratified k-fold cross-validation and prints the results.
void run_train_graph(GraphRunFlags& f);

}  // namespace gat::app
