#include "gat/ops/edge_dot.hpp"

#include <cmath>
#include <utility>
#include <vector>

#include "check_util.hpp"
#include "gat/core/error.hpp"
#include "kernel_util.hpp"
#include "row_access.hpp"

namespace gat::ops {

using detail::check_shape;
namespace {

using detail::Int;
using detail::row;

// A compile-time extent, or Eigen::Dynamic for the run-time-shape kernel (0).
template <int kN>
constexpr int kExtent = kN > 0 ? kN : Eigen::Dynamic;

// A node's (H·F) row seen as an (F, H) column-major block: column h holds head h. The same
// type serves both kernels: fixed-size (registers, unrolled) when kH, kF > 0, dynamic else.
template <typename T, int kH, int kF>
using Block = Eigen::Array<T, kExtent<kF>, kExtent<kH>>;
template <typename T, int kH, int kF>
using BlockMap = Eigen::Map<Block<T, kH, kF>>;
template <typename T, int kH, int kF>
using ConstBlockMap = Eigen::Map<const Block<T, kH, kF>>;
// One row of H per-head values (an edge's scores or their gradient).
template <typename T, int kH>
using HeadRow = Eigen::Array<T, 1, kExtent<kH>>;
// A whole (H·F) row as one vector of channels, for the multi-dimensional variant.
template <typename T, int kW>
using Channels = Eigen::Array<T, 1, kExtent<kW>>;

// detail::dispatch_heads keys its cases by H·1000 + F, so an F ≥ 1000 could alias a listed
// pair (H = 1, F = 1008 reads as 2 × 8); such widths take the run-time kernel here.
template <typename Fn>
void dispatch_shape(Eigen::Index h, Eigen::Index f, Fn&& fn) {
  if (f >= 1000) return fn(Int<0>{}, Int<0>{});
  detail::dispatch_heads(h, f, std::forward<Fn>(fn));
}

// ---- per-head scores ----------------------------------------------------------------------

template <typename T, int kH, int kF>
void edge_dot_forward_kernel(const CsrGraph& graph, const MatrixCRef<T>& q, const MatrixCRef<T>& k,
                             T scale, MatrixRef<T>& e) {
  const auto& rp = graph.row_ptr();
  const auto& src = graph.src();
  const Eigen::Index h_count = e.cols(), f_count = q.cols() / h_count;
#pragma omp parallel for schedule(dynamic, 64)
  for (NodeId i = 0; i < graph.num_nodes(); ++i) {
    const ConstBlockMap<T, kH, kF> qi(row(q, i), f_count, h_count);
    for (EdgeId p = rp[i]; p < rp[i + 1]; ++p) {
      const ConstBlockMap<T, kH, kF> kj(row(k, src[p]), f_count, h_count);
      // Column sums of q_i ⊙ k_j: the H per-head dot products of F features.
      Eigen::Map<HeadRow<T, kH>>(row(e, p), h_count) = scale * (qi * kj).colwise().sum();
    }
  }
}

// One side of the backward: out[u, h, :] += scale · Σ_{p in row u} grad_e[p, h] · v[w_p, h, :],
// where rows u, their slots p and the other endpoints w_p come from `row_ptr`, `slot_of` and
// `other` (the CSR for grad_q, its transpose for grad_k). Each output row is one task.
template <typename T, int kH, int kF, typename SlotOf, typename Other>
void edge_dot_backward_pass(NodeId n, const std::vector<EdgeId>& row_ptr, SlotOf slot_of,
                            Other other, const MatrixCRef<T>& v, T scale,
                            const MatrixCRef<T>& grad_e, MatrixRef<T>& out) {
  const Eigen::Index h_count = grad_e.cols(), f_count = v.cols() / h_count;
#pragma omp parallel
  {
    // Σ_p grad_e[p, h] · v[w_p, h, :] for one row, scaled once at the end.
    Block<T, kH, kF> acc = Block<T, kH, kF>::Zero(f_count, h_count);
#pragma omp for schedule(dynamic, 64)
    for (NodeId u = 0; u < n; ++u) {
      if (row_ptr[u] == row_ptr[u + 1]) continue;
      acc.setZero();
      for (EdgeId s = row_ptr[u]; s < row_ptr[u + 1]; ++s) {
        const T* gp = row(grad_e, slot_of(s));
        const ConstBlockMap<T, kH, kF> vw(row(v, other(s)), f_count, h_count);
        for (Eigen::Index h = 0; h < h_count; ++h) acc.col(h) += gp[h] * vw.col(h);
      }
      BlockMap<T, kH, kF>(row(out, u), f_count, h_count) += scale * acc;
    }
  }
}

template <typename T, int kH, int kF>
void edge_dot_backward_kernel(const CsrGraph& graph, const MatrixCRef<T>& q, const MatrixCRef<T>& k,
                              T scale, const MatrixCRef<T>& grad_e, MatrixRef<T>& grad_q,
                              MatrixRef<T>& grad_k) {
  // e[p, h] = scale · <q[i, h, :], k[j, h, :]>  →  ∂e/∂q[i, h, :] = scale · k[j, h, :]:
  // into destinations, a row sum over i's in-edges (slot s is the edge itself).
  const auto& src = graph.src();
  edge_dot_backward_pass<T, kH, kF>(
      graph.num_nodes(), graph.row_ptr(), [](EdgeId s) { return s; },
      [&](EdgeId s) { return src[s]; }, k, scale, grad_e, grad_q);
  // ∂e/∂k[j, h, :] = scale · q[i, h, :]: into sources, the same sum over j's out-edges on
  // the cached transpose (transposed slot s is edge slot t.slot[s], destination t.dst[s]).
  const auto& t = graph.transpose();
  edge_dot_backward_pass<T, kH, kF>(
      graph.num_nodes(), t.row_ptr, [&](EdgeId s) { return t.slot[s]; },
      [&](EdgeId s) { return t.dst[s]; }, q, scale, grad_e, grad_k);
}

// ---- per-channel (multi-dimensional) scores ---------------------------------------------------

template <typename T, int kW>
void edge_dot_multidim_forward_kernel(const CsrGraph& graph, const MatrixCRef<T>& q,
                                      const MatrixCRef<T>& k, T scale, MatrixRef<T>& e) {
  const auto& rp = graph.row_ptr();
  const auto& src = graph.src();
  const Eigen::Index w = q.cols();
#pragma omp parallel for schedule(dynamic, 64)
  for (NodeId i = 0; i < graph.num_nodes(); ++i) {
    const Eigen::Map<const Channels<T, kW>> qi(row(q, i), w);
    for (EdgeId p = rp[i]; p < rp[i + 1]; ++p) {
      const Eigen::Map<const Channels<T, kW>> kj(row(k, src[p]), w);
      Eigen::Map<Channels<T, kW>>(row(e, p), w) = scale * (qi * kj);
    }
  }
}

// out[u, c] += scale · Σ_{p in row u} grad_e[p, c] · v[w_p, c], rows as in
// edge_dot_backward_pass.
template <typename T, int kW, typename SlotOf, typename Other>
void edge_dot_multidim_backward_pass(NodeId n, const std::vector<EdgeId>& row_ptr, SlotOf slot_of,
                                     Other other, const MatrixCRef<T>& v, T scale,
                                     const MatrixCRef<T>& grad_e, MatrixRef<T>& out) {
  const Eigen::Index w = v.cols();
#pragma omp parallel
  {
    Channels<T, kW> acc = Channels<T, kW>::Zero(w);
#pragma omp for schedule(dynamic, 64)
    for (NodeId u = 0; u < n; ++u) {
      if (row_ptr[u] == row_ptr[u + 1]) continue;
      acc.setZero();
      for (EdgeId s = row_ptr[u]; s < row_ptr[u + 1]; ++s) {
        acc += Eigen::Map<const Channels<T, kW>>(row(grad_e, slot_of(s)), w) *
               Eigen::Map<const Channels<T, kW>>(row(v, other(s)), w);
      }
      Eigen::Map<Channels<T, kW>>(row(out, u), w) += scale * acc;
    }
  }
}

template <typename T, int kW>
void edge_dot_multidim_backward_kernel(const CsrGraph& graph, const MatrixCRef<T>& q,
                                       const MatrixCRef<T>& k, T scale, const MatrixCRef<T>& grad_e,
                                       MatrixRef<T>& grad_q, MatrixRef<T>& grad_k) {
  // e[p, c] = scale · q[i, c] · k[j, c]  →  ∂e/∂q[i, c] = scale · k[j, c] (row sum), and
  // ∂e/∂k[j, c] = scale · q[i, c] (on the transpose).
  const auto& src = graph.src();
  edge_dot_multidim_backward_pass<T, kW>(
      graph.num_nodes(), graph.row_ptr(), [](EdgeId s) { return s; },
      [&](EdgeId s) { return src[s]; }, k, scale, grad_e, grad_q);
  const auto& t = graph.transpose();
  edge_dot_multidim_backward_pass<T, kW>(
      graph.num_nodes(), t.row_ptr, [&](EdgeId s) { return t.slot[s]; },
      [&](EdgeId s) { return t.dst[s]; }, q, scale, grad_e, grad_k);
}

// ---- argument checks -------------------------------------------------------------------------

// The node features q, k (N, H·F) and the scale, common to every entry point.
template <typename T>
void check_nodes(const char* fn, const CsrGraph& graph, const MatrixCRef<T>& q,
                 const MatrixCRef<T>& k, T scale) {
  GAT_CHECK(q.rows() == graph.num_nodes(), fn << ": q has " << q.rows()
                                              << " rows but the graph has " << graph.num_nodes()
                                              << " nodes");
  GAT_CHECK(q.cols() > 0, fn << ": q has no columns; it must be (N, H·F) with H·F ≥ 1");
  check_shape(fn, "k", k.rows(), k.cols(), "the shape of q", q.rows(), q.cols());
  GAT_CHECK(std::isfinite(scale), fn << ": scale must be finite, got " << scale);
}

// The per-head scores (E, H): H ≥ 1 heads dividing q's H·F columns.
void check_heads(const char* fn, const char* name, const CsrGraph& graph, Eigen::Index rows,
                 Eigen::Index heads, Eigen::Index width) {
  GAT_CHECK(heads > 0 && width % heads == 0, fn << ": " << name << " has " << heads
                                                << " columns (heads H), which must be at least 1"
                                                << " and divide q's width H·F = " << width);
  check_shape(fn, name, rows, heads, "(E, H)", graph.num_edges(), heads);
}

}  // namespace

template <typename T>
void edge_dot_forward(const CsrGraph& graph, MatrixCRef<T> q, MatrixCRef<T> k, T scale,
                      MatrixRef<T> e) {
  constexpr const char* fn = "edge_dot_forward";
  check_nodes(fn, graph, q, k, scale);
  check_heads(fn, "e", graph, e.rows(), e.cols(), q.cols());
  dispatch_shape(e.cols(), q.cols() / e.cols(), [&](auto h, auto f) {
    edge_dot_forward_kernel<T, decltype(h)::value, decltype(f)::value>(graph, q, k, scale, e);
  });
}

template <typename T>
void edge_dot_backward(const CsrGraph& graph, MatrixCRef<T> q, MatrixCRef<T> k, T scale,
                       MatrixCRef<T> grad_e, MatrixRef<T> grad_q, MatrixRef<T> grad_k) {
  constexpr const char* fn = "edge_dot_backward";
  check_nodes(fn, graph, q, k, scale);
  check_heads(fn, "grad_e", graph, grad_e.rows(), grad_e.cols(), q.cols());
  check_shape(fn, "grad_q", grad_q.rows(), grad_q.cols(), "(N, H·F)", q.rows(), q.cols());
  check_shape(fn, "grad_k", grad_k.rows(), grad_k.cols(), "(N, H·F)", q.rows(), q.cols());
  dispatch_shape(grad_e.cols(), q.cols() / grad_e.cols(), [&](auto h, auto f) {
    edge_dot_backward_kernel<T, decltype(h)::value, decltype(f)::value>(graph, q, k, scale, grad_e,
                                                                        grad_q, grad_k);
  });
}

template <typename T>
void edge_dot_multidim_forward(const CsrGraph& graph, MatrixCRef<T> q, MatrixCRef<T> k, T scale,
                               MatrixRef<T> e) {
  constexpr const char* fn = "edge_dot_multidim_forward";
  check_nodes(fn, graph, q, k, scale);
  check_shape(fn, "e", e.rows(), e.cols(), "(E, H·F)", graph.num_edges(), q.cols());
  detail::dispatch_width(q.cols(), [&](auto w) {
    edge_dot_multidim_forward_kernel<T, decltype(w)::value>(graph, q, k, scale, e);
  });
}

template <typename T>
void edge_dot_multidim_backward(const CsrGraph& graph, MatrixCRef<T> q, MatrixCRef<T> k, T scale,
                                MatrixCRef<T> grad_e, MatrixRef<T> grad_q, MatrixRef<T> grad_k) {
  constexpr const char* fn = "edge_dot_multidim_backward";
  check_nodes(fn, graph, q, k, scale);
  check_shape(fn, "grad_e", grad_e.rows(), grad_e.cols(), "(E, H·F)", graph.num_edges(), q.cols());
  check_shape(fn, "grad_q", grad_q.rows(), grad_q.cols(), "(N, H·F)", q.rows(), q.cols());
  check_shape(fn, "grad_k", grad_k.rows(), grad_k.cols(), "(N, H·F)", q.rows(), q.cols());
  detail::dispatch_width(q.cols(), [&](auto w) {
    edge_dot_multidim_backward_kernel<T, decltype(w)::value>(graph, q, k, scale, grad_e, grad_q,
                                                             grad_k);
  });
}

#define GAT_INSTANTIATE(T)                                                                      \
  template void edge_dot_forward<T>(const CsrGraph&, MatrixCRef<T>, MatrixCRef<T>, T,           \
                                    MatrixRef<T>);                                              \
  template void edge_dot_backward<T>(const CsrGraph&, MatrixCRef<T>, MatrixCRef<T>, T,          \
                                     MatrixCRef<T>, MatrixRef<T>, MatrixRef<T>);                \
  template void edge_dot_multidim_forward<T>(const CsrGraph&, MatrixCRef<T>, MatrixCRef<T>, T,  \
                                             MatrixRef<T>);                                     \
  template void edge_dot_multidim_backward<T>(const CsrGraph&, MatrixCRef<T>, MatrixCRef<T>, T, \
                                              MatrixCRef<T>, MatrixRef<T>, MatrixRef<T>);
GAT_INSTANTIATE(float)
GAT_INSTANTIATE(double)
#undef GAT_INSTANTIATE

}  // namespace gat::ops
