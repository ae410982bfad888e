#pragma once
// Additive edge scores of GATv2 (Brody et al., "How attentive are graph attention
// networks?"):
//   e_ij = aᵀ LeakyReLU(W_l h_i + W_r h_j)     per head, for slot p = (j → i).
// GAT applies the nonlinearity after the dot product with a, so its score splits into two
// node scores (edge_score.hpp); GATv2 applies it first, so the ranking of neighbours can
// depend on the query node ("dynamic" attention), and the score no longer splits. These
// kernels recompute the pre-activation l[i] + r[j] of each edge on the fly, forward and
// backward, so memory per edge stays O(H): the (E, H·F) pre-activation is never stored.
//
// The multi-dimensional variant keeps one score per channel:
//   e[p, h·F + f] = a[h, f] · LeakyReLU(l[i, h·F + f] + r[j, h·F + f]).

#include "gat/core/types.hpp"
#include "gat/graph/csr.hpp"

namespace gat::ops {

/// @brief e[p, h] = Σ_f a[h, f] · LeakyReLU(l[i, h·F + f] + r[j, h·F + f]) for slot
/// p = (j → i), LeakyReLU(x) = max(x, 0) + negative_slope · min(x, 0).
/// @param l (N, H·F) destination-side features (W_l h), @param r (N, H·F) source-side
/// features (W_r h), @param a (H, F) attention vectors, @param e (E, H) overwritten.
template <typename T>
void edge_additive_forward(const CsrGraph& graph, MatrixCRef<T> l, MatrixCRef<T> r, MatrixCRef<T> a,
                           T negative_slope, MatrixRef<T> e);

/// @brief Backward of edge_additive_forward, fused, recomputing the activation per edge.
/// With x = l[i] + r[j] and d[p, h, f] = grad_e[p, h] · a[h, f] · LeakyReLU'(x[h, f]):
/// grad_l[i] += Σ_{p into i} d[p] (a row sum), grad_r[j] += Σ_{p out of j} d[p] (on the
/// transpose), grad_a[h, f] += Σ_p grad_e[p, h] · LeakyReLU(x[h, f]) (summed per fixed chunk
/// of destination rows, then over chunks in order: bit-identical at any thread count).
/// grad_l and grad_r may be the same matrix (GATv2 with shared weights, l = r).
/// @param grad_e (E, H); @param grad_l, grad_r (N, H·F) and @param grad_a (H, F) accumulated.
template <typename T>
void edge_additive_backward(const CsrGraph& graph, MatrixCRef<T> l, MatrixCRef<T> r,
                            MatrixCRef<T> a, T negative_slope, MatrixCRef<T> grad_e,
                            MatrixRef<T> grad_l, MatrixRef<T> grad_r, MatrixRef<T> grad_a);

/// @brief Multi-dimensional scores e[p, h·F + f] = a[h, f] · LeakyReLU(l[i, h·F + f] +
/// r[j, h·F + f]) for slot p = (j → i): edge_additive_forward's per-head sums left unsummed.
/// @param l, r (N, H·F), @param a (H, F), @param e (E, H·F) overwritten.
template <typename T>
void edge_additive_multidim_forward(const CsrGraph& graph, MatrixCRef<T> l, MatrixCRef<T> r,
                                    MatrixCRef<T> a, T negative_slope, MatrixRef<T> e);

/// @brief Backward of edge_additive_multidim_forward, as edge_additive_backward with one
/// gradient per channel: d[p, c] = grad_e[p, c] · a[c] · LeakyReLU'(x[c]) into grad_l and
/// grad_r, and grad_a[c] += Σ_p grad_e[p, c] · LeakyReLU(x[c]) (fixed-chunk reduction).
/// @param grad_e (E, H·F); @param grad_l, grad_r (N, H·F) and @param grad_a (H, F) accumulated.
template <typename T>
void edge_additive_multidim_backward(const CsrGraph& graph, MatrixCRef<T> l, MatrixCRef<T> r,
                                     MatrixCRef<T> a, T negative_slope, MatrixCRef<T> grad_e,
                                     MatrixRef<T> grad_l, MatrixRef<T> grad_r, MatrixRef<T> grad_a);

}  // namespace gat::ops
