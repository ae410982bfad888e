#pragma once
// Distributed full-graph training: P processes, each holding one part of a split graph
// (gat/data/graph_part.hpp), train one model as a single process trains it on the whole graph.
//
// Per layer, each process projects its owned rows, receives its halo rows' projected features
// and source scores from their owners (gat/layers/halo.hpp), and attends over its owned rows'
// in-edges; backward sends the halo rows' gradients back to their owners. The parameters are
// replicated: every process adds its part of each gradient into one sum taken in rank order
// (gathered, never reduced in an order the transport picks), so every process takes the same
// Adam step, and a run gives the same bits every time. Dropout masks are keyed by position in
// the whole graph (node row, edge slot, feature non-zero), so the model trained does not depend
// on P: losses and accuracies equal the single-process run's up to the rounding of sums taken in
// another order (1e-5 relative, tests/train/dist_trainer_test.cpp).
//
// The paper's layer only (sparse attention, gat score, softmax alignment, single-dimensional,
// no edge features), in float, on the CPU. What a process holds per layer: its owned and halo
// rows of every node matrix, its owned rows' in-edges.

#include "gat/core/communicator.hpp"
#include "gat/data/graph_part.hpp"
#include "gat/layers/gat_model.hpp"
#include "gat/train/trainer.hpp"

namespace gat {

/// @brief Trains `model` on this process's part with the others of `comm`: every process calls it
/// with its own part and the same model (built from the same options and seed) and options, and
/// each returns the same TrainResult and the same trained model. Early stopping, the restored
/// best weights and the final scores are those of the whole graph. Throws gat::Error (on every
/// process where it is detected) when the part does not belong to this group (its part number
/// and count against comm's rank and size), does not fit the model, or the model is not the
/// paper's layer. A process that fails alone leaves its peers waiting in their next
/// collective: the program must end the job then (with MPI, gat::MpiSession::abort, as the gat
/// app does: gat/mpi/mpi_communicator.hpp).
/// TrainOptions::device must be the CPU.
TrainResult train_node_classifier(GatModel<float>& model, const GraphPart& part,
                                  const TrainOptions& options, Communicator& comm,
                                  const EpochCallback& on_epoch = {});

}  // namespace gat
