#include "gat/ops/segment_softmax.hpp"

#include <algorithm>
#include <cmath>

#include "attention_rows.hpp"
#include "check_util.hpp"
#include "kernel_util.hpp"

namespace gat::ops {

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
    detail::HeadValues<T, kH> mx(h_count), sum(h_count);
#pragma omp for schedule(dynamic, 64)
    for (Eigen::Index s = 0; s < segments; ++s) {
      const EdgeId b = offsets[s], e = offsets[s + 1];
      if (b == e) continue;  // empty neighbourhood: no weights, its aggregate is zero
      detail::softmax_row<T, kH>(b, e, h_count, x, y, mx, sum);
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
    detail::HeadValues<T, kH> dot(h_count);
#pragma omp for schedule(dynamic, 64)
    for (Eigen::Index s = 0; s < segments; ++s) {
      detail::softmax_backward_row<T, kH>(offsets[s], offsets[s + 1], h_count, y, grad_y, grad_x,
                                          dot);
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
