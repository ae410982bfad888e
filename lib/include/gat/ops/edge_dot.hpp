#pragma once
// Dot-product edge scores (an SDDMM: a dense product sampled at the edges of the graph), the
// multiplicative score functions of the attention survey:
//   dot          e_ij = q_i · k_j                  q = X·W_q, k = X·W_k
//   scaled-dot   e_ij = q_i · k_j / √F             (scale = 1/√F)
//   general      e_ij = (W h_j)ᵀ M (W h_i) = k_j · (M z_i), i.e. q = per-head z·Mᵀ, k = z
// per head, for slot p = (j → i). The layer computes q and k; these kernels only sample
// their products at the edges, so memory per edge is O(H), never O(H·F).
//
// The multi-dimensional ("per-channel") variant keeps one score per feature instead of
// summing them: e[p, h·F + f] = scale · q[i, h·F + f] · k[j, h·F + f], an (E, H·F) output
// that a segment softmax over H·F columns turns into one attention weight per channel.

#include "gat/core/types.hpp"
#include "gat/graph/csr.hpp"

namespace gat::ops {

/// @brief e[p, h] = scale · Σ_f q[i, h·F + f] · k[j, h·F + f] for slot p = (j → i).
/// H is e's width; F = q.cols() / H.
/// @param q (N, H·F) destination-side (query) features, @param k (N, H·F) source-side (key)
/// features, @param scale a finite factor (1/√F for scaled-dot attention), @param e (E, H)
/// overwritten, in slot order.
template <typename T>
void edge_dot_forward(const CsrGraph& graph, MatrixCRef<T> q, MatrixCRef<T> k, T scale,
                      MatrixRef<T> e);

/// @brief Backward of edge_dot_forward, both gradients accumulated:
/// grad_q[i, h, :] += scale · Σ_{p = (j→i)} grad_e[p, h] · k[j, h, :]  (a row sum), and
/// grad_k[j, h, :] += scale · Σ_{p = (j→i)} grad_e[p, h] · q[i, h, :]  (on the transpose).
/// The two passes run one after the other, so grad_q and grad_k may be the same matrix
/// (when q and k are the same features, their gradients add up in one buffer).
/// @param grad_e (E, H); @param grad_q, grad_k (N, H·F) accumulated.
template <typename T>
void edge_dot_backward(const CsrGraph& graph, MatrixCRef<T> q, MatrixCRef<T> k, T scale,
                       MatrixCRef<T> grad_e, MatrixRef<T> grad_q, MatrixRef<T> grad_k);

/// @brief Multi-dimensional scores e[p, c] = scale · q[i, c] · k[j, c] for every channel
/// c = h·F + f of slot p = (j → i): the per-head sums of edge_dot_forward left unsummed.
/// @param q, k (N, H·F), @param e (E, H·F) overwritten, in slot order.
template <typename T>
void edge_dot_multidim_forward(const CsrGraph& graph, MatrixCRef<T> q, MatrixCRef<T> k, T scale,
                               MatrixRef<T> e);

/// @brief Backward of edge_dot_multidim_forward, both gradients accumulated:
/// grad_q[i, c] += scale · Σ_{p into i} grad_e[p, c] · k[j, c], and
/// grad_k[j, c] += scale · Σ_{p out of j} grad_e[p, c] · q[i, c]. grad_q and grad_k may be
/// the same matrix, as in edge_dot_backward.
/// @param grad_e (E, H·F); @param grad_q, grad_k (N, H·F) accumulated.
template <typename T>
void edge_dot_multidim_backward(const CsrGraph& graph, MatrixCRef<T> q, MatrixCRef<T> k, T scale,
                                MatrixCRef<T> grad_e, MatrixRef<T> grad_q, MatrixRef<T> grad_k);

}  // namespace gat::ops
