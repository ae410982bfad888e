#include "gat/ops/segment_hard.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <limits>

#include "check_util.hpp"
#include "gat/core/error.hpp"
#include "row_access.hpp"

namespace gat::ops {

using detail::row;

namespace {

// Segments handed to a thread at a time. Each draw depends only on (rng, s, h), so the
// result does not depend on how segments are scheduled.
constexpr int kSegmentChunk = 64;

// Marks a segment column containing NaN: its output is NaN.
constexpr EdgeId kNoChoice = -1;

// The first slot of largest weight in column h of rows [b, e), or kNoChoice if a weight is NaN.
template <typename T>
EdgeId argmax_slot(const MatrixCRef<T>& alpha, EdgeId b, EdgeId e, Eigen::Index h) {
  EdgeId best = b;
  T best_value = row(alpha, b)[h];
  if (std::isnan(best_value)) return kNoChoice;
  for (EdgeId p = b + 1; p < e; ++p) {
    const T v = row(alpha, p)[h];
    if (std::isnan(v)) return kNoChoice;
    if (v > best_value) {  // strict: among equal maxima the first slot wins
      best = p;
      best_value = v;
    }
  }
  return best;
}

// Inverse-CDF sample of column h of rows [b, e) from the uniform u in [0, 1): the first slot p
// whose cumulative weight c_p = Σ_{q≤p} α_q exceeds u · Σ_q α_q, so P(p) = α_p / Σ_q α_q.
// The sums run in double in slot order (deterministic, and float weights lose no precision).
// A slot of weight 0 (or less) never exceeds the threshold first: c_p = c_{p−1} ≤ target.
template <typename T>
EdgeId sample_slot(const MatrixCRef<T>& alpha, EdgeId b, EdgeId e, Eigen::Index h, double u) {
  double total = 0.0;
  EdgeId last_positive = kNoChoice;
  for (EdgeId p = b; p < e; ++p) {
    const T v = row(alpha, p)[h];
    if (std::isnan(v)) return kNoChoice;
    if (v > T(0)) {
      total += static_cast<double>(v);
      last_positive = p;
    }
  }
  // No positive weight (all zero, or an infinite sum): nothing to sample from; fall back to
  // the argmax so that the output stays one-hot.
  if (last_positive == kNoChoice || !std::isfinite(total)) return argmax_slot(alpha, b, e, h);
  const double target = u * total;
  double cumulative = 0.0;
  for (EdgeId p = b; p < e; ++p) {
    const T v = row(alpha, p)[h];
    if (v > T(0)) cumulative += static_cast<double>(v);
    if (cumulative > target) return p;
  }
  // u · total rounded up to total (u within an ulp of 1): the last slot of positive weight.
  return last_positive;
}

template <typename T>
void segment_hard_forward_kernel(const std::vector<EdgeId>& offsets, const MatrixCRef<T>& alpha,
                                 bool training, const CounterRng& rng, MatrixRef<T>& y) {
  const Eigen::Index h_count = alpha.cols();
  const auto segments = static_cast<Eigen::Index>(offsets.size()) - 1;
#pragma omp parallel
  {
    // The H choices of the current segment, all made before any output is written, so that
    // y may alias alpha.
    std::vector<EdgeId> choice(static_cast<std::size_t>(h_count));
#pragma omp for schedule(dynamic, kSegmentChunk)
    for (Eigen::Index s = 0; s < segments; ++s) {
      const EdgeId b = offsets[s], e = offsets[s + 1];
      if (b == e) continue;  // empty neighbourhood: no weights, nothing to choose
      for (Eigen::Index h = 0; h < h_count; ++h) {
        const auto counter = static_cast<std::uint64_t>(s) * static_cast<std::uint64_t>(h_count) +
                             static_cast<std::uint64_t>(h);
        choice[h] = training ? sample_slot(alpha, b, e, h, rng.uniform(counter))
                             : argmax_slot(alpha, b, e, h);
      }
      for (EdgeId p = b; p < e; ++p) {
        T* yp = row(y, p);
        for (Eigen::Index h = 0; h < h_count; ++h) {
          yp[h] = choice[h] == kNoChoice ? std::numeric_limits<T>::quiet_NaN()
                                         : (choice[h] == p ? T(1) : T(0));
        }
      }
    }
  }
}

}  // namespace

template <typename T>
void segment_hard_forward(const std::vector<EdgeId>& offsets, MatrixCRef<T> alpha, bool training,
                          const CounterRng& rng, MatrixRef<T> y) {
  detail::check_segments("segment_hard_forward", offsets, alpha.rows(), "weight matrix");
  detail::check_same_shape("segment_hard_forward", "alpha", alpha, "y", y);
  segment_hard_forward_kernel<T>(offsets, alpha, training, rng, y);
}

template <typename T>
void segment_hard_backward(const std::vector<EdgeId>& offsets, MatrixCRef<T> grad_y,
                           MatrixRef<T> grad_alpha) {
  detail::check_segments("segment_hard_backward", offsets, grad_y.rows(), "weight matrix");
  detail::check_same_shape("segment_hard_backward", "grad_y", grad_y, "grad_alpha", grad_alpha);
  // Straight-through: ∂y/∂α is replaced by the identity, so grad_α = grad_y.
  if (grad_alpha.data() == grad_y.data() && grad_alpha.outerStride() == grad_y.outerStride()) {
    return;  // in place: already there
  }
  const Eigen::Index rows = grad_y.rows(), cols = grad_y.cols();
#pragma omp parallel for schedule(static)
  for (Eigen::Index r = 0; r < rows; ++r) {
    std::copy(row(grad_y, r), row(grad_y, r) + cols, row(grad_alpha, r));
  }
}

#define GAT_INSTANTIATE(T)                                                               \
  template void segment_hard_forward<T>(const std::vector<EdgeId>&, MatrixCRef<T>, bool, \
                                        const CounterRng&, MatrixRef<T>);                \
  template void segment_hard_backward<T>(const std::vector<EdgeId>&, MatrixCRef<T>, MatrixRef<T>);
GAT_INSTANTIATE(float)
GAT_INSTANTIATE(double)
#undef GAT_INSTANTIATE

}  // namespace gat::ops
