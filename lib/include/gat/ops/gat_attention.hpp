#pragma once
// The paper's attention in one pass per destination row (Veličković et al., ICLR 2018): for node
// i, head h and i's in-edge slots p = (j → i),
//   e[p, h]      = LeakyReLU(s_dst[i, h] + s_src[j, h])
//   α[p, h]      = softmax of e over i's slots (per head)
//   α'[p, h]     = α[p, h] · m[p, h] / (1 - rate), m the dropout mask (m = 1 without dropout)
//   out[i, h, :] = Σ_p α'[p, h] · z[j, h, :]
// It computes what edge_score_forward, segment_softmax_forward, dropout and aggregate_forward
// compute in turn, bit for bit (the same row code: attention_rows.hpp), but reads and writes
// each row once while it is in L1, keeps no (E, H) copy after dropout, and runs one parallel
// region instead of four. The mask of slot p, head h is rng.keep(p·H + h, threshold), the
// counter dropout() gives entry (p, h) of an (E, H) matrix: the masks are the same too. The
// forward keeps them as bits for the backward (E bytes for H ≤ 8): redrawing them cost more
// than reading them, once per destination row and again per scattered source slot.
// Every entry point throws gat::Error, before doing any work, on a shape that disagrees with
// the graph or the other arguments.

#include <cstdint>
#include <vector>

#include "gat/core/random.hpp"
#include "gat/core/types.hpp"
#include "gat/graph/csr.hpp"

namespace gat::ops {

/// The attention dropout of one pass: entries dropped with probability `rate` (0: none) by
/// the masks of `rng`.
struct AttentionDropout {
  double rate = 0.0;
  CounterRng rng{0, 0, 0, 0};
};

/// The dropout decisions of a forward pass: bit h % 8 of byte p·B + h / 8 is set when slot p,
/// head h was kept, with B = ceil(H / 8) bytes per slot. Empty without dropout.
using DropoutMask = std::vector<std::uint8_t>;

/// @brief Forward of the fused attention above.
/// @param s_src, s_dst (N, H) node scores; @param z (N, H·F) the values aggregated;
/// @param alpha (E, H) overwritten with the weights before dropout (what the backward needs);
/// @param out (N, H·F) overwritten; a node without in-edges gets zeros.
/// @param mask the dropout decisions, resized and written (emptied without dropout).
template <typename T>
void gat_attention_forward(const CsrGraph& graph, MatrixCRef<T> s_src, MatrixCRef<T> s_dst,
                           T negative_slope, const AttentionDropout& dropout, MatrixCRef<T> z,
                           MatrixRef<T> alpha, MatrixRef<T> out, DropoutMask& mask);

/// @brief Backward of the fused attention, from α and the mask (the forward's outputs) and the
/// same dropout rate:
/// grad_z[j] += Σ_{p out of j} α'[p, h] · grad_out[i, h, :] (the gradient into the values z),
/// grad_s_dst and grad_s_src += the gradients into the node scores. Two passes: one per
/// destination row (the weights' gradient through dropout, softmax and LeakyReLU into
/// grad_s_dst, keeping only each row's softmax sum <α, grad_α>, (N, H)), one per source row
/// on the cached transpose (grad_z, and grad_s_src from the score gradients computed again
/// from those sums), each row written by one thread in a fixed order: no atomics, the same
/// bits at any thread count, and the same bits as the separate ops' backward passes in turn.
/// No (E, H) scratch: the score gradients of a row live in a per-thread buffer.
template <typename T>
void gat_attention_backward(const CsrGraph& graph, MatrixCRef<T> s_src, MatrixCRef<T> s_dst,
                            T negative_slope, double dropout_rate, const DropoutMask& mask,
                            MatrixCRef<T> z, MatrixCRef<T> alpha, MatrixCRef<T> grad_out,
                            MatrixRef<T> grad_s_src, MatrixRef<T> grad_s_dst, MatrixRef<T> grad_z);

}  // namespace gat::ops
