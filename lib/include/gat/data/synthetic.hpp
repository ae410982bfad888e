#pragma once
// Synthetic node-classification datasets: a contextual stochastic block model sample (see
// gat/graph/generate.hpp) packaged as a Dataset with a train/val/test split, so that models,
// the trainer and `gat bench` can run on graphs of any size without files.

#include "gat/data/dataset.hpp"
#include "gat/graph/generate.hpp"

namespace gat {

/// @brief A CSBM sample as a Dataset named "csbm": the undirected graph (no self loops), the
/// (N, F) Gaussian features stored in a SparseMatrix (every entry is non-zero; not
/// row-normalized, since the values are signed), labels, class names "class0", "class1", ...,
/// node names "0", "1", ... and a stratified split.
/// @param options the CSBM to draw (options.features ≥ 1); its seed also keys the split
/// @param train_fraction, val_fraction shares of every class in the training and validation
///   sets, each in [0, 1] with sum ≤ 1; the rest of each class is the test set. Class c of
///   N_c nodes is shuffled by counter draws and gives its first round(train_fraction·N_c)
///   nodes to train and the next min(round(val_fraction·N_c), rest) to val; splits are
///   returned ascending.
/// Throws gat::Error naming the argument that is out of range (csbm's checks included).
Dataset csbm_dataset(const CsbmOptions& options, double train_fraction = 0.1,
                     double val_fraction = 0.2);

}  // namespace gat
