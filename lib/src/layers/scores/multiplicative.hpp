#pragma once
// The step every multiplicative score shares: e[p] = scale · q_i · k_j sampled at the edges
// p = (j → i), per head (or per channel with multi_dim), with the keys k = z. The variants
// differ in the query q they build (x·W_q for dot, z_h·M_hᵀ for general, normalised for cosine)
// and in what they do to e afterwards (bias, tanh).

#include "gat/layers/gat_conv.hpp"
#include "gat/ops/edge_dot.hpp"

namespace gat::scores {

/// @brief scores (E, W) = scale · q_i · z_j per head, or per channel when options.multi_dim.
template <typename T>
void sample_dot(const ScoreContext<T>& c, const Matrix<T>& q, const Matrix<T>& k, T scale,
                Matrix<T>& scores) {
  if (c.options.multi_dim) {
    ops::edge_dot_multidim_forward<T>(c.graph, q, k, scale, scores);
  } else {
    ops::edge_dot_forward<T>(c.graph, q, k, scale, scores);
  }
}

/// @brief Backward of sample_dot: adds into grad_q and grad_k (N, H·F).
template <typename T>
void sample_dot_backward(const ScoreContext<T>& c, const Matrix<T>& q, const Matrix<T>& k, T scale,
                         MatrixCRef<T> grad_s, Matrix<T>& grad_q, Matrix<T>& grad_k) {
  if (c.options.multi_dim) {
    ops::edge_dot_multidim_backward<T>(c.graph, q, k, scale, grad_s, grad_q, grad_k);
  } else {
    ops::edge_dot_backward<T>(c.graph, q, k, scale, grad_s, grad_q, grad_k);
  }
}

}  // namespace gat::scores
