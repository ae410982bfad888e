#pragma once
// Graph-classification (TU) datasets for every command that reads one: gat train --task graph,
// gat eval --task graph, gat predict --task graph. One loader, so that a name resolves to the
// same files and a mistake reads the same whichever command made it.

#include "common.hpp"
#include "gat/data/graph_dataset.hpp"

namespace gat::app {

/// @brief Throws UsageError when the flags describe a graph of one's own (--edges, --ogb and
/// their flags): graph classification reads TU datasets only. load_tu_dataset checks this
/// first; a command that does other work before loading calls it earlier.
void check_tu_flags(const DataFlags& flags);

/// @brief The TU dataset --dataset names: <data dir>/NAME/NAME_A.txt etc. (data_root), or a
/// path with a '/' naming the folder, whose name is the file stem. Throws UsageError for
/// flags of one's own graph, and gat::Error for a LINQS (node-classification) dataset or one
/// that is not there, saying where it looked.
GraphDataset load_tu_dataset(const DataFlags& flags);

}  // namespace gat::app
