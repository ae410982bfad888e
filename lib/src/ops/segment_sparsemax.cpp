#include "gat/ops/segment_sparsemax.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <functional>
#include <limits>

#include "check_util.hpp"
#include "gat/core/error.hpp"
#include "row_access.hpp"

namespace gat::ops {

using detail::row;

namespace {

// Segments handed to a thread at a time. Segments are independent (no reduction crosses
// them), so the result does not depend on how they are scheduled.
constexpr int kSegmentChunk = 64;

// The threshold τ of one segment column, whose n scores are sorted descending in z[0..n).
// Returns NaN when the projection is undefined: the largest score is +∞ or −∞ (all scores −∞).
// NaN scores are caught before the sort, which needs a strict weak order.
template <typename T>
T sparsemax_threshold(const T* z, EdgeId n) {
  if (!std::isfinite(z[0])) return std::numeric_limits<T>::quiet_NaN();
  // k = 1 always belongs to the support (1 + z_(1) > z_(1)); forcing it keeps k* ≥ 1 even if
  // rounding says otherwise for huge scores, so the division below is never by zero.
  T cumsum = z[0];
  T tau = cumsum - T(1);
  // The support condition 1 + k·z_(k) > Σ_{j≤k} z_(j), i.e. z_(k) > τ_k = (Σ_{j≤k} z_(j) − 1)/k,
  // holds for k = 1 … k* and fails for every k > k*, so the scan stops at the first failure.
  // It is tested as z_(k) > τ_k, the same expression as y = z − τ, so every score kept by the
  // scan gets y > 0. −∞ scores sort last and always fail (the sum becomes −∞ and −∞ > −∞ is
  // false): they get exactly 0.
  for (EdgeId k = 1; k < n; ++k) {
    const T next_sum = cumsum + z[k];
    const T next_tau = (next_sum - T(1)) / static_cast<T>(k + 1);
    if (!(z[k] > next_tau)) break;
    cumsum = next_sum;
    tau = next_tau;
  }
  return tau;
}

template <typename T>
void segment_sparsemax_forward_kernel(const std::vector<EdgeId>& offsets, EdgeId longest,
                                      const MatrixCRef<T>& x, MatrixRef<T>& y) {
  const Eigen::Index h_count = x.cols();
  const auto segments = static_cast<Eigen::Index>(offsets.size()) - 1;
#pragma omp parallel
  {
    // Per-thread scratch, allocated once per call: one segment column to sort, and the H
    // thresholds of the current segment (all computed before any output is written, so
    // that y may alias x).
    std::vector<T> sorted(static_cast<std::size_t>(longest));
    std::vector<T> tau(static_cast<std::size_t>(h_count));
#pragma omp for schedule(dynamic, kSegmentChunk)
    for (Eigen::Index s = 0; s < segments; ++s) {
      const EdgeId b = offsets[s], e = offsets[s + 1], n = e - b;
      if (n == 0) continue;  // empty neighbourhood: no weights
      for (Eigen::Index h = 0; h < h_count; ++h) {
        bool has_nan = false;
        for (EdgeId p = b; p < e; ++p) {
          const T v = row(x, p)[h];
          has_nan |= std::isnan(v);
          sorted[static_cast<std::size_t>(p - b)] = v;
        }
        if (has_nan) {
          tau[h] = std::numeric_limits<T>::quiet_NaN();
          continue;
        }
        std::sort(sorted.begin(), sorted.begin() + n, std::greater<T>());
        tau[h] = sparsemax_threshold(sorted.data(), n);
      }
      for (EdgeId p = b; p < e; ++p) {
        const T* xp = row(x, p);
        T* yp = row(y, p);
        for (Eigen::Index h = 0; h < h_count; ++h) {
          // y = max(z − τ, 0), written so that a NaN τ (or z) gives NaN rather than 0.
          const T d = xp[h] - tau[h];
          yp[h] = d < T(0) ? T(0) : d;
        }
      }
    }
  }
}

template <typename T>
void segment_sparsemax_backward_kernel(const std::vector<EdgeId>& offsets, const MatrixCRef<T>& y,
                                       const MatrixCRef<T>& grad_y, MatrixRef<T>& grad_x) {
  const Eigen::Index h_count = y.cols();
  const auto segments = static_cast<Eigen::Index>(offsets.size()) - 1;
#pragma omp parallel
  {
    std::vector<T> mean(static_cast<std::size_t>(h_count));
    std::vector<EdgeId> support(static_cast<std::size_t>(h_count));
#pragma omp for schedule(dynamic, kSegmentChunk)
    for (Eigen::Index s = 0; s < segments; ++s) {
      const EdgeId b = offsets[s], e = offsets[s + 1];
      // On the support the forward is y = z − τ(z) with τ = (Σ_{q∈S} z_q − 1)/|S|, so
      // ∂y_p/∂z_r = δ_pr − 1/|S| for p, r ∈ S and 0 otherwise: grad_x = grad_y minus its
      // mean over S, restricted to S. Summed in slot order: deterministic.
      std::fill(mean.begin(), mean.end(), T(0));
      std::fill(support.begin(), support.end(), EdgeId{0});
      for (EdgeId p = b; p < e; ++p) {
        const T* yp = row(y, p);
        const T* gp = row(grad_y, p);
        for (Eigen::Index h = 0; h < h_count; ++h) {
          if (yp[h] > T(0)) {
            mean[h] += gp[h];
            ++support[h];
          }
        }
      }
      for (Eigen::Index h = 0; h < h_count; ++h) {
        if (support[h] > 0) mean[h] /= static_cast<T>(support[h]);
      }
      for (EdgeId p = b; p < e; ++p) {
        const T* yp = row(y, p);
        const T* gp = row(grad_y, p);
        T* gx = row(grad_x, p);
        for (Eigen::Index h = 0; h < h_count; ++h) {
          gx[h] = yp[h] > T(0) ? gp[h] - mean[h] : T(0);
        }
      }
    }
  }
}

}  // namespace

template <typename T>
void segment_sparsemax_forward(const std::vector<EdgeId>& offsets, MatrixCRef<T> x,
                               MatrixRef<T> y) {
  const EdgeId longest =
      detail::check_segments("segment_sparsemax_forward", offsets, x.rows(), "score matrix");
  detail::check_same_shape("segment_sparsemax_forward", "x", x, "y", y);
  segment_sparsemax_forward_kernel<T>(offsets, longest, x, y);
}

template <typename T>
void segment_sparsemax_backward(const std::vector<EdgeId>& offsets, MatrixCRef<T> y,
                                MatrixCRef<T> grad_y, MatrixRef<T> grad_x) {
  detail::check_segments("segment_sparsemax_backward", offsets, y.rows(), "score matrix");
  detail::check_same_shape("segment_sparsemax_backward", "y", y, "grad_y", grad_y);
  detail::check_same_shape("segment_sparsemax_backward", "y", y, "grad_x", grad_x);
  segment_sparsemax_backward_kernel<T>(offsets, y, grad_y, grad_x);
}

#define GAT_INSTANTIATE(T)                                                               \
  template void segment_sparsemax_forward<T>(const std::vector<EdgeId>&, MatrixCRef<T>,  \
                                             MatrixRef<T>);                              \
  template void segment_sparsemax_backward<T>(const std::vector<EdgeId>&, MatrixCRef<T>, \
                                              MatrixCRef<T>, MatrixRef<T>);
GAT_INSTANTIATE(float)
GAT_INSTANTIATE(double)
#undef GAT_INSTANTIATE

}  // namespace gat::ops
