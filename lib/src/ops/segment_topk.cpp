#include "gat/ops/segment_topk.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>

#include "check_util.hpp"
#include "gat/core/error.hpp"
#include "row_access.hpp"

namespace gat::ops {

using detail::row;

namespace {

// Segments handed to a thread at a time. Segments are independent, so the result does not
// depend on how they are scheduled.
constexpr int kSegmentChunk = 64;

template <typename T>
void segment_topk_forward_kernel(const std::vector<EdgeId>& offsets, EdgeId longest, EdgeId k,
                                 const MatrixCRef<T>& x, MatrixRef<T>& y) {
  constexpr T kMinusInf = -std::numeric_limits<T>::infinity();
  const Eigen::Index h_count = x.cols();
  const auto segments = static_cast<Eigen::Index>(offsets.size()) - 1;
#pragma omp parallel
  {
    // Per-thread scratch, allocated once per call: the ranking key of each slot of a segment
    // column, the slots to partially sort, and the keep flags of every column of the segment
    // (slot-major), all filled before any output is written so that y may alias x.
    const auto n_max = static_cast<std::size_t>(longest);
    std::vector<T> key(n_max);
    std::vector<EdgeId> order(n_max);
    std::vector<unsigned char> keep(n_max * static_cast<std::size_t>(h_count));
#pragma omp for schedule(dynamic, kSegmentChunk)
    for (Eigen::Index s = 0; s < segments; ++s) {
      const EdgeId b = offsets[s], e = offsets[s + 1], n = e - b;
      if (n <= k) {
        // Everything survives: the mask is the identity.
        // Element by element: in place, source and destination are the same row.
        for (EdgeId p = b; p < e; ++p) {
          const T* xp = row(x, p);
          T* yp = row(y, p);
          for (Eigen::Index h = 0; h < h_count; ++h) yp[h] = xp[h];
        }
        continue;
      }
      for (Eigen::Index h = 0; h < h_count; ++h) {
        // NaN ranks as −∞ so that the order below is a strict total order (std::nth_element
        // needs one): larger key first, then the earlier slot.
        for (EdgeId i = 0; i < n; ++i) {
          const T v = row(x, b + i)[h];
          key[static_cast<std::size_t>(i)] = std::isnan(v) ? kMinusInf : v;
        }
        std::iota(order.begin(), order.begin() + n, EdgeId{0});
        const auto ranks_before = [&](EdgeId i, EdgeId j) {
          const T ki = key[static_cast<std::size_t>(i)], kj = key[static_cast<std::size_t>(j)];
          return ki > kj || (ki == kj && i < j);
        };
        // After this the first k entries of `order` are the k highest-ranked slots.
        std::nth_element(order.begin(), order.begin() + k, order.begin() + n, ranks_before);
        for (EdgeId i = 0; i < n; ++i) keep[static_cast<std::size_t>(i * h_count + h)] = 0;
        for (EdgeId r = 0; r < k; ++r) {
          keep[static_cast<std::size_t>(order[static_cast<std::size_t>(r)] * h_count + h)] = 1;
        }
      }
      for (EdgeId i = 0; i < n; ++i) {
        const T* xp = row(x, b + i);
        T* yp = row(y, b + i);
        const unsigned char* kp = keep.data() + i * h_count;
        for (Eigen::Index h = 0; h < h_count; ++h) {
          const T v = xp[h];
          yp[h] = (kp[h] != 0 || std::isnan(v)) ? v : kMinusInf;
        }
      }
    }
  }
}

template <typename T>
void segment_topk_backward_kernel(const std::vector<EdgeId>& offsets, const MatrixCRef<T>& y,
                                  const MatrixCRef<T>& grad_y, MatrixRef<T>& grad_x) {
  constexpr T kMinusInf = -std::numeric_limits<T>::infinity();
  const Eigen::Index h_count = y.cols();
  const auto segments = static_cast<Eigen::Index>(offsets.size()) - 1;
#pragma omp parallel for schedule(dynamic, kSegmentChunk)
  for (Eigen::Index s = 0; s < segments; ++s) {
    for (EdgeId p = offsets[s]; p < offsets[s + 1]; ++p) {
      const T* yp = row(y, p);
      const T* gp = row(grad_y, p);
      T* gx = row(grad_x, p);
      // Forward: y = kept ? x : −∞, so ∂y/∂x is 1 on kept entries and 0 on masked ones.
      for (Eigen::Index h = 0; h < h_count; ++h) gx[h] = yp[h] == kMinusInf ? T(0) : gp[h];
    }
  }
}

}  // namespace

template <typename T>
void segment_topk_forward(const std::vector<EdgeId>& offsets, Eigen::Index k, MatrixCRef<T> x,
                          MatrixRef<T> y) {
  GAT_CHECK(k >= 1,
            "segment_topk_forward: k must be at least 1 (neighbours kept per node), got " << k);
  const EdgeId longest =
      detail::check_segments("segment_topk_forward", offsets, x.rows(), "score matrix");
  detail::check_same_shape("segment_topk_forward", "x", x, "y", y);
  segment_topk_forward_kernel<T>(offsets, longest, static_cast<EdgeId>(k), x, y);
}

template <typename T>
void segment_topk_backward(const std::vector<EdgeId>& offsets, MatrixCRef<T> y,
                           MatrixCRef<T> grad_y, MatrixRef<T> grad_x) {
  detail::check_segments("segment_topk_backward", offsets, y.rows(), "score matrix");
  detail::check_same_shape("segment_topk_backward", "y", y, "grad_y", grad_y);
  detail::check_same_shape("segment_topk_backward", "y", y, "grad_x", grad_x);
  segment_topk_backward_kernel<T>(offsets, y, grad_y, grad_x);
}

#define GAT_INSTANTIATE(T)                                                                         \
  template void segment_topk_forward<T>(const std::vector<EdgeId>&, Eigen::Index, MatrixCRef<T>,   \
                                        MatrixRef<T>);                                             \
  template void segment_topk_backward<T>(const std::vector<EdgeId>&, MatrixCRef<T>, MatrixCRef<T>, \
                                         MatrixRef<T>);
GAT_INSTANTIATE(float)
GAT_INSTANTIATE(double)
#undef GAT_INSTANTIATE

}  // namespace gat::ops
