#pragma once
// HaloExchange: how a layer runs on one part of a graph split among processes.
//
// A process holds N_local = n + m rows of every node matrix: rows [0, n) are the nodes it owns,
// rows [n, N_local) copies of the m nodes of other processes that are sources of its owned
// nodes' in-edges (the halo). Its graph has the owned rows' in-edges, the halo rows none. The
// paper's layer (GatConv::fuses) then needs the owners' values in three places and nowhere else:
//   forward:  the halo rows of the values aggregated, z (after feature dropout), and of the
//             source scores s_src = z·a_src, which the attention over owned rows reads;
//   backward: the gradients the owned rows' attention sent into those halo rows belong to the
//             owners' z and s_src, and are added there.
// Everything else (projection, scores of owned rows, softmax, bias, residual, ELU, the loss) is
// row-local. A halo row's own output is never used: its gradient is zero, so it adds nothing to
// the parameters' gradients.
//
// Dropout masks stay those of the single-process run: the exchange says which row of the whole
// graph each local row is, which slot each local edge is, and which non-zero each local input
// feature is (ops::DropoutSpec::rows).

#include <cstdint>
#include <span>

#include "gat/core/types.hpp"

namespace gat {

/// @brief The exchange of halo rows between the processes of a distributed run (implemented by
/// gat/train/dist_trainer.hpp over a Communicator). Every process calls fetch and give_back in
/// the same order; they block until their peers have called them too.
class HaloExchange {
 public:
  virtual ~HaloExchange() = default;
  /// @brief n: rows [0, n) are owned, the rest are halo.
  virtual NodeId owned() const = 0;
  /// @brief (N_local) the row of the whole graph of each local row.
  virtual std::span<const std::int64_t> node_ids() const = 0;
  /// @brief (E_local) the slot of the whole prepared graph (self-loop policy applied) of each
  /// slot of the local prepared graph.
  virtual std::span<const std::int64_t> slot_ids() const = 0;
  /// @brief (nnz) the index among the whole sparse input's non-zeros of each local non-zero
  /// (empty for dense input).
  virtual std::span<const std::int64_t> input_ids() const = 0;
  /// @brief Forward: overwrites rows [n, N_local) of z (N_local, H·F) and s_src (N_local, H)
  /// with the owners' rows.
  virtual void fetch(MatrixRef<float> z, MatrixRef<float> s_src) const = 0;
  /// @brief Backward: sends rows [n, N_local) of grad_z and grad_s_src to their owners, which add
  /// what they receive into their own rows (peers in a fixed order), then zeroes them here.
  virtual void give_back(MatrixRef<float> grad_z, MatrixRef<float> grad_s_src) const = 0;
};

}  // namespace gat
