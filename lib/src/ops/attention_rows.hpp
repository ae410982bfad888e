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
#include <array>
#include <cstring>
#include <type_traits>
#include <utility>
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

// e[p, h] = LeakyReLU(s_dst[i, h] + s_src[j, h] (+ s_edge[p, h])) for i's slots p = b..e-1,
// slot p's H scores at out + (p - b)·out_stride (a row of an (E, H) matrix, or of a scratch
// that holds one neighbourhood).
template <typename T, int kH, bool kEdge>
inline void score_row(NodeId i, EdgeId b, EdgeId e, const std::vector<NodeId>& src,
                      const MatrixCRef<T>& s_src, const MatrixCRef<T>& s_dst, const T* s_edge,
                      T slope, Eigen::Index h_count, T* out, Eigen::Index out_stride) {
  const T* di = row(s_dst, i);
  for (EdgeId p = b; p < e; ++p) {
    const T* sj = row(s_src, src[p]);
    T* __restrict ep = out + (p - b) * out_stride;
#pragma omp simd
    for (Eigen::Index h = 0; h < h_count; ++h) {
      T x = di[h] + sj[h];
      if constexpr (kEdge) x += s_edge[p * h_count + h];
      ep[h] = leaky_relu(x, slope);
    }
  }
}

// The same into rows b..e-1 of an (E, H) matrix.
template <typename T, int kH, bool kEdge>
inline void score_row(NodeId i, EdgeId b, EdgeId e, const std::vector<NodeId>& src,
                      const MatrixCRef<T>& s_src, const MatrixCRef<T>& s_dst, const T* s_edge,
                      T slope, Eigen::Index h_count, MatrixRef<T>& out) {
  score_row<T, kH, kEdge>(i, b, e, src, s_src, s_dst, s_edge, slope, h_count, row(out, b),
                          out.outerStride());
}

// y[k, h] = exp(x[k, h] - m_h) / Σ_l exp(x[l, h] - m_h) over the rows k = 0..deg-1 (deg ≥ 1)
// of one neighbourhood, row k at x + k·x_stride and y + k·y_stride; y may be x itself. mx and
// sum are the caller's scratch of H values; they are left holding the statistics of the
// neighbourhood, the maximum m_h and the reciprocal of the sum, from which softmax_weight
// gives back each weight bit for bit.
template <typename T, int kH>
inline void softmax_row(Eigen::Index deg, Eigen::Index h_count, const T* x, Eigen::Index x_stride,
                        T* y, Eigen::Index y_stride, HeadValues<T, kH>& mx,
                        HeadValues<T, kH>& sum) {
  // Through a raw pointer and a plain comparison (std::max(m, x) is m < x ? x : m, the same
  // value): written as std::max on the Eigen array, GCC kept this loop scalar.
  T* __restrict m = mx.data();
  for (Eigen::Index h = 0; h < h_count; ++h) m[h] = x[h];
  for (Eigen::Index k = 1; k < deg; ++k) {
    const T* xk = x + k * x_stride;
#pragma omp simd
    for (Eigen::Index h = 0; h < h_count; ++h) m[h] = m[h] < xk[h] ? xk[h] : m[h];
  }
  // Subtracting the maximum keeps every exponent ≤ 0: no overflow, and the largest term is
  // exactly 1, so the sum is ≥ 1 and the division is safe.
  sum.setZero();
  for (Eigen::Index k = 0; k < deg; ++k) {
    const T* xk = x + k * x_stride;
    T* yk = y + k * y_stride;
#pragma omp simd
    for (Eigen::Index h = 0; h < h_count; ++h) {
      yk[h] = kernel_exp(xk[h] - mx[h]);
      sum[h] += yk[h];
    }
  }
  for (Eigen::Index h = 0; h < h_count; ++h) sum[h] = T(1) / sum[h];
  for (Eigen::Index k = 0; k < deg; ++k) {
    T* yk = y + k * y_stride;
#pragma omp simd
    for (Eigen::Index h = 0; h < h_count; ++h) yk[h] *= sum[h];
  }
}

// The same over the slots b..e-1 (b < e) of (E, H) matrices.
template <typename T, int kH>
inline void softmax_row(EdgeId b, EdgeId e, Eigen::Index h_count, const MatrixCRef<T>& x,
                        MatrixRef<T>& y, HeadValues<T, kH>& mx, HeadValues<T, kH>& sum) {
  softmax_row<T, kH>(e - b, h_count, row(x, b), x.outerStride(), row(y, b), y.outerStride(), mx,
                     sum);
}

// One weight again from its score x and its neighbourhood's statistics (the maximum m and the
// reciprocal r of the sum, as softmax_row leaves them): the same two operations softmax_row
// applies, exp(x - m) then · r, so the same bits (the build does not fuse or reorder
// floating-point operations: -ffp-contract=off, no -ffast-math).
template <typename T>
inline T softmax_weight(T x, T m, T r) {
  return kernel_exp(x - m) * r;
}

// The weights α[p, h] of one slot p = (j → i) again, for its H heads, from the node scores
// (di = s_dst's row i, sj = s_src's row j) and i's softmax statistics (mi, ri: the maxima and
// reciprocal sums softmax_row left): score_row's operations then softmax_weight's, on the same
// values, so the bits the forward computed.
template <typename T>
inline void weights_again(const T* di, const T* sj, const T* mi, const T* ri, T slope,
                          Eigen::Index h_count, T* __restrict out) {
#pragma omp simd
  for (Eigen::Index h = 0; h < h_count; ++h) {
    out[h] = softmax_weight(leaky_relu(di[h] + sj[h], slope), mi[h], ri[h]);
  }
}

// The softmax's Jacobian is diag(y) - y yᵀ, so grad_x = y ⊙ (grad_y - <y, grad_y>) per head,
// over the rows k = 0..deg-1 of one neighbourhood (row k at pointer + k·stride). grad_x may be
// grad_y itself. dot is the caller's scratch of H values, left holding <y, grad_y>.
template <typename T, int kH>
inline void softmax_backward_row(Eigen::Index deg, Eigen::Index h_count, const T* y,
                                 Eigen::Index y_stride, const T* grad_y, Eigen::Index gy_stride,
                                 T* grad_x, Eigen::Index gx_stride, HeadValues<T, kH>& dot) {
  dot.setZero();
  for (Eigen::Index k = 0; k < deg; ++k) {
    const T* yk = y + k * y_stride;
    const T* gk = grad_y + k * gy_stride;
#pragma omp simd
    for (Eigen::Index h = 0; h < h_count; ++h) dot[h] += yk[h] * gk[h];
  }
  for (Eigen::Index k = 0; k < deg; ++k) {
    const T* yk = y + k * y_stride;
    const T* gk = grad_y + k * gy_stride;
    T* gx = grad_x + k * gx_stride;
#pragma omp simd
    for (Eigen::Index h = 0; h < h_count; ++h) gx[h] = yk[h] * (gk[h] - dot[h]);
  }
}

// The same over the slots b..e-1 of (E, H) matrices.
template <typename T, int kH>
inline void softmax_backward_row(EdgeId b, EdgeId e, Eigen::Index h_count, const MatrixCRef<T>& y,
                                 const MatrixCRef<T>& grad_y, MatrixRef<T>& grad_x,
                                 HeadValues<T, kH>& dot) {
  softmax_backward_row<T, kH>(e - b, h_count, row(y, b), y.outerStride(), row(grad_y, b),
                              grad_y.outerStride(), row(grad_x, b), grad_x.outerStride(), dot);
}

// Narrow heads, F < 8 at run time (an averaged output layer of C classes per head: PubMed's
// 8 heads of 3): the loop over a head's F features is shorter than one vector, so the per-head
// loops run scalar, one multiply and add at a time. Spread over the head's features (ex[h·F +
// f] = w[h]), a slot's H weights line up with the (H·F) row, and one loop of H·F lanes does
// every head at once: the same product and sum per entry, the same bits. Rows up to
// kNarrowWidth entries (a stack buffer); wider ones keep the per-head loops.
constexpr Eigen::Index kNarrowWidth = 256;

inline bool narrow_heads(Eigen::Index h_count, Eigen::Index f_count) {
  return h_count > 1 && f_count < 8 && h_count * f_count <= kNarrowWidth;
}

// ex[h·F + f] = w[h] for the H heads.
template <typename T>
inline void spread_heads(const T* __restrict w, Eigen::Index h_count, Eigen::Index f_count,
                         T* __restrict ex) {
  for (Eigen::Index h = 0; h < h_count; ++h) {
    for (Eigen::Index f = 0; f < f_count; ++f) ex[h * f_count + f] = w[h];
  }
}

// out[c] += ex[c] · x[c] over the hf entries of a row.
template <typename T>
inline void add_spread_products(const T* __restrict ex, const T* __restrict x, Eigen::Index hf,
                                T* __restrict out) {
#pragma omp simd
  for (Eigen::Index c = 0; c < hf; ++c) out[c] += ex[c] * x[c];
}

// Eight floats as one vector (GCC and Clang vector extensions; on a build without AVX the
// compiler splits it in two).
using Float8 = float __attribute__((vector_size(32)));

// Chunk kC of eight heads' weights spread over kF features each: lane l holds w[(8·kC + l) / kF],
// one register permutation (vpermps) instead of eight scalar stores and a reload.
template <int kF, int kC, std::size_t... L>
inline Float8 spread_chunk(Float8 w, std::index_sequence<L...> /*lanes*/) {
  return __builtin_shufflevector(w, w, ((8 * kC + static_cast<int>(L)) / kF)...);
}

// out += Σ_k spread(w_k) · x_k over the slots k = b..e-1 that slot(k, w, x) describes (their
// eight heads' weights and (8·kF) row), then also(k) after each: eight float heads of kF
// features (PubMed's output layer: kF = 3), the row summed in kF vector registers, the weights
// spread by permutation. The same products and additions as add_spread_products.
template <int kF, typename Slot, typename Also>
inline void sum_eight_narrow_heads(EdgeId b, EdgeId e, const Slot& slot, const Also& also,
                                   float* __restrict out) {
  constexpr auto kChunks = std::make_index_sequence<kF>{};
  constexpr auto kLanes = std::make_index_sequence<8>{};
  std::array<Float8, kF> acc;
  std::memcpy(acc.data(), out, sizeof acc);
  for (EdgeId k = b; k < e; ++k) {
    const float* w;
    const float* x;
    slot(k, w, x);
    Float8 wv;
    std::memcpy(&wv, w, sizeof wv);
    [&]<std::size_t... C>(std::index_sequence<C...>) {
      ((acc[C] = acc[C] + spread_chunk<kF, static_cast<int>(C)>(wv, kLanes) *
                              [&] {
                                Float8 xv;
                                std::memcpy(&xv, x + 8 * C, sizeof xv);
                                return xv;
                              }()),
       ...);
    }
    (kChunks);
    also(k);
  }
  std::memcpy(out, acc.data(), sizeof acc);
}

// out += Σ_k spread(w_k) · x_k over the slots b..e-1 of a narrow row: eight float heads in
// registers (sum_eight_narrow_heads), anything else through memory.
template <typename T, typename Slot, typename Also>
inline void add_spread_rows(EdgeId b, EdgeId e, Eigen::Index h_count, Eigen::Index f_count,
                            const Slot& slot, const Also& also, T* __restrict out) {
  if constexpr (std::is_same_v<T, float>) {
    if (h_count == 8) {
      const auto eight = [&](auto kf) {
        sum_eight_narrow_heads<decltype(kf)::value>(b, e, slot, also, out);
      };
      switch (f_count) {
        case 1:
          return eight(Int<1>{});
        case 2:
          return eight(Int<2>{});
        case 3:
          return eight(Int<3>{});
        case 4:
          return eight(Int<4>{});
        case 5:
          return eight(Int<5>{});
        case 6:
          return eight(Int<6>{});
        case 7:
          return eight(Int<7>{});
        default:
          break;
      }
    }
  }
  // Zeroed only because GCC cannot see spread_heads fill the hf entries read (a false
  // -Wmaybe-uninitialized).
  alignas(64) T ex[kNarrowWidth] = {};
  const Eigen::Index hf = h_count * f_count;
  for (EdgeId k = b; k < e; ++k) {
    const T* w;
    const T* x;
    slot(k, w, x);
    spread_heads(w, h_count, f_count, ex);
    add_spread_products(ex, x, hf, out);
    also(k);
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
    if (narrow_heads(h_count, f_count)) {
      const auto slot = [&](EdgeId p, const T*& wp, const T*& zp) {
        wp = w + (p - b) * w_stride;
        zp = row(z, src[p]);
      };
      add_spread_rows<T>(
          b, e, h_count, f_count, slot, [](EdgeId) {}, oi);
      return;
    }
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

// The H per-head dot products <gi[h, :], zj[h, :]> of two (H·F) rows, into out. The one
// place that sums them, so that every pass that needs grad_w (below, and the fused
// attention's passes by destination and by source) gets the same bits.
template <typename T, int kH, int kF>
inline void head_dots(const T* __restrict gi, const T* __restrict zj, Eigen::Index h_count,
                      Eigen::Index f_count, T* __restrict out) {
  if constexpr (kH > 0 && kF > 0) {
    // Per head, the dot product of F features: column sums of the element-wise product.
    const ConstHeadBlockMap<T, kH, kF> g(gi), z(zj);
    Eigen::Map<Eigen::Matrix<T, 1, kH>> dots(out);
    dots = g.cwiseProduct(z).colwise().sum();
  } else if (narrow_heads(h_count, f_count)) {
    // The H·F products in one vector loop, then each head's F of them summed in order from 0:
    // the sums the loop below forms.
    alignas(64) T prod[kNarrowWidth];
    const Eigen::Index hf = h_count * f_count;
#pragma omp simd
    for (Eigen::Index c = 0; c < hf; ++c) prod[c] = gi[c] * zj[c];
    for (Eigen::Index h = 0; h < h_count; ++h) {
      T acc = 0;
      for (Eigen::Index f = 0; f < f_count; ++f) acc += prod[h * f_count + f];
      out[h] = acc;
    }
  } else {
    for (Eigen::Index h = 0; h < h_count; ++h) {
      T acc = 0;
      for (Eigen::Index f = 0; f < f_count; ++f) acc += gi[h * f_count + f] * zj[h * f_count + f];
      out[h] = acc;
    }
  }
}

// d out[i,h,:] / d w[p,h] = z[j,h,:], so grad_w[p,h] = <grad_out[i,h,:], z[j,h,:]> for the slots
// b..e-1 of destination i (gi = grad_out's row i), slot p's H values at
// grad_w + (p - b)·gw_stride.
template <typename T, int kH, int kF>
inline void aggregate_weight_grad_row(EdgeId b, EdgeId e, const std::vector<NodeId>& src,
                                      const T* __restrict gi, const MatrixCRef<T>& z,
                                      Eigen::Index h_count, Eigen::Index f_count, T* grad_w,
                                      Eigen::Index gw_stride) {
  for (EdgeId p = b; p < e; ++p) {
    head_dots<T, kH, kF>(gi, row(z, src[p]), h_count, f_count, grad_w + (p - b) * gw_stride);
  }
}

// The same into rows b..e-1 of an (E, H) matrix.
template <typename T, int kH, int kF>
inline void aggregate_weight_grad_row(EdgeId b, EdgeId e, const std::vector<NodeId>& src,
                                      const T* __restrict gi, const MatrixCRef<T>& z,
                                      Eigen::Index h_count, Eigen::Index f_count,
                                      MatrixRef<T>& grad_w) {
  aggregate_weight_grad_row<T, kH, kF>(b, e, src, gi, z, h_count, f_count, row(grad_w, b),
                                       grad_w.outerStride());
}

// d out[i,h,:] / d z[j,h,:] = w[p,h]: grad_z[j] += Σ_q w[p,h] · grad_out[i,h,:] over source j's
// transposed slots q (p = slot[q], i = dst[q]), in q order. weights(q) gives slot p's H weights;
// also(q) runs for each slot in the same loop, after weights(q), for another sum over j's
// out-edges.
template <typename T, int kH, int kF, typename Weights, typename Also>
inline void aggregate_source_grad_row(NodeId j, const CsrTranspose& t, const Weights& weights,
                                      const MatrixCRef<T>& grad_out, Eigen::Index h_count,
                                      Eigen::Index f_count, T* __restrict gzj, const Also& also) {
  if constexpr (kH > 0 && kF > 0) {
    HeadBlockMap<T, kH, kF> gz(gzj);
    HeadBlock<T, kH, kF> acc = gz;
    for (EdgeId q = t.row_ptr[j]; q < t.row_ptr[j + 1]; ++q) {
      const T* ap = weights(q);
      const ConstHeadBlockMap<T, kH, kF> gi(row(grad_out, t.dst[q]));
      for (int h = 0; h < kH; ++h) acc.col(h) += ap[h] * gi.col(h);
      also(q);
    }
    gz = acc;
  } else if (narrow_heads(h_count, f_count)) {
    const auto slot = [&](EdgeId q, const T*& wq, const T*& gq) {
      wq = weights(q);
      gq = row(grad_out, t.dst[q]);
    };
    add_spread_rows<T>(t.row_ptr[j], t.row_ptr[j + 1], h_count, f_count, slot, also, gzj);
  } else {
    for (EdgeId q = t.row_ptr[j]; q < t.row_ptr[j + 1]; ++q) {
      const T* __restrict ap = weights(q);
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
