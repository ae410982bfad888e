#include "gat/ops/aggregate.hpp"

#include <algorithm>

#include "attention_rows.hpp"
#include "check_util.hpp"
#include "gat/core/error.hpp"
#include "kernel_util.hpp"
#include "row_access.hpp"

namespace gat::ops {

using detail::check_shape;
namespace {

using detail::Int;
using detail::row;

// kH, kF > 0: compile-time heads and features per head (the output row lives in registers);
// 0: run-time shape.
template <typename T, int kH, int kF>
void aggregate_forward_kernel(const CsrGraph& graph, const MatrixCRef<T>& alpha,
                              const MatrixCRef<T>& z, MatrixRef<T>& out) {
  const auto& rp = graph.row_ptr();
  const Eigen::Index h_count = kH > 0 ? kH : alpha.cols();
  const Eigen::Index f_count = kF > 0 ? kF : z.cols() / alpha.cols();
#pragma omp parallel for schedule(dynamic, 64)
  for (NodeId i = 0; i < graph.num_nodes(); ++i) {
    const EdgeId b = rp[i];
    detail::aggregate_row<T, kH, kF>(b, rp[i + 1], graph.src(), row(alpha, b), alpha.outerStride(),
                                     z, h_count, f_count, row(out, i));
  }
}

template <typename T, int kH, int kF>
void aggregate_backward_kernel(const CsrGraph& graph, const MatrixCRef<T>& alpha,
                               const MatrixCRef<T>& z, const MatrixCRef<T>& grad_out,
                               MatrixRef<T>& grad_alpha, MatrixRef<T>& grad_z) {
  const auto& rp = graph.row_ptr();
  const Eigen::Index h_count = kH > 0 ? kH : alpha.cols();
  const Eigen::Index f_count = kF > 0 ? kF : z.cols() / alpha.cols();
#pragma omp parallel for schedule(dynamic, 64)
  for (NodeId i = 0; i < graph.num_nodes(); ++i) {
    detail::aggregate_weight_grad_row<T, kH, kF>(rp[i], rp[i + 1], graph.src(), row(grad_out, i), z,
                                                 h_count, f_count, grad_alpha);
  }
  // The same aggregation on the reversed graph, per source row.
  const auto& t = graph.transpose();
  const auto weights = [&](EdgeId q) { return row(alpha, t.slot[q]); };
#pragma omp parallel for schedule(dynamic, 64)
  for (NodeId j = 0; j < graph.num_nodes(); ++j) {
    detail::aggregate_source_grad_row<T, kH, kF>(j, t, weights, grad_out, h_count, f_count,
                                                 row(grad_z, j), [](EdgeId) {});
  }
}

// ---- channel-wise aggregation (multi-dimensional attention) ---------------------------------

// A compile-time extent, or Eigen::Dynamic for the run-time-width kernel (0).
template <int kN>
constexpr int kExtent = kN > 0 ? kN : Eigen::Dynamic;
// A whole (H·F) row as one vector of C channels: alpha, z and out rows all have this shape,
// and every operation below is element-wise along it, so it maps onto whole vector registers.
template <typename T, int kW>
using Channels = Eigen::Array<T, 1, kExtent<kW>>;
template <typename T, int kW>
using ChannelMap = Eigen::Map<Channels<T, kW>>;
template <typename T, int kW>
using ConstChannelMap = Eigen::Map<const Channels<T, kW>>;

// kW > 0: compile-time channel count C, the accumulator row held in registers; 0: run-time C,
// plain loops over restrict pointers (accumulating in out's row, which stays in L1) that the
// compiler vectorises without the per-operation overhead of dynamic-size Eigen expressions.
// Each output row is written by one thread, summing its slots in slot order (the order of
// aggregate_forward with C heads of width 1), so the result is the same bits at any thread count.
template <typename T, int kW>
void aggregate_channels_forward_kernel(const CsrGraph& graph, const MatrixCRef<T>& alpha,
                                       const MatrixCRef<T>& z, MatrixRef<T>& out) {
  const auto& rp = graph.row_ptr();
  const auto& src = graph.src();
  const Eigen::Index w = z.cols();
#pragma omp parallel for schedule(dynamic, 64)
  for (NodeId i = 0; i < graph.num_nodes(); ++i) {
    if constexpr (kW > 0) {
      Channels<T, kW> acc = Channels<T, kW>::Zero();
      for (EdgeId p = rp[i]; p < rp[i + 1]; ++p) {
        acc += ConstChannelMap<T, kW>(row(alpha, p)) * ConstChannelMap<T, kW>(row(z, src[p]));
      }
      ChannelMap<T, kW>(row(out, i)) = acc;
    } else {
      T* __restrict oi = row(out, i);
      for (Eigen::Index c = 0; c < w; ++c) oi[c] = T(0);
      for (EdgeId p = rp[i]; p < rp[i + 1]; ++p) {
        const T* __restrict ap = row(alpha, p);
        const T* __restrict zj = row(z, src[p]);
        for (Eigen::Index c = 0; c < w; ++c) oi[c] += ap[c] * zj[c];
      }
    }
  }
}

using detail::kPrefetchSlots;
using detail::prefetch_row;

//   out[i, c] = Σ alpha[p, c] · z[j, c]  →  ∂out[i, c]/∂z[j, c]     = alpha[p, c]
//                                            ∂out[i, c]/∂alpha[p, c] = z[j, c],
// so grad_z[j] += Σ_{p = (j → i)} alpha[p] ⊙ grad_out[i] (a sum over j's out-edges: the same
// aggregation on the transpose), and grad_alpha[p] = grad_out[i] ⊙ z[j] (one product per
// edge, no sum). Two passes, each writing its rows from one thread with a fixed order: grad_z
// per source row on the transpose, then grad_alpha per destination row in slot order, so that
// the large (E, H·F) output is written sequentially. (One fused pass over the transpose reads
// each grad_out row once instead of twice but scatters the grad_alpha rows; it was no faster.)
// grad_z comes first: it is the only pass reading alpha, so grad_alpha may be alpha itself.
template <typename T, int kW>
void aggregate_channels_backward_kernel(const CsrGraph& graph, const MatrixCRef<T>& alpha,
                                        const MatrixCRef<T>& z, const MatrixCRef<T>& grad_out,
                                        MatrixRef<T>& grad_alpha, MatrixRef<T>& grad_z) {
  const NodeId n = graph.num_nodes();
  const Eigen::Index w = z.cols();
  const auto& t = graph.transpose();
  const auto e = static_cast<EdgeId>(t.slot.size());
  // Accumulated onto grad_z's row in transposed-slot order (as aggregate_backward does).
#pragma omp parallel for schedule(dynamic, 64)
  for (NodeId j = 0; j < n; ++j) {
    if (t.row_ptr[j] == t.row_ptr[j + 1]) continue;  // no out-edges: grad_z[j] unchanged
    if constexpr (kW > 0) {
      ChannelMap<T, kW> gz(row(grad_z, j));
      Channels<T, kW> acc = gz;
      for (EdgeId q = t.row_ptr[j]; q < t.row_ptr[j + 1]; ++q) {
        if (q + kPrefetchSlots < e) prefetch_row(row(alpha, t.slot[q + kPrefetchSlots]), w);
        acc += ConstChannelMap<T, kW>(row(alpha, t.slot[q])) *
               ConstChannelMap<T, kW>(row(grad_out, t.dst[q]));
      }
      gz = acc;
    } else {
      T* __restrict gzj = row(grad_z, j);
      for (EdgeId q = t.row_ptr[j]; q < t.row_ptr[j + 1]; ++q) {
        if (q + kPrefetchSlots < e) prefetch_row(row(alpha, t.slot[q + kPrefetchSlots]), w);
        const T* __restrict ap = row(alpha, t.slot[q]);
        const T* __restrict gi = row(grad_out, t.dst[q]);
        for (Eigen::Index c = 0; c < w; ++c) gzj[c] += ap[c] * gi[c];
      }
    }
  }
  const auto& rp = graph.row_ptr();
  const auto& src = graph.src();
#pragma omp parallel for schedule(dynamic, 64)
  for (NodeId i = 0; i < n; ++i) {
    if constexpr (kW > 0) {
      const ConstChannelMap<T, kW> gi(row(grad_out, i));
      for (EdgeId p = rp[i]; p < rp[i + 1]; ++p) {
        ChannelMap<T, kW>(row(grad_alpha, p)) = gi * ConstChannelMap<T, kW>(row(z, src[p]));
      }
    } else {
      const T* __restrict gi = row(grad_out, i);
      for (EdgeId p = rp[i]; p < rp[i + 1]; ++p) {
        T* __restrict gp = row(grad_alpha, p);
        const T* __restrict zj = row(z, src[p]);
        for (Eigen::Index c = 0; c < w; ++c) gp[c] = gi[c] * zj[c];
      }
    }
  }
}

// z (N, C) fixes the channel count C = H·F; alpha (E, C) must match it and the graph.
template <typename T>
void check_channel_inputs(const char* fn, const CsrGraph& graph, const MatrixCRef<T>& alpha,
                          const MatrixCRef<T>& z) {
  GAT_CHECK(z.rows() == graph.num_nodes(), fn << ": z has " << z.rows()
                                              << " rows but the graph has " << graph.num_nodes()
                                              << " nodes; z must be (N, H·F)");
  check_shape(fn, "alpha", alpha.rows(), alpha.cols(), "(E, H·F) with H·F = z's width",
              graph.num_edges(), z.cols());
}

// alpha (E, H) and z (N, H·F): H ≥ 1 heads dividing z's width.
template <typename T>
void check_head_inputs(const char* fn, const CsrGraph& graph, const MatrixCRef<T>& alpha,
                       const MatrixCRef<T>& z) {
  GAT_CHECK(z.rows() == graph.num_nodes(), fn << ": z has " << z.rows()
                                              << " rows but the graph has " << graph.num_nodes()
                                              << " nodes; z must be (N, H·F)");
  GAT_CHECK(alpha.cols() > 0 && z.cols() % alpha.cols() == 0,
            fn << ": alpha has " << alpha.cols() << " columns (heads H), which must be at least 1"
               << " and divide z's width H·F = " << z.cols());
  check_shape(fn, "alpha", alpha.rows(), alpha.cols(), "(E, H)", graph.num_edges(), alpha.cols());
}

}  // namespace

template <typename T>
void aggregate_forward(const CsrGraph& graph, MatrixCRef<T> alpha, MatrixCRef<T> z,
                       MatrixRef<T> out) {
  constexpr const char* fn = "aggregate_forward";
  check_head_inputs(fn, graph, alpha, z);
  check_shape(fn, "out", out.rows(), out.cols(), "(N, H·F)", z.rows(), z.cols());
  detail::dispatch_heads(alpha.cols(), z.cols() / alpha.cols(), [&](auto h, auto f) {
    aggregate_forward_kernel<T, decltype(h)::value, decltype(f)::value>(graph, alpha, z, out);
  });
}

template <typename T>
void aggregate_backward(const CsrGraph& graph, MatrixCRef<T> alpha, MatrixCRef<T> z,
                        MatrixCRef<T> grad_out, MatrixRef<T> grad_alpha, MatrixRef<T> grad_z) {
  constexpr const char* fn = "aggregate_backward";
  check_head_inputs(fn, graph, alpha, z);
  check_shape(fn, "grad_out", grad_out.rows(), grad_out.cols(), "(N, H·F)", z.rows(), z.cols());
  check_shape(fn, "grad_alpha", grad_alpha.rows(), grad_alpha.cols(), "(E, H)", alpha.rows(),
              alpha.cols());
  check_shape(fn, "grad_z", grad_z.rows(), grad_z.cols(), "(N, H·F)", z.rows(), z.cols());
  detail::dispatch_heads(alpha.cols(), z.cols() / alpha.cols(), [&](auto h, auto f) {
    aggregate_backward_kernel<T, decltype(h)::value, decltype(f)::value>(graph, alpha, z, grad_out,
                                                                         grad_alpha, grad_z);
  });
}

template <typename T>
void aggregate_channels_forward(const CsrGraph& graph, MatrixCRef<T> alpha, MatrixCRef<T> z,
                                MatrixRef<T> out) {
  constexpr const char* fn = "aggregate_channels_forward";
  check_channel_inputs(fn, graph, alpha, z);
  check_shape(fn, "out", out.rows(), out.cols(), "(N, H·F)", z.rows(), z.cols());
  detail::dispatch_width(z.cols(), [&](auto w) {
    aggregate_channels_forward_kernel<T, decltype(w)::value>(graph, alpha, z, out);
  });
}

template <typename T>
void aggregate_channels_backward(const CsrGraph& graph, MatrixCRef<T> alpha, MatrixCRef<T> z,
                                 MatrixCRef<T> grad_out, MatrixRef<T> grad_alpha,
                                 MatrixRef<T> grad_z) {
  constexpr const char* fn = "aggregate_channels_backward";
  check_channel_inputs(fn, graph, alpha, z);
  check_shape(fn, "grad_out", grad_out.rows(), grad_out.cols(), "(N, H·F)", z.rows(), z.cols());
  check_shape(fn, "grad_alpha", grad_alpha.rows(), grad_alpha.cols(), "(E, H·F)", alpha.rows(),
              alpha.cols());
  check_shape(fn, "grad_z", grad_z.rows(), grad_z.cols(), "(N, H·F)", z.rows(), z.cols());
  detail::dispatch_width(z.cols(), [&](auto w) {
    aggregate_channels_backward_kernel<T, decltype(w)::value>(graph, alpha, z, grad_out, grad_alpha,
                                                              grad_z);
  });
}

#define GAT_INSTANTIATE(T)                                                                         \
  template void aggregate_forward<T>(const CsrGraph&, MatrixCRef<T>, MatrixCRef<T>, MatrixRef<T>); \
  template void aggregate_backward<T>(const CsrGraph&, MatrixCRef<T>, MatrixCRef<T>,               \
                                      MatrixCRef<T>, MatrixRef<T>, MatrixRef<T>);                  \
  template void aggregate_channels_forward<T>(const CsrGraph&, MatrixCRef<T>, MatrixCRef<T>,       \
                                              MatrixRef<T>);                                       \
  template void aggregate_channels_backward<T>(const CsrGraph&, MatrixCRef<T>, MatrixCRef<T>,      \
                                               MatrixCRef<T>, MatrixRef<T>, MatrixRef<T>);
GAT_INSTANTIATE(float)
GAT_INSTANTIATE(double)
#undef GAT_INSTANTIATE

}  // namespace gat::ops
