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
// Nor does the backward need α (E, H): the forward keeps each neighbourhood's softmax
// statistics, μ[i, h] = max_p e[p, h] and r[i, h] = 1 / Σ_p exp(e[p, h] - μ[i, h]) (N, H
// each), and α[p, h] = exp(e[p, h] - μ[i, h]) · r[i, h] is computed again from them and the node
// scores with the softmax's own operations: the same bits, for 2·N·H values kept instead of
// E·H. Keeping α is the caller's choice (to look at the weights after an inference pass).
// Every entry point throws gat::Error, before doing any work, on a shape that disagrees with
// the graph or the other arguments.

#include <cstdint>
#include <vector>

#include "gat/core/random.hpp"
#include "gat/core/types.hpp"
#include "gat/graph/csr.hpp"
#include "gat/ops/dropout.hpp"

namespace gat::ops {

/// The attention dropout of one pass: entries dropped with probability `rate` (0: none) by
/// the masks of `rng` (the same description as the input dropout of the projections).
using AttentionDropout = DropoutSpec;

// The forward's attention dropout decisions are a DropoutMask (gat/ops/dropout.hpp) over the
// (E, H) weights: slot p's row of H bits.

/// @brief The softmax statistics of each neighbourhood, per head, from which the weights are
/// computed again (gat_attention_backward, gat_attention_weights). A node without in-edges
/// has no weights; its row holds zeros.
template <typename T>
struct SoftmaxStats {
  Matrix<T> max;      // (N, H) μ[i, h]: the largest score e of i's slots
  Matrix<T> inv_sum;  // (N, H) r[i, h]: 1 / Σ_p exp(e[p, h] - μ[i, h]) over i's slots
};

/// @brief Forward of the fused attention above.
/// @param s_src, s_dst (N, H) node scores; @param z (N, H·F) the values aggregated;
/// @param out (N, H·F) overwritten; a node without in-edges gets zeros.
/// @param stats resized to (N, H) each and written: what the backward needs of the softmax.
/// @param mask the dropout decisions, resized and written (emptied without dropout).
/// @param alpha when not null, resized to (E, H) and overwritten with the weights before
/// dropout; null keeps no (E, H) matrix (the backward does not need one).
template <typename T>
void gat_attention_forward(const CsrGraph& graph, MatrixCRef<T> s_src, MatrixCRef<T> s_dst,
                           T negative_slope, const AttentionDropout& dropout, MatrixCRef<T> z,
                           MatrixRef<T> out, SoftmaxStats<T>& stats, DropoutMask& mask,
                           Matrix<T>* alpha);

/// @brief The weights α (E, H) before dropout, computed again from the node scores and the
/// statistics of a forward pass with the same scores and slope: the bits that forward
/// computed (and wrote into its alpha, when it kept them).
template <typename T>
void gat_attention_weights(const CsrGraph& graph, MatrixCRef<T> s_src, MatrixCRef<T> s_dst,
                           T negative_slope, const SoftmaxStats<T>& stats, MatrixRef<T> alpha);

/// @brief Backward of the fused attention, from the softmax statistics and the mask (the
/// forward's outputs) and the same scores, slope and dropout rate:
/// grad_z[j] += Σ_{p out of j} α'[p, h] · grad_out[i, h, :] (the gradient into the values z),
/// grad_s_dst and grad_s_src += the gradients into the node scores. Two passes: one per
/// destination row (its weights computed again, then their gradient through dropout, softmax
/// and LeakyReLU into grad_s_dst, keeping only each row's softmax sum <α, grad_α>, (N, H)), one
/// per source row on the cached transpose (grad_z, and grad_s_src, each slot's weights and
/// score gradient computed again from the statistics and those sums), each row written by one
/// thread in a fixed order: no atomics, the same bits at any thread count, and the same bits as
/// the separate ops' backward passes in turn. No (E, H) matrix is written: a row's weights and
/// score gradients live in a per-thread buffer.
/// @param alpha the forward's weights (E, H) when it kept them, else null. Given, they are read
/// instead of computed again, and the score gradients (E, H) are kept between the two passes
/// instead of computed again per source slot: the same bits, less arithmetic, two (E, H)
/// matrices; worth it where they are small (GatConv decides: keep_weights_bytes).
template <typename T>
void gat_attention_backward(const CsrGraph& graph, MatrixCRef<T> s_src, MatrixCRef<T> s_dst,
                            T negative_slope, double dropout_rate, const DropoutMask& mask,
                            const SoftmaxStats<T>& stats, const Matrix<T>* alpha, MatrixCRef<T> z,
                            MatrixCRef<T> grad_out, MatrixRef<T> grad_s_src,
                            MatrixRef<T> grad_s_dst, MatrixRef<T> grad_z);

}  // namespace gat::ops
