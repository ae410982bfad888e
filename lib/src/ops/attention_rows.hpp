#pragma once
// One destination row of the attention pipeline: the gat score, the softmax, the aggregation
// and their gradients, for the slots b..e-1 of node i. The separate kernels (one pass over the
// graph each: edge_score, segment_softmax, aggregate) and the fused one (gat_attention: every
// step per row while the row is in L1) run this same code, so they give the same bits.
//
// The loops over heads carry `omp simd`: H independent lanes (no sum across heads, so the
// results are the same bits as scalar code), which GCC otherwise unrolls into scalar code.
//
// Kernels take kH, kF > 0 as compile-time heads and features per head (the loops unroll and
// an output row lives in vector registers), or 0 for run-time shapes; kH > 0 with kF = 0
// fixes the heads only (the per-head loops unroll, the feature loops run to F). Rows are addressed
// through row() (row_access.hpp), so any outer stride works.

#include <Eigen/Core>
#include <algorithm>
#include <vector>

#include "gat/core/types.hpp"
#include "gat/graph/csr.hpp"
#include "kernel_util.hpp"
#include "row_access.hpp"

namespace gat::ops::detail {

// H values of one slot (maxima, sums, dot products): fixed-size when H is known.
template <typename T, int kH>
using HeadValues = Eigen::Array<T, 1, (kH > 0 ? kH : Eigen::Dynamic)>;

// A node's (H·F) row seen as an (F, H) column-major block: column h holds head h.
template <typename T, int kH, int kF>
using HeadBlock = Eigen::Matrix<T, kF, kH>;
template <typename T, int kH, int kF>
using HeadBlockMap = Eigen::Map<HeadBlock<T, kH, kF>>;
template <typename T, int kH, int kF>
using ConstHeadBlockMap = Eigen::Map<const HeadBlock<T, kH, kF>>;

// How many transposed slots ahead backward passes prefetch rows. The transpose visits
// per-edge rows in scattered slot order, which the hardware prefetcher cannot predict; once
// they outgrow the caches (Cora's (E, H·F) weights of multi-dimensional attention are 3.4 MB
// in float), asking a few edges ahead hides part of the miss latency. A hint only: results do
// not depend on it.
constexpr EdgeId kPrefetchSlots = 4;

// Prefetches the first cache lines of a row of w values (at most 512 bytes: past that, the
// hardware prefetcher follows the row by itself).
template <typename T>
inline void prefetch_row(const T* p, Eigen::Index w) {
  const char* bytes = reinterpret_cast<const char*>(p);
  const Eigen::Index n = std::min<Eigen::Index>(w * static_cast<Eigen::Index>(sizeof(T)), 512);
  for (Eigen::Index b = 0; b < n; b += 64) __builtin_prefetch(bytes + b);
}

// LeakyReLU as max + slope·min: branch-free, since the sign is a coin flip per edge.
template <typename T>
inline T leaky_relu(T x, T slope) {
  return std::max(x, T(0)) + slope * std::min(x, T(0));
}

// Its derivative, 1 for x > 0 and the slope otherwise, without a branch.
template <typename T>
inline T leaky_relu_slope(T x, T slope) {
  return T(1) + (slope - T(1)) * T(x <= T(0));
}

// e[p, h] = LeakyReLU(s_dst[i, h] + s_src[j, h] (+ s_edge[p, h])) for i's slots p = b..e-1.
template <typename T, int kH, bool kEdge>
inline void score_row(NodeId i, EdgeId b, EdgeId e, const std::vector<NodeId>& src,
                      const MatrixCRef<T>& s_src, const MatrixCRef<T>& s_dst, const T* s_edge,
                      T slope, Eigen::Index h_count, MatrixRef<T>& out) {
  const T* di = row(s_dst, i);
  for (EdgeId p = b; p < e; ++p) {
    const T* sj = row(s_src, src[p]);
    T* __restrict ep = row(out, p);
#pragma omp simd
    for (Eigen::Index h = 0; h < h_count; ++h) {
      T x = di[h] + sj[h];
      if constexpr (kEdge) x += s_edge[p * h_count + h];
      ep[h] = leaky_relu(x, slope);
    }
  }
}

// y[p, h] = exp(x[p, h] - m_h) / Σ_q exp(x[q, h] - m_h) over the slots b..e-1 (b < e); y may
// be x itself. mx and sum are the caller's scratch of H values.
template <typename T, int kH>
inline void softmax_row(EdgeId b, EdgeId e, Eigen::Index h_count, const MatrixCRef<T>& x,
                        MatrixRef<T>& y, HeadValues<T, kH>& mx, HeadValues<T, kH>& sum) {
  for (Eigen::Index h = 0; h < h_count; ++h) mx[h] = row(x, b)[h];
  for (EdgeId p = b + 1; p < e; ++p) {
    const T* xp = row(x, p);
#pragma omp simd
    for (Eigen::Index h = 0; h < h_count; ++h) mx[h] = std::max(mx[h], xp[h]);
  }
  // Subtracting the maximum keeps every exponent ≤ 0: no overflow, and the largest term is
  // exactly 1, so the sum is ≥ 1 and the division is safe.
  sum.setZero();
  for (EdgeId p = b; p < e; ++p) {
    const T* xp = row(x, p);
    T* yp = row(y, p);
#pragma omp simd
    for (Eigen::Index h = 0; h < h_count; ++h) {
      yp[h] = kernel_exp(xp[h] - mx[h]);
      sum[h] += yp[h];
    }
  }
  for (Eigen::Index h = 0; h < h_count; ++h) sum[h] = T(1) / sum[h];
  for (EdgeId p = b; p < e; ++p) {
    T* yp = row(y, p);
#pragma omp simd
    for (Eigen::Index h = 0; h < h_count; ++h) yp[h] *= sum[h];
  }
}

// The softmax's Jacobian is diag(y) - y yᵀ, so grad_x = y ⊙ (grad_y - <y, grad_y>) per head.
// grad_x may be grad_y itself. dot is the caller's scratch of H values.
template <typename T, int kH>
inline void softmax_backward_row(EdgeId b, EdgeId e, Eigen::Index h_count, const MatrixCRef<T>& y,
                                 const MatrixCRef<T>& grad_y, MatrixRef<T>& grad_x,
                                 HeadValues<T, kH>& dot) {
  dot.setZero();
  for (EdgeId p = b; p < e; ++p) {
    const T* yp = row(y, p);
    const T* gp = row(grad_y, p);
#pragma omp simd
    for (Eigen::Index h = 0; h < h_count; ++h) dot[h] += yp[h] * gp[h];
  }
  for (EdgeId p = b; p < e; ++p) {
    const T* yp = row(y, p);
    const T* gp = row(grad_y, p);
    T* gx = row(grad_x, p);
#pragma omp simd
    for (Eigen::Index h = 0; h < h_count; ++h) gx[h] = yp[h] * (gp[h] - dot[h]);
  }
}

// out_i[h, :] = Σ_p w[p, h] · z[j, h, :] over the slots b..e-1, where slot p's H weights are at
// w + (p - b)·w_stride. A row with no slots gets zeros.
template <typename T, int kH, int kF>
inline void aggregate_row(EdgeId b, EdgeId e, const std::vector<NodeId>& src, const T* w,
                          Eigen::Index w_stride, const MatrixCRef<T>& z, Eigen::Index h_count,
                          Eigen::Index f_count, T* __restrict oi) {
  if constexpr (kH > 0 && kF > 0) {
    // Column h of the (F, H) block is head h's features: one fixed-size AXPY per head,
    // which Eigen emits as whole vector registers.
    HeadBlock<T, kH, kF> acc = HeadBlock<T, kH, kF>::Zero();
    for (EdgeId p = b; p < e; ++p) {
      const T* ap = w + (p - b) * w_stride;
      const ConstHeadBlockMap<T, kH, kF> zj(row(z, src[p]));
      for (int h = 0; h < kH; ++h) acc.col(h) += ap[h] * zj.col(h);
    }
    HeadBlockMap<T, kH, kF> out_block(oi);
    out_block = acc;
  } else {
    const Eigen::Index hf = h_count * f_count;
    for (Eigen::Index c = 0; c < hf; ++c) oi[c] = T(0);
    for (EdgeId p = b; p < e; ++p) {
      const T* __restrict ap = w + (p - b) * w_stride;
      const T* __restrict zj = row(z, src[p]);
      for (Eigen::Index h = 0; h < h_count; ++h) {
        const T wh = ap[h];
        for (Eigen::Index f = 0; f < f_count; ++f) oi[h * f_count + f] += wh * zj[h * f_count + f];
      }
    }
  }
}

// d out[i,h,:] / d w[p,h] = z[j,h,:], so grad_w[p,h] = <grad_out[i,h,:], z[j,h,:]> for the slots
// b..e-1 of destination i (gi = grad_out's row i).
template <typename T, int kH, int kF>
inline void aggregate_weight_grad_row(EdgeId b, EdgeId e, const std::vector<NodeId>& src,
                                      const T* __restrict gi, const MatrixCRef<T>& z,
                                      Eigen::Index h_count, Eigen::Index f_count,
                                      MatrixRef<T>& grad_w) {
  if constexpr (kH > 0 && kF > 0) {
    const ConstHeadBlockMap<T, kH, kF> g(gi);
    for (EdgeId p = b; p < e; ++p) {
      const ConstHeadBlockMap<T, kH, kF> zj(row(z, src[p]));
      // Per head, the dot product of F features: column sums of the element-wise product.
      Eigen::Map<Eigen::Matrix<T, 1, kH>>(row(grad_w, p)) = g.cwiseProduct(zj).colwise().sum();
    }
  } else {
    for (EdgeId p = b; p < e; ++p) {
      const T* __restrict zj = row(z, src[p]);
      T* __restrict gp = row(grad_w, p);
      for (Eigen::Index h = 0; h < h_count; ++h) {
        T acc = 0;
        for (Eigen::Index f = 0; f < f_count; ++f) acc += gi[h * f_count + f] * zj[h * f_count + f];
        gp[h] = acc;
      }
    }
  }
}

// d out[i,h,:] / d z[j,h,:] = w[p,h]: grad_z[j] += Σ_q w[p,h] · grad_out[i,h,:] over source j's
// transposed slots q (p = slot[q], i = dst[q]), in q order. weights(p) gives slot p's H weights;
// also(q) runs for each slot in the same loop, for another sum over j's out-edges.
template <typename T, int kH, int kF, typename Weights, typename Also>
inline void aggregate_source_grad_row(NodeId j, const CsrTranspose& t, const Weights& weights,
                                      const MatrixCRef<T>& grad_out, Eigen::Index h_count,
                                      Eigen::Index f_count, T* __restrict gzj, const Also& also) {
  if constexpr (kH > 0 && kF > 0) {
    HeadBlockMap<T, kH, kF> gz(gzj);
    HeadBlock<T, kH, kF> acc = gz;
    for (EdgeId q = t.row_ptr[j]; q < t.row_ptr[j + 1]; ++q) {
      const T* ap = weights(t.slot[q]);
      const ConstHeadBlockMap<T, kH, kF> gi(row(grad_out, t.dst[q]));
      for (int h = 0; h < kH; ++h) acc.col(h) += ap[h] * gi.col(h);
      also(q);
    }
    gz = acc;
  } else {
    for (EdgeId q = t.row_ptr[j]; q < t.row_ptr[j + 1]; ++q) {
      const T* __restrict ap = weights(t.slot[q]);
      const T* __restrict gi = row(grad_out, t.dst[q]);
      for (Eigen::Index h = 0; h < h_count; ++h) {
        const T wh = ap[h];
        for (Eigen::Index f = 0; f < f_count; ++f) gzj[h * f_count + f] += wh * gi[h * f_count + f];
      }
      also(q);
    }
  }
}

}  // namespace gat::ops::detail
