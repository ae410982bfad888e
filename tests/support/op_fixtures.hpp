#pragma once
// Helpers shared by the kernel tests (tests/ops): the (H, F) shape grid of the edge-score
// kernels and the names of its instances, grid-valued features that keep LeakyReLU off its
// kink, the check that a kernel gives the same bits at one thread and at two, and the check
// that an entry point throws gat::Error with a given message.

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/core/threads.hpp"
#include "gat/core/types.hpp"
#include "support/gradcheck.hpp"

namespace gat::test {

/// (H, F) shapes of the edge-score kernels (edge_dot, edge_additive): they have fixed-size
/// versions for common shapes (1×8, 2×8, 8×8, ...) and run-time ones for the rest, and their
/// multi-dimensional variants are fixed-size for H·F in {8, 16, 32, 64, 128}; the grid covers
/// both kinds.
inline std::vector<std::pair<int, int>> edge_score_shapes() {
  return {{1, 1}, {1, 3}, {3, 1}, {3, 2}, {3, 5}, {1, 8}, {2, 8}, {8, 8}};
}

/// The name of a test instance with parameter (H, F): "H<H>F<F>", e.g. "H2F8".
inline std::string heads_by_features_name(
    const ::testing::TestParamInfo<std::pair<int, int>>& info) {
  return "H" + std::to_string(info.param.first) + "F" + std::to_string(info.param.second);
}

/// Random (rows, cols) features on a grid, so that no LeakyReLU pre-activation sits near its
/// kink: entries are multiples of 0.1 plus 0.02, so every sum of two (l[i] + r[j], or 2·l[i]
/// when l = r) is a multiple of 0.1 plus 0.04, at least 0.04 from 0, far beyond the
/// finite-difference step.
inline MatrixD grid_matrix(Eigen::Index rows, Eigen::Index cols, std::uint64_t seed) {
  const MatrixD u = random_matrix(rows, cols, seed);
  return ((u.array() * 10).round() / 10 + 0.02).matrix();
}

/// Runs `kernel` at one thread and at two: every output it returns must be non-empty and equal
/// bit for bit. Restores the thread count it found.
inline void expect_same_bits(const std::function<std::vector<Matrix<float>>()>& kernel) {
  const int saved = num_threads();
  set_num_threads(1);
  const std::vector<Matrix<float>> one = kernel();
  set_num_threads(2);
  const std::vector<Matrix<float>> two = kernel();
  set_num_threads(saved);
  ASSERT_EQ(one.size(), two.size());
  for (std::size_t k = 0; k < one.size(); ++k) {
    ASSERT_GT(one[k].size(), 0);
    EXPECT_TRUE(one[k] == two[k]) << "output " << k << " differs between 1 and 2 threads";
  }
}

/// Expects `call` to throw gat::Error whose message contains `part` and each of `more`.
template <typename... More>
void expect_error(const std::function<void()>& call, const std::string& part, const More&... more) {
  try {
    call();
    ADD_FAILURE() << "no gat::Error thrown; expected one mentioning \"" << part << "\"";
  } catch (const Error& err) {
    const std::string message = err.what();
    for (const std::string& p : {part, std::string(more)...}) {
      EXPECT_NE(message.find(p), std::string::npos) << message;
    }
  }
}

}  // namespace gat::test
