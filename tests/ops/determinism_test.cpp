// Every parallel kernel gives bit-identical results at any thread count (float, compared with
// == entry by entry). The inputs are large enough that the fixed-chunk reductions
// (matmul_backward, head_dot_backward, column_sum_backward) run over several chunks of
// kRowChunk = 256 rows, and the row loops hand different rows to different threads.

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "gat/core/random.hpp"
#include "gat/core/threads.hpp"
#include "gat/graph/build.hpp"
#include "gat/ops/activation.hpp"
#include "gat/ops/aggregate.hpp"
#include "gat/ops/dropout.hpp"
#include "gat/ops/edge_score.hpp"
#include "gat/ops/linear.hpp"
#include "gat/ops/segment_softmax.hpp"
#include "support/gradcheck.hpp"

namespace gat::ops {
namespace {

using MatrixF = Matrix<float>;

constexpr Eigen::Index kN = 2000;  // > 3 · kRowChunk
constexpr Eigen::Index kH = 3, kF = 8, kIn = 64;

MatrixF random_f(Eigen::Index rows, Eigen::Index cols, std::uint64_t seed) {
  return test::random_matrix(rows, cols, seed).cast<float>();
}

// A random graph on kN nodes: 8 random in-edges on average among nodes 0..1949 (so duplicates
// and self loops occur), and nodes 1950..1999 without any edge.
const CsrGraph& big_graph() {
  static const CsrGraph g = [] {
    const CounterRng rng(123, 0, 0, 0);
    std::vector<NodeId> src, dst;
    for (std::uint64_t k = 0; k < 8 * 1950; ++k) {
      src.push_back(static_cast<NodeId>(rng.bits(2 * k) % 1950));
      dst.push_back(static_cast<NodeId>(rng.bits(2 * k + 1) % 1950));
    }
    return build_csr(static_cast<NodeId>(kN), src, dst);
  }();
  return g;
}

// Every other test in this binary runs on one thread: they call kernels thousands of times on
// inputs of a few rows (finite differences), where more threads add nothing but an OpenMP
// barrier per call, and on a busy machine each barrier can cost a scheduler time slice (tens
// of seconds in total). More threads are exercised below, on inputs large enough to split.
class SingleThreadByDefault : public ::testing::Environment {
 public:
  void SetUp() override { set_num_threads(1); }
};
[[maybe_unused]] ::testing::Environment* const kSingleThread =
    ::testing::AddGlobalTestEnvironment(new SingleThreadByDefault);

class Determinism : public ::testing::Test {
 public:
  void TearDown() override { set_num_threads(saved_threads_); }

  // Runs `kernel` at 1, 2 and 3 threads: every output must equal the one-thread run bit for
  // bit. The kernel starts from fresh copies of its inputs each time.
  static void expect_same_bits(const std::function<std::vector<MatrixF>()>& kernel) {
    set_num_threads(1);
    const std::vector<MatrixF> reference = kernel();
    for (int threads : {2, 3}) {
      set_num_threads(threads);
      ASSERT_EQ(num_threads(), threads);
      const std::vector<MatrixF> result = kernel();
      ASSERT_EQ(result.size(), reference.size());
      for (std::size_t k = 0; k < result.size(); ++k) {
        ASSERT_EQ(result[k].rows(), reference[k].rows());
        ASSERT_EQ(result[k].cols(), reference[k].cols());
        ASSERT_GT(result[k].size(), 0);
        Eigen::Index mismatches = 0, first = -1;
        for (Eigen::Index i = 0; i < result[k].size(); ++i) {
          if (!(result[k].data()[i] == reference[k].data()[i])) {
            if (mismatches++ == 0) first = i;
          }
        }
        EXPECT_EQ(mismatches, 0) << "output " << k << " at " << threads << " threads differs in "
                                 << mismatches << " entries, first at flat index " << first;
      }
    }
  }

 private:
  int saved_threads_ = num_threads();
};

TEST_F(Determinism, HeadDot) {
  const MatrixF z = random_f(kN, kH * kF, 1), a = random_f(kH, kF, 2);
  const MatrixF grad_s = random_f(kN, kH, 3);
  expect_same_bits([&] {
    MatrixF s(kN, kH), grad_z = random_f(kN, kH * kF, 4), grad_a = random_f(kH, kF, 5);
    head_dot_forward<float>(z, a, s);
    head_dot_backward<float>(z, a, grad_s, grad_z, grad_a);
    return std::vector<MatrixF>{s, grad_z, grad_a};
  });
}

TEST_F(Determinism, EdgeScore) {
  const CsrGraph& g = big_graph();
  const MatrixF s_src = random_f(kN, kH, 6), s_dst = random_f(kN, kH, 7);
  const MatrixF grad_e = random_f(g.num_edges(), kH, 8);
  expect_same_bits([&] {
    MatrixF e(g.num_edges(), kH), grad_src = random_f(kN, kH, 9), grad_dst = random_f(kN, kH, 10);
    edge_score_forward<float>(g, s_src, s_dst, 0.2f, e);
    edge_score_backward<float>(g, s_src, s_dst, 0.2f, grad_e, grad_src, grad_dst);
    return std::vector<MatrixF>{e, grad_src, grad_dst};
  });
}

TEST_F(Determinism, SegmentSoftmax) {
  const CsrGraph& g = big_graph();
  const MatrixF x = random_f(g.num_edges(), kH, 11), grad_y = random_f(g.num_edges(), kH, 12);
  expect_same_bits([&] {
    MatrixF y(g.num_edges(), kH), grad_x(g.num_edges(), kH);
    segment_softmax_forward<float>(g.row_ptr(), x, y);
    segment_softmax_backward<float>(g.row_ptr(), y, grad_y, grad_x);
    return std::vector<MatrixF>{y, grad_x};
  });
}

// (H, F) = (3, 8) runs the run-time-shape kernel, (8, 8) the fixed-size one.
void check_aggregate(Eigen::Index h, Eigen::Index f) {
  const CsrGraph& g = big_graph();
  const MatrixF alpha = random_f(g.num_edges(), h, 13), z = random_f(kN, h * f, 14);
  const MatrixF grad_out = random_f(kN, h * f, 15);
  Determinism::expect_same_bits([&] {
    MatrixF out(kN, h * f), grad_alpha(g.num_edges(), h), grad_z = random_f(kN, h * f, 16);
    aggregate_forward<float>(g, alpha, z, out);
    aggregate_backward<float>(g, alpha, z, grad_out, grad_alpha, grad_z);
    return std::vector<MatrixF>{out, grad_alpha, grad_z};
  });
}

TEST_F(Determinism, Aggregate) { check_aggregate(kH, kF); }
TEST_F(Determinism, AggregateFixedShape) { check_aggregate(8, 8); }

TEST_F(Determinism, Matmul) {
  const MatrixF x = random_f(kN, kIn, 17), w = random_f(kIn, kH * kF, 18);
  const MatrixF grad_y = random_f(kN, kH * kF, 19);
  expect_same_bits([&] {
    MatrixF y(kN, kH * kF), grad_w = random_f(kIn, kH * kF, 20), grad_x(kN, kIn);
    matmul_forward<float>(x, w, y);
    matmul_backward<float>(x, w, grad_y, grad_w, &grad_x);
    return std::vector<MatrixF>{y, grad_w, grad_x};
  });
}

// Output width 24 runs the run-time-width kernel, 64 the fixed-width one.
void check_spmm(Eigen::Index out) {
  // (kN, 300) with about 10% non-zeros, and values partly dropped as input dropout would.
  MatrixF dense = random_f(kN, 300, 21);
  for (Eigen::Index k = 0; k < dense.size(); ++k) {
    if (dense.data()[k] < 0.8f) dense.data()[k] = 0;
  }
  const SparseMatrix<float> x = from_dense(dense);
  std::vector<float> values = x.val;
  dropout<float>(values, 0.5, CounterRng(1, 0, 0, kStreamInputDropout));
  const MatrixF w = random_f(300, out, 22), grad_y = random_f(kN, out, 23);
  Determinism::expect_same_bits([&] {
    MatrixF y(kN, out), grad_w = random_f(300, out, 24);
    spmm_forward<float>(x, values, w, y);
    spmm_backward_weight<float>(x, values, grad_y, grad_w);
    return std::vector<MatrixF>{y, grad_w};
  });
}

TEST_F(Determinism, Spmm) { check_spmm(kH * kF); }
TEST_F(Determinism, SpmmFixedWidth) { check_spmm(64); }

TEST_F(Determinism, ColumnSum) {
  const MatrixF grad_y = random_f(kN, kH * kF, 25);
  expect_same_bits([&] {
    MatrixF grad_b = random_f(1, kH * kF, 26);
    column_sum_backward<float>(grad_y, grad_b);
    return std::vector<MatrixF>{grad_b};
  });
}

TEST_F(Determinism, Elu) {
  const MatrixF x = random_f(kN, kH * kF, 27), grad_y = random_f(kN, kH * kF, 28);
  expect_same_bits([&] {
    MatrixF y(kN, kH * kF), grad_x(kN, kH * kF);
    elu_forward<float>(x, y);
    elu_backward<float>(y, grad_y, grad_x);
    return std::vector<MatrixF>{y, grad_x};
  });
}

TEST_F(Determinism, Dropout) {
  const MatrixF x = random_f(kN, kH * kF, 29);
  const CounterRng rng(7, 3, 1, kStreamAttentionDropout);
  expect_same_bits([&] {
    MatrixF y = x;
    dropout<float>(y, 0.6, rng);
    std::vector<float> flat(x.data(), x.data() + x.size());
    dropout<float>(flat, 0.6, rng);
    return std::vector<MatrixF>{y, Eigen::Map<const MatrixF>(flat.data(), kN, kH * kF)};
  });
}

}  // namespace
}  // namespace gat::ops
