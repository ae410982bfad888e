#include "gat/ops/edge_score.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "attention_rows.hpp"
#include "check_util.hpp"
#include "gat/core/error.hpp"
#include "gat/core/threads.hpp"
#include "kernel_util.hpp"
#include "row_access.hpp"

namespace gat::ops {

using detail::check_shape;
using detail::row;

namespace {

// Kernels take kH, kF > 0 as compile-time heads and features per head (loops unroll and
// vectorise), or 0 for run-time shapes.
template <typename T, int kH, int kF>
void head_dot_forward_kernel(const MatrixCRef<T>& z, const MatrixCRef<T>& a, MatrixRef<T>& s) {
  const Eigen::Index n = z.rows();
  const Eigen::Index h_count = kH > 0 ? kH : a.rows(), f_count = kF > 0 ? kF : a.cols();
  if (kF == 0 && detail::narrow_heads(h_count, f_count)) {
    // Narrow heads (an output layer's C classes per head): a as one (H·F) row, and each node's
    // H dots with the products in one vector loop (detail::head_dots), the same sums.
    const Matrix<T> a_row = a;  // contiguous (H, F), row-major: the (H·F) row
#pragma omp parallel for schedule(static)
    for (Eigen::Index i = 0; i < n; ++i) {
      detail::head_dots<T, 0, 0>(row(z, i), a_row.data(), h_count, f_count, row(s, i));
    }
    return;
  }
#pragma omp parallel for schedule(static)
  for (Eigen::Index i = 0; i < n; ++i) {
    const T* zi = row(z, i);
    T* si = row(s, i);
    for (Eigen::Index h = 0; h < h_count; ++h) {
      const T* ah = row(a, h);
      T acc = 0;
      for (Eigen::Index f = 0; f < f_count; ++f) acc += zi[h * f_count + f] * ah[f];
      si[h] = acc;
    }
  }
}

// head_dot_backward for narrow heads (F < 8 at run time): with grad_s[i]'s H values spread over
// their heads' features (detail::spread_heads), both gradients are loops over the (H·F) row,
// grad_z[i, c] += g[c]·a[c] and grad_a[c] += g[c]·z[i, c], the same products and sums in the
// same order as the per-head loops below.
template <typename T>
void narrow_head_dot_backward(const MatrixCRef<T>& z, const MatrixCRef<T>& a,
                              const MatrixCRef<T>& grad_s, MatrixRef<T>& grad_z,
                              MatrixRef<T>& grad_a, Eigen::Index h_count, Eigen::Index f_count) {
  const Eigen::Index n = z.rows(), hf = h_count * f_count;
  const Matrix<T> a_row = a;  // contiguous (H, F): the (H·F) row
#pragma omp parallel
  {
    alignas(64) T g[detail::kNarrowWidth] = {};
#pragma omp for schedule(static)
    for (Eigen::Index i = 0; i < n; ++i) {
      detail::spread_heads(row(grad_s, i), h_count, f_count, g);
      detail::add_spread_products(g, a_row.data(), hf, row(grad_z, i));
    }
  }
  const Eigen::Index chunks = (n + kRowChunk - 1) / kRowChunk;
  std::vector<Matrix<T>> partial(chunks);
#pragma omp parallel
  {
    alignas(64) T g[detail::kNarrowWidth] = {};
#pragma omp for schedule(static)
    for (Eigen::Index c = 0; c < chunks; ++c) {
      Matrix<T> acc = Matrix<T>::Zero(h_count, f_count);  // row-major: the (H·F) row
      const Eigen::Index end = std::min(n, (c + 1) * kRowChunk);
      for (Eigen::Index i = c * kRowChunk; i < end; ++i) {
        detail::spread_heads(row(grad_s, i), h_count, f_count, g);
        detail::add_spread_products(g, row(z, i), hf, acc.data());
      }
      partial[c] = std::move(acc);
    }
  }
  for (const auto& p : partial) grad_a += p;
}

template <typename T, int kH, int kF>
void head_dot_backward_kernel(const MatrixCRef<T>& z, const MatrixCRef<T>& a,
                              const MatrixCRef<T>& grad_s, MatrixRef<T>& grad_z,
                              MatrixRef<T>& grad_a) {
  const Eigen::Index n = z.rows();
  const Eigen::Index h_count = kH > 0 ? kH : a.rows(), f_count = kF > 0 ? kF : a.cols();
  if (kF == 0 && detail::narrow_heads(h_count, f_count)) {
    narrow_head_dot_backward(z, a, grad_s, grad_z, grad_a, h_count, f_count);
    return;
  }
  // grad_z[i, h·F + f] += grad_s[i, h] · a[h, f]: independent per row.
#pragma omp parallel for schedule(static)
  for (Eigen::Index i = 0; i < n; ++i) {
    const T* gi = row(grad_s, i);
    T* gzi = row(grad_z, i);
    for (Eigen::Index h = 0; h < h_count; ++h) {
      const T* ah = row(a, h);
      for (Eigen::Index f = 0; f < f_count; ++f) gzi[h * f_count + f] += gi[h] * ah[f];
    }
  }
  // grad_a[h, f] += Σ_i grad_s[i, h] · z[i, h·F + f]: a reduction over nodes, summed per
  // fixed chunk and then over chunks in order, so the result is independent of threads.
  const Eigen::Index chunks = (n + kRowChunk - 1) / kRowChunk;
  std::vector<Matrix<T>> partial(chunks);
#pragma omp parallel for schedule(static)
  for (Eigen::Index c = 0; c < chunks; ++c) {
    Matrix<T> acc = Matrix<T>::Zero(h_count, f_count);
    const Eigen::Index end = std::min(n, (c + 1) * kRowChunk);
    for (Eigen::Index i = c * kRowChunk; i < end; ++i) {
      const T* zi = row(z, i);
      const T* gi = row(grad_s, i);
      for (Eigen::Index h = 0; h < h_count; ++h) {
        for (Eigen::Index f = 0; f < f_count; ++f) acc(h, f) += gi[h] * zi[h * f_count + f];
      }
    }
    partial[c] = std::move(acc);
  }
  for (const auto& p : partial) grad_a += p;
}

// kEdge adds a per-edge term s_edge[p, h] (edge-feature attention) to the pre-activation;
// without it the kernel is the plain node-only score, so D = 0 costs nothing.
template <typename T, int kH, bool kEdge>
void edge_score_forward_kernel(const CsrGraph& graph, const MatrixCRef<T>& s_src,
                               const MatrixCRef<T>& s_dst, const T* s_edge, T negative_slope,
                               MatrixRef<T>& e) {
  const auto& rp = graph.row_ptr();
  const Eigen::Index h_count = kH > 0 ? kH : s_src.cols();
#pragma omp parallel for schedule(dynamic, 64)
  for (NodeId i = 0; i < graph.num_nodes(); ++i) {
    detail::score_row<T, kH, kEdge>(i, rp[i], rp[i + 1], graph.src(), s_src, s_dst, s_edge,
                                    negative_slope, h_count, e);
  }
}

template <typename T, int kH, bool kEdge>
void edge_score_backward_kernel(const CsrGraph& graph, const MatrixCRef<T>& s_src,
                                const MatrixCRef<T>& s_dst, const T* s_edge, T negative_slope,
                                const MatrixCRef<T>& grad_e, MatrixRef<T>& grad_s_src,
                                MatrixRef<T>& grad_s_dst, T* grad_s_edge) {
  const auto& rp = graph.row_ptr();
  const auto& src = graph.src();
  const Eigen::Index h_count = kH > 0 ? kH : s_src.cols();
  // LeakyReLU'(x) is 1 for x > 0 and the slope otherwise; the pre-activation is recomputed
  // from the two node scores (and the edge term) rather than stored, keeping memory per
  // edge at O(H).
  auto slope_at = [&](NodeId i, NodeId j, EdgeId p, Eigen::Index h) {
    T x = row(s_dst, i)[h] + row(s_src, j)[h];
    if constexpr (kEdge) x += s_edge[p * h_count + h];
    return detail::leaky_relu_slope(x, negative_slope);
  };
  // Into destinations: a row sum over i's in-edges. The edge term's gradient is the
  // pre-activation gradient itself, one value per slot, written in the same pass.
#pragma omp parallel for schedule(dynamic, 64)
  for (NodeId i = 0; i < graph.num_nodes(); ++i) {
    T* gi = row(grad_s_dst, i);
    for (EdgeId p = rp[i]; p < rp[i + 1]; ++p) {
      const T* gp = row(grad_e, p);
      for (Eigen::Index h = 0; h < h_count; ++h) {
        const T g = gp[h] * slope_at(i, src[p], p, h);
        gi[h] += g;
        if constexpr (kEdge) grad_s_edge[p * h_count + h] = g;
      }
    }
  }
  // Into sources: the same sum over j's out-edges, on the transpose.
  const auto& t = graph.transpose();
#pragma omp parallel for schedule(dynamic, 64)
  for (NodeId j = 0; j < graph.num_nodes(); ++j) {
    T* gj = row(grad_s_src, j);
    for (EdgeId q = t.row_ptr[j]; q < t.row_ptr[j + 1]; ++q) {
      const EdgeId p = t.slot[q];
      const T* gp = row(grad_e, p);
      for (Eigen::Index h = 0; h < h_count; ++h) gj[h] += gp[h] * slope_at(t.dst[q], j, p, h);
    }
  }
}

// ---- argument checks -------------------------------------------------------------------------

// z (N, H·F) and a (H, F): z's width must be H·F.
template <typename T>
void check_head_dot(const char* fn, const MatrixCRef<T>& z, const MatrixCRef<T>& a) {
  GAT_CHECK(z.cols() == a.rows() * a.cols(), fn << ": z has " << z.cols()
                                                << " columns but a has shape (" << a.rows() << ", "
                                                << a.cols() << "); z must be (N, H·F) = (N, "
                                                << a.rows() * a.cols() << ") for a = (H, F)");
}

// The node scores s_src, s_dst (N, H) and the slope, common to every edge_score entry point.
template <typename T>
void check_node_scores(const char* fn, const CsrGraph& graph, const MatrixCRef<T>& s_src,
                       const MatrixCRef<T>& s_dst, T negative_slope) {
  GAT_CHECK(s_src.rows() == graph.num_nodes(), fn << ": s_src has " << s_src.rows()
                                                  << " rows but the graph has " << graph.num_nodes()
                                                  << " nodes; s_src must be"
                                                  << " (N, H)");
  check_shape(fn, "s_dst", s_dst.rows(), s_dst.cols(), "the shape of s_src (N, H)", s_src.rows(),
              s_src.cols());
  GAT_CHECK(std::isfinite(negative_slope),
            fn << ": negative slope must be finite, got " << negative_slope);
}

// An (E, H) per-edge matrix, H = s_src's width.
void check_edge_matrix(const char* fn, const char* name, const CsrGraph& graph, Eigen::Index rows,
                       Eigen::Index cols, Eigen::Index heads) {
  check_shape(fn, name, rows, cols, "(E, H)", graph.num_edges(), heads);
}

}  // namespace

template <typename T>
void head_dot_forward(MatrixCRef<T> z, MatrixCRef<T> a, MatrixRef<T> s) {
  constexpr const char* fn = "head_dot_forward";
  check_head_dot(fn, z, a);
  check_shape(fn, "s", s.rows(), s.cols(), "(N, H)", z.rows(), a.rows());
  detail::dispatch_heads(a.rows(), a.cols(), [&](auto h, auto f) {
    head_dot_forward_kernel<T, decltype(h)::value, decltype(f)::value>(z, a, s);
  });
}

template <typename T>
void head_dot_backward(MatrixCRef<T> z, MatrixCRef<T> a, MatrixCRef<T> grad_s, MatrixRef<T> grad_z,
                       MatrixRef<T> grad_a) {
  constexpr const char* fn = "head_dot_backward";
  check_head_dot(fn, z, a);
  check_shape(fn, "grad_s", grad_s.rows(), grad_s.cols(), "(N, H)", z.rows(), a.rows());
  check_shape(fn, "grad_z", grad_z.rows(), grad_z.cols(), "the shape of z (N, H·F)", z.rows(),
              z.cols());
  check_shape(fn, "grad_a", grad_a.rows(), grad_a.cols(), "the shape of a (H, F)", a.rows(),
              a.cols());
  detail::dispatch_heads(a.rows(), a.cols(), [&](auto h, auto f) {
    head_dot_backward_kernel<T, decltype(h)::value, decltype(f)::value>(z, a, grad_s, grad_z,
                                                                        grad_a);
  });
}

template <typename T>
void edge_score_forward(const CsrGraph& graph, MatrixCRef<T> s_src, MatrixCRef<T> s_dst,
                        T negative_slope, MatrixRef<T> e) {
  constexpr const char* fn = "edge_score_forward";
  check_node_scores(fn, graph, s_src, s_dst, negative_slope);
  check_edge_matrix(fn, "e", graph, e.rows(), e.cols(), s_src.cols());
  detail::dispatch_head_count(s_src.cols(), [&](auto h) {
    edge_score_forward_kernel<T, decltype(h)::value, false>(graph, s_src, s_dst, nullptr,
                                                            negative_slope, e);
  });
}

template <typename T>
void edge_score_forward(const CsrGraph& graph, MatrixCRef<T> s_src, MatrixCRef<T> s_dst,
                        MatrixCRef<T> s_edge, T negative_slope, MatrixRef<T> e) {
  constexpr const char* fn = "edge_score_forward";
  check_node_scores(fn, graph, s_src, s_dst, negative_slope);
  check_edge_matrix(fn, "s_edge", graph, s_edge.rows(), s_edge.cols(), s_src.cols());
  check_edge_matrix(fn, "e", graph, e.rows(), e.cols(), s_src.cols());
  detail::dispatch_head_count(s_src.cols(), [&](auto h) {
    edge_score_forward_kernel<T, decltype(h)::value, true>(graph, s_src, s_dst, s_edge.data(),
                                                           negative_slope, e);
  });
}

template <typename T>
void edge_score_backward(const CsrGraph& graph, MatrixCRef<T> s_src, MatrixCRef<T> s_dst,
                         T negative_slope, MatrixCRef<T> grad_e, MatrixRef<T> grad_s_src,
                         MatrixRef<T> grad_s_dst) {
  constexpr const char* fn = "edge_score_backward";
  check_node_scores(fn, graph, s_src, s_dst, negative_slope);
  check_edge_matrix(fn, "grad_e", graph, grad_e.rows(), grad_e.cols(), s_src.cols());
  check_shape(fn, "grad_s_src", grad_s_src.rows(), grad_s_src.cols(), "the shape of s_src (N, H)",
              s_src.rows(), s_src.cols());
  check_shape(fn, "grad_s_dst", grad_s_dst.rows(), grad_s_dst.cols(), "the shape of s_src (N, H)",
              s_src.rows(), s_src.cols());
  detail::dispatch_head_count(s_src.cols(), [&](auto h) {
    edge_score_backward_kernel<T, decltype(h)::value, false>(
        graph, s_src, s_dst, nullptr, negative_slope, grad_e, grad_s_src, grad_s_dst, nullptr);
  });
}

template <typename T>
void edge_score_backward(const CsrGraph& graph, MatrixCRef<T> s_src, MatrixCRef<T> s_dst,
                         MatrixCRef<T> s_edge, T negative_slope, MatrixCRef<T> grad_e,
                         MatrixRef<T> grad_s_src, MatrixRef<T> grad_s_dst,
                         MatrixRef<T> grad_s_edge) {
  constexpr const char* fn = "edge_score_backward";
  check_node_scores(fn, graph, s_src, s_dst, negative_slope);
  check_edge_matrix(fn, "s_edge", graph, s_edge.rows(), s_edge.cols(), s_src.cols());
  check_edge_matrix(fn, "grad_e", graph, grad_e.rows(), grad_e.cols(), s_src.cols());
  check_shape(fn, "grad_s_src", grad_s_src.rows(), grad_s_src.cols(), "the shape of s_src (N, H)",
              s_src.rows(), s_src.cols());
  check_shape(fn, "grad_s_dst", grad_s_dst.rows(), grad_s_dst.cols(), "the shape of s_src (N, H)",
              s_src.rows(), s_src.cols());
  check_edge_matrix(fn, "grad_s_edge", graph, grad_s_edge.rows(), grad_s_edge.cols(), s_src.cols());
  detail::dispatch_head_count(s_src.cols(), [&](auto h) {
    edge_score_backward_kernel<T, decltype(h)::value, true>(graph, s_src, s_dst, s_edge.data(),
                                                            negative_slope, grad_e, grad_s_src,
                                                            grad_s_dst, grad_s_edge.data());
  });
}

#define GAT_INSTANTIATE(T)                                                                      \
  template void head_dot_forward<T>(MatrixCRef<T>, MatrixCRef<T>, MatrixRef<T>);                \
  template void head_dot_backward<T>(MatrixCRef<T>, MatrixCRef<T>, MatrixCRef<T>, MatrixRef<T>, \
                                     MatrixRef<T>);                                             \
  template void edge_score_forward<T>(const CsrGraph&, MatrixCRef<T>, MatrixCRef<T>, T,         \
                                      MatrixRef<T>);                                            \
  template void edge_score_backward<T>(const CsrGraph&, MatrixCRef<T>, MatrixCRef<T>, T,        \
                                       MatrixCRef<T>, MatrixRef<T>, MatrixRef<T>);              \
  template void edge_score_forward<T>(const CsrGraph&, MatrixCRef<T>, MatrixCRef<T>,            \
                                      MatrixCRef<T>, T, MatrixRef<T>);                          \
  template void edge_score_backward<T>(const CsrGraph&, MatrixCRef<T>, MatrixCRef<T>,           \
                                       MatrixCRef<T>, T, MatrixCRef<T>, MatrixRef<T>,           \
                                       MatrixRef<T>, MatrixRef<T>);
GAT_INSTANTIATE(float)
GAT_INSTANTIATE(double)
#undef GAT_INSTANTIATE

}  // namespace gat::ops
