#pragma once
// Raw row pointers into row-major Eigen views, for the inner loops of kernels. An
// Eigen::Ref may carry an outer stride (a block of a wider matrix), so rows are addressed
// through outerStride(), never cols().

#include <cassert>

#include "gat/core/types.hpp"

namespace gat::ops::detail {

template <typename T>
inline const T* row(const MatrixCRef<T>& m, Eigen::Index r) {
  return m.data() + r * m.outerStride();
}
template <typename T>
inline T* row(MatrixRef<T>& m, Eigen::Index r) {
  return m.data() + r * m.outerStride();
}

}  // namespace gat::ops::detail
