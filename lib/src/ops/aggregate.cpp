#include "gat/ops/aggregate.hpp"

#include <cassert>

#include "kernel_util.hpp"
#include "row_access.hpp"

namespace gat::ops {
namespace {

using detail::Int;
using detail::row;

// A node's (H·F) row seen as an (F, H) column-major block: column h holds head h.
template <typename T, int kH, int kF>
using Block = Eigen::Matrix<T, kF, kH>;
template <typename T, int kH, int kF>
using BlockMap = Eigen::Map<Block<T, kH, kF>>;
template <typename T, int kH, int kF>
using ConstBlockMap = Eigen::Map<const Block<T, kH, kF>>;

// kH, kF > 0: compile-time heads and features per head (the output row lives in registers);
// 0: run-time shape.
template <typename T, int kH, int kF>
void aggregate_forward_kernel(const CsrGraph& graph, const MatrixCRef<T>& alpha,
                              const MatrixCRef<T>& z, MatrixRef<T>& out) {
  const auto& rp = graph.row_ptr();
  const auto& src = graph.src();
  const Eigen::Index h_count = kH > 0 ? kH : alpha.cols();
  const Eigen::Index f_count = kF > 0 ? kF : z.cols() / alpha.cols();
  const Eigen::Index hf = h_count * f_count;
#pragma omp parallel for schedule(dynamic, 64)
  for (NodeId i = 0; i < graph.num_nodes(); ++i) {
    T* __restrict oi = row(out, i);
    if constexpr (kH > 0) {
      // Column h of the (F, H) block is head h's features: one fixed-size AXPY per head,
      // which Eigen emits as whole vector registers.
      Block<T, kH, kF> acc = Block<T, kH, kF>::Zero();
      for (EdgeId p = rp[i]; p < rp[i + 1]; ++p) {
        const T* ap = row(alpha, p);
        const ConstBlockMap<T, kH, kF> zj(row(z, src[p]));
        for (int h = 0; h < kH; ++h) acc.col(h) += ap[h] * zj.col(h);
      }
      BlockMap<T, kH, kF> out_block(oi);
      out_block = acc;
    } else {
      for (Eigen::Index c = 0; c < hf; ++c) oi[c] = T(0);
      for (EdgeId p = rp[i]; p < rp[i + 1]; ++p) {
        const T* __restrict ap = row(alpha, p);
        const T* __restrict zj = row(z, src[p]);
        for (Eigen::Index h = 0; h < h_count; ++h) {
          const T w = ap[h];
          for (Eigen::Index f = 0; f < f_count; ++f) oi[h * f_count + f] += w * zj[h * f_count + f];
        }
      }
    }
  }
}

template <typename T, int kH, int kF>
void aggregate_backward_kernel(const CsrGraph& graph, const MatrixCRef<T>& alpha,
                               const MatrixCRef<T>& z, const MatrixCRef<T>& grad_out,
                               MatrixRef<T>& grad_alpha, MatrixRef<T>& grad_z) {
  const auto& rp = graph.row_ptr();
  const auto& src = graph.src();
  const Eigen::Index h_count = kH > 0 ? kH : alpha.cols();
  const Eigen::Index f_count = kF > 0 ? kF : z.cols() / alpha.cols();
  // d out[i,h,:] / d alpha[p,h] = z[j,h,:], so grad_alpha[p,h] = <grad_out[i,h,:], z[j,h,:]>.
#pragma omp parallel for schedule(dynamic, 64)
  for (NodeId i = 0; i < graph.num_nodes(); ++i) {
    const T* __restrict gi = row(grad_out, i);
    if constexpr (kH > 0) {
      const ConstBlockMap<T, kH, kF> g(gi);
      for (EdgeId p = rp[i]; p < rp[i + 1]; ++p) {
        const ConstBlockMap<T, kH, kF> zj(row(z, src[p]));
        // Per head, the dot product of F features: column sums of the element-wise product.
        Eigen::Map<Eigen::Matrix<T, 1, kH>>(row(grad_alpha, p)) =
            g.cwiseProduct(zj).colwise().sum();
      }
      continue;
    }
    for (EdgeId p = rp[i]; p < rp[i + 1]; ++p) {
      const T* __restrict zj = row(z, src[p]);
      T* __restrict gp = row(grad_alpha, p);
      for (Eigen::Index h = 0; h < h_count; ++h) {
        T acc = 0;
        for (Eigen::Index f = 0; f < f_count; ++f) acc += gi[h * f_count + f] * zj[h * f_count + f];
        gp[h] = acc;
      }
    }
  }
  // d out[i,h,:] / d z[j,h,:] = alpha[p,h]: the same aggregation on the reversed graph.
  const auto& t = graph.transpose();
#pragma omp parallel for schedule(dynamic, 64)
  for (NodeId j = 0; j < graph.num_nodes(); ++j) {
    T* __restrict gzj = row(grad_z, j);
    if constexpr (kH > 0) {
      BlockMap<T, kH, kF> gz(gzj);
      Block<T, kH, kF> acc = gz;
      for (EdgeId q = t.row_ptr[j]; q < t.row_ptr[j + 1]; ++q) {
        const T* ap = row(alpha, t.slot[q]);
        const ConstBlockMap<T, kH, kF> gi(row(grad_out, t.dst[q]));
        for (int h = 0; h < kH; ++h) acc.col(h) += ap[h] * gi.col(h);
      }
      gz = acc;
      continue;
    }
    for (EdgeId q = t.row_ptr[j]; q < t.row_ptr[j + 1]; ++q) {
      const T* __restrict ap = row(alpha, t.slot[q]);
      const T* __restrict gi = row(grad_out, t.dst[q]);
      for (Eigen::Index h = 0; h < h_count; ++h) {
        const T w = ap[h];
        for (Eigen::Index f = 0; f < f_count; ++f) gzj[h * f_count + f] += w * gi[h * f_count + f];
      }
    }
  }
}

}  // namespace

template <typename T>
void aggregate_forward(const CsrGraph& graph, MatrixCRef<T> alpha, MatrixCRef<T> z,
                       MatrixRef<T> out) {
  assert(out.rows() == graph.num_nodes() && out.cols() == z.cols() &&
         alpha.rows() == graph.num_edges());
  detail::dispatch_heads(alpha.cols(), z.cols() / alpha.cols(), [&](auto h, auto f) {
    aggregate_forward_kernel<T, decltype(h)::value, decltype(f)::value>(graph, alpha, z, out);
  });
}

template <typename T>
void aggregate_backward(const CsrGraph& graph, MatrixCRef<T> alpha, MatrixCRef<T> z,
                        MatrixCRef<T> grad_out, MatrixRef<T> grad_alpha, MatrixRef<T> grad_z) {
  detail::dispatch_heads(alpha.cols(), z.cols() / alpha.cols(), [&](auto h, auto f) {
    aggregate_backward_kernel<T, decltype(h)::value, decltype(f)::value>(graph, alpha, z, grad_out,
                                                                         grad_alpha, grad_z);
  });
}

#define GAT_INSTANTIATE(T)                                                                         \
  template void aggregate_forward<T>(const CsrGraph&, MatrixCRef<T>, MatrixCRef<T>, MatrixRef<T>); \
  template void aggregate_backward<T>(const CsrGraph&, MatrixCRef<T>, MatrixCRef<T>,               \
                                      MatrixCRef<T>, MatrixRef<T>, MatrixRef<T>);
GAT_INSTANTIATE(float)
GAT_INSTANTIATE(double)
#undef GAT_INSTANTIATE

}  // namespace gat::ops
