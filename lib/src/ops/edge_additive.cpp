#include "gat/ops/edge_additive.hpp"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "check_util.hpp"
#include "gat/core/error.hpp"
#include "gat/core/threads.hpp"
#include "kernel_util.hpp"
#include "row_access.hpp"

namespace gat::ops {

using detail::check_shape;
namespace {

using detail::Int;
using detail::row;

// Kernels take kH, kF > 0 as compile-time heads and features per head (the loops over a
// row's H·F channels unroll and vectorise), or 0 for run-time shapes. kMulti selects the
// multi-dimensional variant, one score per channel; it has no use for the head structure,
// so it runs as one "head" of W = H·F channels (kH = 1, kF = W from dispatch_width).
//
// The element-wise work is written as plain loops over raw rows: GCC turns the selects
// below into vector blends, where Eigen's expression of the same (a cast of a comparison)
// stays scalar and ran several times slower.

// A compile-time extent, or Eigen::Dynamic for a run-time one (0).
template <int kN>
constexpr int kExtent = kN > 0 ? kN : Eigen::Dynamic;
// The channels of a row, H·F, when both are known at compile time (else 0).
constexpr int width(int h, int f) { return h > 0 && f > 0 ? h * f : 0; }

// A row of W channels (scratch sums): fixed-size when W is known.
template <typename T, int kW>
using Channels = Eigen::Array<T, 1, kExtent<kW>>;

// detail::dispatch_heads keys its cases by H·1000 + F, so an F ≥ 1000 could alias a listed
// pair (H = 1, F = 1008 reads as 2 × 8); such widths take the run-time kernel here.
template <typename Fn>
void dispatch_shape(Eigen::Index h, Eigen::Index f, Fn&& fn) {
  if (f >= 1000) return fn(Int<0>{}, Int<0>{});
  detail::dispatch_heads(h, f, std::forward<Fn>(fn));
}

// The activation, branch-free because the sign of a pre-activation is a coin flip per edge:
//   LeakyReLU(x)  = max(x, 0) + slope · min(x, 0)
//   LeakyReLU'(x) = 1 for x > 0, slope for x ≤ 0 (the kink gets the slope, as in
//                   edge_score_backward)
// so a ⊙ LeakyReLU'(x) picks, per channel, a or slope · a: both are precomputed here, with
// a (H, F) flattened to channels c = h·F + f (and copied out of any outer stride).
template <typename T, int kW>
struct Attention {
  Channels<T, kW> a, a_slope;
  T slope;

  Attention(const MatrixCRef<T>& m, T negative_slope) : slope(negative_slope) {
    a.resize(m.size());
    for (Eigen::Index h = 0; h < m.rows(); ++h) {
      for (Eigen::Index f = 0; f < m.cols(); ++f) a[h * m.cols() + f] = m(h, f);
    }
    a_slope = slope * a;
  }
};

template <typename T, int kH, int kF, bool kMulti>
void edge_additive_forward_kernel(const CsrGraph& graph, const MatrixCRef<T>& l,
                                  const MatrixCRef<T>& r, const Attention<T, width(kH, kF)>& att,
                                  Eigen::Index h_count, Eigen::Index f_count, MatrixRef<T>& e) {
  const auto& rp = graph.row_ptr();
  const auto& src = graph.src();
  const Eigen::Index hc = kH > 0 ? kH : h_count, fc = kF > 0 ? kF : f_count, w = hc * fc;
  const T* __restrict a = att.a.data();
  const T slope = att.slope;
#pragma omp parallel
  {
    // a ⊙ LeakyReLU(x) of one edge, before its per-head sums (the per-channel variant writes
    // it straight into e instead).
    Channels<T, width(kH, kF)> t = Channels<T, width(kH, kF)>::Zero(w);
#pragma omp for schedule(dynamic, 64)
    for (NodeId i = 0; i < graph.num_nodes(); ++i) {
      const T* __restrict li = row(l, i);
      for (EdgeId p = rp[i]; p < rp[i + 1]; ++p) {
        const T* __restrict rj = row(r, src[p]);
        T* __restrict tp = kMulti ? row(e, p) : t.data();
        for (Eigen::Index c = 0; c < w; ++c) {
          const T x = li[c] + rj[c];
          tp[c] = a[c] * (std::max(x, T(0)) + slope * std::min(x, T(0)));
        }
        if constexpr (!kMulti) {
          // e[p, h] = Σ_f over head h's F channels: the column sums of the row seen as an
          // (F, H) column-major block.
          using Block = Eigen::Array<T, kExtent<kF>, kExtent<kH>>;
          Eigen::Map<Eigen::Array<T, 1, kExtent<kH>>>(row(e, p), hc) =
              Eigen::Map<const Block>(tp, fc, hc).colwise().sum();
        }
      }
    }
  }
}

// One edge's backward terms, x = l_i + r_j over the channels c = h·F + f:
//   acc[c] += g · a[c] · LeakyReLU'(x[c])    (∂e/∂l_i = ∂e/∂r_j, times the gradient g)
//   ga[c]  += g · LeakyReLU(x[c])            (∂e/∂a, only when kWithA)
// with g = grad_e[p, h] for per-head scores, grad_e[p, c] per channel.
template <typename T, int kH, int kF, bool kMulti, bool kWithA>
inline void add_edge_terms(const T* __restrict li, const T* __restrict rj, const T* __restrict gp,
                           const Attention<T, width(kH, kF)>& att, Eigen::Index hc, Eigen::Index fc,
                           T* __restrict acc, T* __restrict ga) {
  // Everything the loop reads is local: a store to acc or ga cannot be taken to change it,
  // so the loop vectorises.
  const T* __restrict a = att.a.data();
  const T* __restrict a_slope = att.a_slope.data();
  const T slope = att.slope;
  for (Eigen::Index h = 0; h < (kH > 0 ? kH : hc); ++h) {
    for (Eigen::Index f = 0; f < (kF > 0 ? kF : fc); ++f) {
      const Eigen::Index c = h * (kF > 0 ? kF : fc) + f;
      const T g = kMulti ? gp[c] : gp[h];
      // Both factors are loaded before the select, so that it is a blend, not a branch.
      const T x = li[c] + rj[c], a_pos = a[c], a_neg = a_slope[c];
      acc[c] += g * (x > T(0) ? a_pos : a_neg);
      if constexpr (kWithA) ga[c] += g * (std::max(x, T(0)) + slope * std::min(x, T(0)));
    }
  }
}

template <typename T, int kH, int kF, bool kMulti>
void edge_additive_backward_kernel(const CsrGraph& graph, const MatrixCRef<T>& l,
                                   const MatrixCRef<T>& r, const Attention<T, width(kH, kF)>& att,
                                   Eigen::Index h_count, Eigen::Index f_count,
                                   const MatrixCRef<T>& grad_e, MatrixRef<T>& grad_l,
                                   MatrixRef<T>& grad_r, MatrixRef<T>& grad_a) {
  constexpr int kW = width(kH, kF);
  const auto& rp = graph.row_ptr();
  const auto& src = graph.src();
  const NodeId n = graph.num_nodes();
  const Eigen::Index hc = kH > 0 ? kH : h_count, fc = kF > 0 ? kF : f_count, w = hc * fc;
  // e[p, h] = Σ_f a[h, f] · LeakyReLU(x[h, f]) with x = l[i] + r[j] (per channel: the terms
  // unsummed), so ∂e/∂l[i] = ∂e/∂r[j] = a ⊙ LeakyReLU'(x) and ∂e/∂a = LeakyReLU(x), each
  // times the gradient of its score: add_edge_terms.

  // Into destinations, with grad_a on the way. grad_l[i] is a row sum over i's in-edges.
  // grad_a sums over every edge: each fixed chunk of kRowChunk destination rows sums its own
  // partial, and the partials are added in chunk order, so the summation order does not
  // depend on the thread count.
  const Eigen::Index chunks = (n + kRowChunk - 1) / kRowChunk;
  std::vector<Channels<T, kW>> partial(chunks);
#pragma omp parallel
  {
    Channels<T, kW> acc = Channels<T, kW>::Zero(w);
#pragma omp for schedule(dynamic, 1)
    for (Eigen::Index c = 0; c < chunks; ++c) {
      Channels<T, kW> ga = Channels<T, kW>::Zero(w);
      const auto end = static_cast<NodeId>(std::min<Eigen::Index>(n, (c + 1) * kRowChunk));
      for (auto i = static_cast<NodeId>(c * kRowChunk); i < end; ++i) {
        if (rp[i] == rp[i + 1]) continue;
        const T* li = row(l, i);
        acc.setZero();
        for (EdgeId p = rp[i]; p < rp[i + 1]; ++p) {
          add_edge_terms<T, kH, kF, kMulti, true>(li, row(r, src[p]), row(grad_e, p), att, hc, fc,
                                                  acc.data(), ga.data());
        }
        Eigen::Map<Channels<T, kW>>(row(grad_l, i), w) += acc;
      }
      partial[c] = std::move(ga);
    }
  }
  if (chunks > 0) {
    Channels<T, kW> total = partial[0];
    for (Eigen::Index c = 1; c < chunks; ++c) total += partial[c];
    // Channel c = h·F + f of the flat sum is grad_a[h, f].
    for (Eigen::Index h = 0; h < grad_a.rows(); ++h) {
      for (Eigen::Index f = 0; f < grad_a.cols(); ++f) grad_a(h, f) += total[h * grad_a.cols() + f];
    }
  }

  // Into sources: the same terms summed over j's out-edges, on the cached transpose,
  // recomputing each edge's pre-activation from its two endpoints (x = l_i + r_j as above).
  const auto& t = graph.transpose();
#pragma omp parallel
  {
    Channels<T, kW> acc = Channels<T, kW>::Zero(w);
#pragma omp for schedule(dynamic, 64)
    for (NodeId j = 0; j < n; ++j) {
      if (t.row_ptr[j] == t.row_ptr[j + 1]) continue;
      const T* rj = row(r, j);
      acc.setZero();
      for (EdgeId s = t.row_ptr[j]; s < t.row_ptr[j + 1]; ++s) {
        add_edge_terms<T, kH, kF, kMulti, false>(row(l, t.dst[s]), rj, row(grad_e, t.slot[s]), att,
                                                 hc, fc, acc.data(), nullptr);
      }
      Eigen::Map<Channels<T, kW>>(row(grad_r, j), w) += acc;
    }
  }
}

// ---- argument checks -------------------------------------------------------------------------

// l, r (N, H·F), a (H, F) and the slope, common to every entry point.
template <typename T>
void check_inputs(const char* fn, const CsrGraph& graph, const MatrixCRef<T>& l,
                  const MatrixCRef<T>& r, const MatrixCRef<T>& a, T slope) {
  GAT_CHECK(a.rows() > 0 && a.cols() > 0, fn << ": a has shape (" << a.rows() << ", " << a.cols()
                                             << "); it must be (H, F) with H, F ≥ 1");
  check_shape(fn, "l", l.rows(), l.cols(), "(N, H·F)", graph.num_nodes(), a.rows() * a.cols());
  check_shape(fn, "r", r.rows(), r.cols(), "(N, H·F)", graph.num_nodes(), a.rows() * a.cols());
  GAT_CHECK(std::isfinite(slope), fn << ": negative slope must be finite, got " << slope);
}

// The gradients of the inputs, (N, H·F) and (H, F).
template <typename T>
void check_gradients(const char* fn, const MatrixCRef<T>& l, const MatrixCRef<T>& a,
                     const MatrixRef<T>& grad_l, const MatrixRef<T>& grad_r,
                     const MatrixRef<T>& grad_a) {
  check_shape(fn, "grad_l", grad_l.rows(), grad_l.cols(), "(N, H·F)", l.rows(), l.cols());
  check_shape(fn, "grad_r", grad_r.rows(), grad_r.cols(), "(N, H·F)", l.rows(), l.cols());
  check_shape(fn, "grad_a", grad_a.rows(), grad_a.cols(), "(H, F)", a.rows(), a.cols());
}

}  // namespace

template <typename T>
void edge_additive_forward(const CsrGraph& graph, MatrixCRef<T> l, MatrixCRef<T> r, MatrixCRef<T> a,
                           T negative_slope, MatrixRef<T> e) {
  constexpr const char* fn = "edge_additive_forward";
  check_inputs(fn, graph, l, r, a, negative_slope);
  check_shape(fn, "e", e.rows(), e.cols(), "(E, H)", graph.num_edges(), a.rows());
  dispatch_shape(a.rows(), a.cols(), [&](auto h, auto f) {
    constexpr int kH = decltype(h)::value, kF = decltype(f)::value;
    const Attention<T, width(kH, kF)> att(a, negative_slope);
    edge_additive_forward_kernel<T, kH, kF, false>(graph, l, r, att, a.rows(), a.cols(), e);
  });
}

template <typename T>
void edge_additive_backward(const CsrGraph& graph, MatrixCRef<T> l, MatrixCRef<T> r,
                            MatrixCRef<T> a, T negative_slope, MatrixCRef<T> grad_e,
                            MatrixRef<T> grad_l, MatrixRef<T> grad_r, MatrixRef<T> grad_a) {
  constexpr const char* fn = "edge_additive_backward";
  check_inputs(fn, graph, l, r, a, negative_slope);
  check_shape(fn, "grad_e", grad_e.rows(), grad_e.cols(), "(E, H)", graph.num_edges(), a.rows());
  check_gradients(fn, l, a, grad_l, grad_r, grad_a);
  dispatch_shape(a.rows(), a.cols(), [&](auto h, auto f) {
    constexpr int kH = decltype(h)::value, kF = decltype(f)::value;
    const Attention<T, width(kH, kF)> att(a, negative_slope);
    edge_additive_backward_kernel<T, kH, kF, false>(graph, l, r, att, a.rows(), a.cols(), grad_e,
                                                    grad_l, grad_r, grad_a);
  });
}

template <typename T>
void edge_additive_multidim_forward(const CsrGraph& graph, MatrixCRef<T> l, MatrixCRef<T> r,
                                    MatrixCRef<T> a, T negative_slope, MatrixRef<T> e) {
  constexpr const char* fn = "edge_additive_multidim_forward";
  check_inputs(fn, graph, l, r, a, negative_slope);
  check_shape(fn, "e", e.rows(), e.cols(), "(E, H·F)", graph.num_edges(), l.cols());
  detail::dispatch_width(l.cols(), [&](auto w) {
    constexpr int kW = decltype(w)::value;
    const Attention<T, kW> att(a, negative_slope);
    edge_additive_forward_kernel<T, 1, kW, true>(graph, l, r, att, 1, l.cols(), e);
  });
}

template <typename T>
void edge_additive_multidim_backward(const CsrGraph& graph, MatrixCRef<T> l, MatrixCRef<T> r,
                                     MatrixCRef<T> a, T negative_slope, MatrixCRef<T> grad_e,
                                     MatrixRef<T> grad_l, MatrixRef<T> grad_r,
                                     MatrixRef<T> grad_a) {
  constexpr const char* fn = "edge_additive_multidim_backward";
  check_inputs(fn, graph, l, r, a, negative_slope);
  check_shape(fn, "grad_e", grad_e.rows(), grad_e.cols(), "(E, H·F)", graph.num_edges(), l.cols());
  check_gradients(fn, l, a, grad_l, grad_r, grad_a);
  detail::dispatch_width(l.cols(), [&](auto w) {
    constexpr int kW = decltype(w)::value;
    const Attention<T, kW> att(a, negative_slope);
    edge_additive_backward_kernel<T, 1, kW, true>(graph, l, r, att, 1, l.cols(), grad_e, grad_l,
                                                  grad_r, grad_a);
  });
}

#define GAT_INSTANTIATE(T)                                                                        \
  template void edge_additive_forward<T>(const CsrGraph&, MatrixCRef<T>, MatrixCRef<T>,           \
                                         MatrixCRef<T>, T, MatrixRef<T>);                         \
  template void edge_additive_backward<T>(const CsrGraph&, MatrixCRef<T>, MatrixCRef<T>,          \
                                          MatrixCRef<T>, T, MatrixCRef<T>, MatrixRef<T>,          \
                                          MatrixRef<T>, MatrixRef<T>);                            \
  template void edge_additive_multidim_forward<T>(const CsrGraph&, MatrixCRef<T>, MatrixCRef<T>,  \
                                                  MatrixCRef<T>, T, MatrixRef<T>);                \
  template void edge_additive_multidim_backward<T>(const CsrGraph&, MatrixCRef<T>, MatrixCRef<T>, \
                                                   MatrixCRef<T>, T, MatrixCRef<T>, MatrixRef<T>, \
                                                   MatrixRef<T>, MatrixRef<T>);
GAT_INSTANTIATE(float)
GAT_INSTANTIATE(double)
#undef GAT_INSTANTIATE

}  // namespace gat::ops
