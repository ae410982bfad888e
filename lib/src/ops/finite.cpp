#include "gat/ops/finite.hpp"

#include "row_access.hpp"

namespace gat::ops {

template <typename T>
bool all_finite(MatrixCRef<T> m) {
  const Eigen::Index cols = m.cols();
  int bad = 0;
  // x - x is 0 for a finite x and NaN for NaN or ±infinity; NaN == 0 is false. The count of
  // bad rows is a sum of 0s and 1s: exact in any order.
#pragma omp parallel for schedule(static) reduction(+ : bad)
  for (Eigen::Index r = 0; r < m.rows(); ++r) {
    const T* x = detail::row(m, r);
    int row_bad = 0;
    for (Eigen::Index c = 0; c < cols; ++c) row_bad |= static_cast<int>(!(x[c] - x[c] == T(0)));
    bad += row_bad;
  }
  return bad == 0;
}

template bool all_finite<float>(MatrixCRef<float>);
template bool all_finite<double>(MatrixCRef<double>);

}  // namespace gat::ops
