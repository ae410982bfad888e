#include "gat/ops/finite.hpp"

#include <cmath>
#include <limits>

#include "row_access.hpp"

namespace gat::ops {

template <typename T>
bool all_finite(MatrixCRef<T> m) {
  const Eigen::Index cols = m.cols();
  int bad = 0;
  // |x| ≤ max is false for ±infinity and for NaN (every comparison with NaN is): a test the
  // compiler vectorises, where std::isfinite is a library call per entry. The count of bad
  // rows is a sum of 0s and 1s: exact in any order.
#pragma omp parallel for schedule(static) reduction(+ : bad)
  for (Eigen::Index r = 0; r < m.rows(); ++r) {
    const T* x = detail::row(m, r);
    int row_bad = 0;
    for (Eigen::Index c = 0; c < cols; ++c) {
      row_bad |= static_cast<int>(!(std::abs(x[c]) <= std::numeric_limits<T>::max()));
    }
    bad += row_bad;
  }
  return bad == 0;
}

template bool all_finite<float>(MatrixCRef<float>);
template bool all_finite<double>(MatrixCRef<double>);

}  // namespace gat::ops
