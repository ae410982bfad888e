#include "gat/ops/segment_softmax.hpp"

#include <algorithm>
#include <cmath>

#include "check_util.hpp"
#include "kernel_util.hpp"
#include "row_access.hpp"

namespace gat::ops {

using detail::row;

namespace {

// kH > 0: compile-time head count, so the H running maxima and sums live in registers.
template <typename T, int kH>
void segment_softmax_forward_kernel(const std::vector<EdgeId>& offsets, const MatrixCRef<T>& x,
                                    MatrixRef<T>& y) {
  const Eigen::Index h_count = kH > 0 ? kH : x.cols();
  const auto segments = static_cast<Eigen::Index>(offsets.size()) - 1;
#pragma omp parallel
  {
    // Scratch of H maxima and sums: fixed-size arrays when H is known, else per thread.
    Eigen::Array<T, 1, (kH > 0 ? kH : Eigen::Dynamic)> mx(h_count), sum(h_count);
#pragma omp for schedule(dynamic, 64)
    for (Eigen::Index s = 0; s < segments; ++s) {
      const EdgeId b = offsets[s], e = offsets[s + 1];
      if (b == e) continue;  // empty neighbourhood: no weights, its aggregate is zero
      for (Eigen::Index h = 0; h < h_count; ++h) mx[h] = row(x, b)[h];
      for (EdgeId p = b + 1; p < e; ++p) {
        const T* xp = row(x, p);
        for (Eigen::Index h = 0; h < h_count; ++h) mx[h] = std::max(mx[h], xp[h]);
      }
      // Subtracting the maximum keeps every exponent ≤ 0: no overflow, and the largest
      // term is exactly 1, so the sum is ≥ 1 and the division is safe.
      sum.setZero();
      for (EdgeId p = b; p < e; ++p) {
        const T* xp = row(x, p);
        T* yp = row(y, p);
        for (Eigen::Index h = 0; h < h_count; ++h) {
          yp[h] = detail::kernel_exp(xp[h] - mx[h]);
          sum[h] += yp[h];
        }
      }
      for (Eigen::Index h = 0; h < h_count; ++h) sum[h] = T(1) / sum[h];
      for (EdgeId p = b; p < e; ++p) {
        T* yp = row(y, p);
        for (Eigen::Index h = 0; h < h_count; ++h) yp[h] *= sum[h];
      }
    }
  }
}

template <typename T, int kH>
void segment_softmax_backward_kernel(const std::vector<EdgeId>& offsets, const MatrixCRef<T>& y,
                                     const MatrixCRef<T>& grad_y, MatrixRef<T>& grad_x) {
  const Eigen::Index h_count = kH > 0 ? kH : y.cols();
  const auto segments = static_cast<Eigen::Index>(offsets.size()) - 1;
#pragma omp parallel
  {
    Eigen::Array<T, 1, (kH > 0 ? kH : Eigen::Dynamic)> dot(h_count);
#pragma omp for schedule(dynamic, 64)
    for (Eigen::Index s = 0; s < segments; ++s) {
      const EdgeId b = offsets[s], e = offsets[s + 1];
      // The Jacobian of softmax is diag(y) - y yᵀ, so grad_x = y ⊙ (grad_y - <y, grad_y>).
      dot.setZero();
      for (EdgeId p = b; p < e; ++p) {
        const T* yp = row(y, p);
        const T* gp = row(grad_y, p);
        for (Eigen::Index h = 0; h < h_count; ++h) dot[h] += yp[h] * gp[h];
      }
      for (EdgeId p = b; p < e; ++p) {
        const T* yp = row(y, p);
        const T* gp = row(grad_y, p);
        T* gx = row(grad_x, p);
        for (Eigen::Index h = 0; h < h_count; ++h) gx[h] = yp[h] * (gp[h] - dot[h]);
      }
    }
  }
}

}  // namespace

template <typename T>
void segment_softmax_forward(const std::vector<EdgeId>& offsets, MatrixCRef<T> x, MatrixRef<T> y) {
  constexpr const char* fn = "segment_softmax_forward";
  detail::check_segments(fn, offsets, x.rows(), "score matrix");
  detail::check_same_shape(fn, "x", x, "y", y);
  detail::dispatch_head_count(x.cols(), [&](auto h) {
    segment_softmax_forward_kernel<T, decltype(h)::value>(offsets, x, y);
  });
}

template <typename T>
void segment_softmax_backward(const std::vector<EdgeId>& offsets, MatrixCRef<T> y,
                              MatrixCRef<T> grad_y, MatrixRef<T> grad_x) {
  constexpr const char* fn = "segment_softmax_backward";
  detail::check_segments(fn, offsets, y.rows(), "score matrix");
  detail::check_same_shape(fn, "y", y, "grad_y", grad_y);
  detail::check_same_shape(fn, "y", y, "grad_x", grad_x);
  detail::dispatch_head_count(y.cols(), [&](auto h) {
    segment_softmax_backward_kernel<T, decltype(h)::value>(offsets, y, grad_y, grad_x);
  });
}

#define GAT_INSTANTIATE(T)                                                             \
  template void segment_softmax_forward<T>(const std::vector<EdgeId>&, MatrixCRef<T>,  \
                                           MatrixRef<T>);                              \
  template void segment_softmax_backward<T>(const std::vector<EdgeId>&, MatrixCRef<T>, \
                                            MatrixCRef<T>, MatrixRef<T>);
GAT_INSTANTIATE(float)
GAT_INSTANTIATE(double)
#undef GAT_INSTANTIATE

}  // namespace gat::ops
