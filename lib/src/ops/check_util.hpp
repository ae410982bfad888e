#pragma once
// Private argument checks of the CPU kernels' public entry points, one wording for all.

#include <Eigen/Core>
#include <algorithm>
#include <cstdint>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/core/types.hpp"

namespace gat::ops::detail {

/// Throws unless offsets describe S ≥ 0 segments covering exactly `rows` rows of the matrix
/// called `matrix` (offsets[0] = 0, non-decreasing, offsets[S] = rows); returns the length of
/// the longest segment (the size of per-thread scratch buffers). `what` names the caller.
inline EdgeId check_segments(const char* what, const std::vector<EdgeId>& offsets,
                             std::int64_t rows, const char* matrix) {
  GAT_CHECK(!offsets.empty(),
            what << ": offsets are empty; S segments need S + 1 offsets starting at 0");
  GAT_CHECK(offsets.front() == 0, what << ": offsets must start at 0, got " << offsets.front());
  EdgeId longest = 0;
  for (std::size_t s = 0; s + 1 < offsets.size(); ++s) {
    GAT_CHECK(offsets[s] <= offsets[s + 1], what << ": offsets must be non-decreasing, but offsets["
                                                 << s << "] = " << offsets[s] << " > offsets["
                                                 << s + 1 << "] = " << offsets[s + 1]);
    longest = std::max(longest, offsets[s + 1] - offsets[s]);
  }
  GAT_CHECK(offsets.back() == rows, what << ": offsets end at " << offsets.back() << " but the "
                                         << matrix << " has " << rows << " rows");
  return longest;
}

/// "fn: name has shape (r, c), expected legend = (R, C)" unless the shape matches.
inline void check_shape(const char* fn, const char* name, Eigen::Index rows, Eigen::Index cols,
                        const char* legend, Eigen::Index want_rows, Eigen::Index want_cols) {
  GAT_CHECK(rows == want_rows && cols == want_cols,
            fn << ": " << name << " has shape (" << rows << ", " << cols << "), expected " << legend
               << " = (" << want_rows << ", " << want_cols << ")");
}

/// Throws unless b has a's shape, (E, H) for the segment kernels.
template <typename A, typename B>
void check_same_shape(const char* what, const char* a_name, const A& a, const char* b_name,
                      const B& b) {
  GAT_CHECK(a.rows() == b.rows() && a.cols() == b.cols(),
            what << ": " << b_name << " has shape (" << b.rows() << ", " << b.cols() << ") but "
                 << a_name << " has shape (" << a.rows() << ", " << a.cols()
                 << "); both are (E, H)");
}

}  // namespace gat::ops::detail
