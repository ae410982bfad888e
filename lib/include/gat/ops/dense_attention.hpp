#pragma once
// Dense masked attention: the same GAT attention computed the way pyGAT and the original
// TensorFlow code do, with an (N, N) score matrix per head masked by the adjacency. Memory
// and time are O(H·N²) whatever the number of edges: the baseline that sparse attention is
// measured against. Heads are stacked: a per-head (N, N) matrix is the row block
// [h·N, (h+1)·N) of an (H·N, N) matrix.
//
// Duplicate edges are honoured exactly as the sparse path does: the mask holds edge counts
// A[i, j] (edges j → i), and the softmax weighs exp(e_ij) by A[i, j], so a doubled edge
// carries twice the weight, as two CSR slots with equal scores would.
//
// Every entry point throws gat::Error, before doing any work, on a shape that disagrees with
// the others (N from adj or z, H from the scores or from alpha's H·N rows) or a non-finite
// slope.

#include <cstddef>
#include <cstdint>

#include "gat/core/types.hpp"
#include "gat/graph/csr.hpp"

namespace gat::ops {

/// @brief Dense edge-count matrix a (N, N): a[i, j] = number of edges j → i.
template <typename T>
void dense_adjacency(const CsrGraph& graph, MatrixRef<T> a);

/// @brief Masked attention per head h, for every i with at least one in-edge:
///   alpha[h·N + i, j] = A[i, j]·exp(e_ij - m_i) / Σ_k A[i, k]·exp(e_ik - m_i),
///   e_ij = LeakyReLU(s_dst[i, h] + s_src[j, h]),  m_i = max over i's neighbours;
/// rows of nodes without in-edges are zero.
/// @param adj (N, N) counts, @param s_src, s_dst (N, H), @param alpha (H·N, N) output.
template <typename T>
void dense_attention_forward(MatrixCRef<T> adj, MatrixCRef<T> s_src, MatrixCRef<T> s_dst,
                             T negative_slope, MatrixRef<T> alpha);

/// @brief Backward of dense_attention_forward: from grad_alpha (H·N, N), accumulates
/// grad_s_dst[i, h] += Σ_j g_ij and grad_s_src[j, h] += Σ_i g_ij, where
/// g = LeakyReLU'(s_dst[i] + s_src[j]) ⊙ alpha ⊙ (grad_alpha - rowsum(alpha ⊙ grad_alpha)).
template <typename T>
void dense_attention_backward(MatrixCRef<T> s_src, MatrixCRef<T> s_dst, T negative_slope,
                              MatrixCRef<T> alpha, MatrixCRef<T> grad_alpha,
                              MatrixRef<T> grad_s_src, MatrixRef<T> grad_s_dst);

/// @brief out[:, h·F:(h+1)·F] = alpha_h · z[:, h·F:(h+1)·F], a dense (N, N) × (N, F) product
/// per head.  @param alpha (H·N, N), @param z (N, H·F), @param out (N, H·F) overwritten.
template <typename T>
void dense_aggregate_forward(MatrixCRef<T> alpha, MatrixCRef<T> z, MatrixRef<T> out);

/// @brief Backward of dense_aggregate_forward: grad_alpha_h = grad_out_h · z_hᵀ (overwritten)
/// and grad_z_h += alpha_hᵀ · grad_out_h.
/// @param grad_out (N, H·F), @param grad_alpha (H·N, N), @param grad_z (N, H·F) accumulated.
template <typename T>
void dense_aggregate_backward(MatrixCRef<T> alpha, MatrixCRef<T> z, MatrixCRef<T> grad_out,
                              MatrixRef<T> grad_alpha, MatrixRef<T> grad_z);

/// @brief Bytes a dense GatConv layer holds for N nodes and H heads: the adjacency, the
/// attention, the attention after dropout (training only) and its gradient, each N² or
/// H·N² values of `scalar_bytes`; 2^64 - 1 when that overflows. Throws gat::Error for a
/// negative N or H.
std::uint64_t dense_attention_bytes(std::int64_t nodes, std::int64_t heads, bool training,
                                    std::size_t scalar_bytes);

/// @brief Throws gat::Error before anything is allocated when dense attention on N nodes
/// and H heads would not fit: more than `limit_bytes`, or, when limit_bytes is 0, more than
/// the memory the system reports available. The message says how much is needed.
void check_dense_attention_fits(std::int64_t nodes, std::int64_t heads, bool training,
                                std::size_t scalar_bytes, std::uint64_t limit_bytes = 0);

}  // namespace gat::ops
