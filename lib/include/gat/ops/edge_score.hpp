#pragma once
// GAT edge scores, the first of the three attention primitives
// (edge_score → segment_softmax → aggregate).
//
// The paper's score e_ij = LeakyReLU(aᵀ[Wh_i ‖ Wh_j]) splits a into a_dst and a_src, so
//   e_ij = LeakyReLU(s_dst[i] + s_src[j]),  s_dst = Z·a_dst,  s_src = Z·a_src  (per head)
// with Z = XW. Two (N, H) node scores replace any (E, H·F) edge tensor: memory per edge
// is O(H).
//
// Every entry point throws gat::Error, before doing any work, on a shape that disagrees with
// the graph or the other arguments, or a non-finite slope.

#include "gat/core/types.hpp"
#include "gat/graph/csr.hpp"

namespace gat::ops {

/// @brief Per-head dot products s[n, h] = Σ_f z[n, h·F + f] · a[h, f].
/// @param z (N, H·F) projected node features, @param a (H, F), @param s (N, H) output.
template <typename T>
void head_dot_forward(MatrixCRef<T> z, MatrixCRef<T> a, MatrixRef<T> s);

/// @brief Backward of head_dot_forward: grad_z += grad_s ⊗ a; grad_a += Σ_n grad_s ⊗ z.
/// @param grad_s (N, H), @param grad_z (N, H·F) accumulated, @param grad_a (H, F) accumulated.
template <typename T>
void head_dot_backward(MatrixCRef<T> z, MatrixCRef<T> a, MatrixCRef<T> grad_s, MatrixRef<T> grad_z,
                       MatrixRef<T> grad_a);

/// @brief Edge scores e[p, h] = LeakyReLU(s_dst[i, h] + s_src[j, h]) for slot p = (j → i).
/// @param s_src (N, H), @param s_dst (N, H), @param e (E, H) output in slot order.
template <typename T>
void edge_score_forward(const CsrGraph& graph, MatrixCRef<T> s_src, MatrixCRef<T> s_dst,
                        T negative_slope, MatrixRef<T> e);

/// @brief Backward of edge_score_forward. With g = grad_e · LeakyReLU'(s_dst[i] + s_src[j]):
/// grad_s_dst[i] += Σ_{p into i} g[p] (a row sum) and grad_s_src[j] += Σ_{p out of j} g[p]
/// (a row sum of the transpose). Both are accumulated; no atomics.
/// @param grad_e (E, H); @param grad_s_src, grad_s_dst (N, H) accumulated.
template <typename T>
void edge_score_backward(const CsrGraph& graph, MatrixCRef<T> s_src, MatrixCRef<T> s_dst,
                         T negative_slope, MatrixCRef<T> grad_e, MatrixRef<T> grad_s_src,
                         MatrixRef<T> grad_s_dst);

/// @brief Edge scores with an edge-feature term (PyG's `edge_dim`):
/// e[p, h] = LeakyReLU(s_dst[i, h] + s_src[j, h] + s_edge[p, h]) for slot p = (j → i).
/// s_edge = X_e·V with V[d, h] = Σ_f W_e[d, h·F + f] · a_edge[h, f] folds the edge projection
/// and the edge attention vector, so this too needs O(H) per edge.
/// @param s_edge (E, H) in slot order; the other arguments as in the node-only overload.
template <typename T>
void edge_score_forward(const CsrGraph& graph, MatrixCRef<T> s_src, MatrixCRef<T> s_dst,
                        MatrixCRef<T> s_edge, T negative_slope, MatrixRef<T> e);

/// @brief Backward of the edge-feature overload: as the node-only backward, and
/// grad_s_edge[p, h] = grad_e[p, h] · LeakyReLU'(pre-activation) (overwritten).
/// @param grad_s_edge (E, H) overwritten.
template <typename T>
void edge_score_backward(const CsrGraph& graph, MatrixCRef<T> s_src, MatrixCRef<T> s_dst,
                         MatrixCRef<T> s_edge, T negative_slope, MatrixCRef<T> grad_e,
                         MatrixRef<T> grad_s_src, MatrixRef<T> grad_s_dst,
                         MatrixRef<T> grad_s_edge);

}  // namespace gat::ops
