// Argument checks of the public ops (issue 13): every entry point refuses a bad shape or value
// with a gat::Error that names the op and the offending argument, before any work is done. One
// table row per bad call; the survey ops (edge_dot, edge_additive, aggregate_channels, pooling,
// segment_{sparsemax,topk,hard}) have more detailed checks in their own test files.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <ostream>
#include <string>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/core/random.hpp"
#include "gat/core/sparse_matrix.hpp"
#include "gat/graph/csr.hpp"
#include "gat/ops/activation.hpp"
#include "gat/ops/aggregate.hpp"
#include "gat/ops/dense_attention.hpp"
#include "gat/ops/dropout.hpp"
#include "gat/ops/edge_additive.hpp"
#include "gat/ops/edge_dot.hpp"
#include "gat/ops/edge_score.hpp"
#include "gat/ops/linear.hpp"
#include "gat/ops/pooling.hpp"
#include "gat/ops/segment_hard.hpp"
#include "gat/ops/segment_softmax.hpp"
#include "gat/ops/segment_sparsemax.hpp"
#include "gat/ops/segment_topk.hpp"
#include "support/gradcheck.hpp"
#include "support/graphs.hpp"
#include "support/op_fixtures.hpp"

namespace gat::ops {
namespace {

using test::expect_error;
using test::MatrixD;

constexpr double kSlope = 0.2;
constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

// The shapes every row below starts from: N = 4 nodes, E = 5 edges, H = 2 heads of F = 3.
constexpr Eigen::Index kN = 4, kE = 5, kH = 2, kF = 3;

MatrixD zeros(Eigen::Index rows, Eigen::Index cols) { return MatrixD::Zero(rows, cols); }

// One bad call and words its message must contain (the op's name first).
struct BadCall {
  std::string name;  // the test instance's name
  std::function<void()> call;
  std::vector<std::string> message;
};

void PrintTo(const BadCall& c, std::ostream* os) { *os << c.name; }

CsrGraph graph() { return test::small_score_graph(); }  // N = 4, E = 5

const CounterRng& rng() {
  static const CounterRng r(1, 0, 0, 0);
  return r;
}

// ---- the table -------------------------------------------------------------------------------

std::vector<BadCall> activation_calls() {
  return {
      {"EluForwardY",
       [] {
         MatrixD y(4, 2);
         elu_forward<double>(zeros(4, 3), y);
       },
       {"elu_forward", "y has shape (4, 2)", "(4, 3)"}},
      {"EluBackwardGradY",
       [] {
         MatrixD gx(4, 3);
         elu_backward<double>(zeros(4, 3), zeros(3, 3), gx);
       },
       {"elu_backward", "grad_y has shape (3, 3)"}},
      {"EluBackwardGradX",
       [] {
         MatrixD gx(4, 4);
         elu_backward<double>(zeros(4, 3), zeros(4, 3), gx);
       },
       {"elu_backward", "grad_x has shape (4, 4)"}},
      {"TanhForwardY",
       [] {
         MatrixD y(5, 3);
         tanh_forward<double>(zeros(4, 3), y);
       },
       {"tanh_forward", "y has shape (5, 3)"}},
      {"TanhBackwardGradX",
       [] {
         MatrixD gx(4, 1);
         tanh_backward<double>(zeros(4, 3), zeros(4, 3), gx);
       },
       {"tanh_backward", "grad_x has shape (4, 1)"}},
  };
}

std::vector<BadCall> dropout_calls() {
  return {
      {"DropoutRateOne",
       [] {
         MatrixD x = zeros(2, 2);
         dropout<double>(x, 1.0, rng());
       },
       {"dropout", "[0, 1)", "got 1"}},
      {"DropoutRateNegative",
       [] {
         MatrixD x = zeros(2, 2);
         dropout<double>(x, -0.1, rng());
       },
       {"dropout", "got -0.1"}},
      {"DropoutRateNan",
       [] {
         std::vector<double> x(4, 1.0);
         dropout<double>(x, kNan, rng());
       },
       {"dropout", "[0, 1)"}},
      {"DropoutFlatRateAboveOne",
       [] {
         std::vector<float> x(4, 1.0f);
         dropout<float>(x, 1.5, rng());
       },
       {"dropout", "got 1.5"}},
  };
}

std::vector<BadCall> linear_calls() {
  const SparseMatrix<double> sx = from_dense<double>(MatrixD::Identity(4, 3));  // 3 non-zeros
  return {
      {"MatmulForwardInner",
       [] {
         MatrixD y(4, 5);
         matmul_forward<double>(zeros(4, 3), zeros(2, 5), y);
       },
       {"matmul_forward", "x has 3 columns", "w has shape (2, 5)"}},
      {"MatmulForwardY",
       [] {
         MatrixD y(4, 4);
         matmul_forward<double>(zeros(4, 3), zeros(3, 5), y);
       },
       {"matmul_forward", "y has shape (4, 4)", "(4, 5)"}},
      {"MatmulBackwardGradY",
       [] {
         MatrixD gw(3, 5);
         matmul_backward<double>(zeros(4, 3), zeros(3, 5), zeros(4, 2), gw, nullptr);
       },
       {"matmul_backward", "grad_y has shape (4, 2)", "(4, 5)"}},
      {"MatmulBackwardGradW",
       [] {
         MatrixD gw(5, 3);
         matmul_backward<double>(zeros(4, 3), zeros(3, 5), zeros(4, 5), gw, nullptr);
       },
       {"matmul_backward", "grad_w has shape (5, 3)"}},
      {"MatmulBackwardGradX",
       [] {
         MatrixD gw(3, 5), gx;  // an unsized grad_x is refused, not resized
         matmul_backward<double>(zeros(4, 3), zeros(3, 5), zeros(4, 5), gw, &gx);
       },
       {"matmul_backward", "grad_x has shape (0, 0)", "(4, 3)"}},
      {"SpmmForwardValues",
       [sx] {
         MatrixD y(4, 2);
         spmm_forward<double>(sx, std::vector<double>(2, 1.0), zeros(3, 2), y);
       },
       {"spmm_forward", "values has 2 entries", "3 non-zeros"}},
      {"SpmmForwardInner",
       [sx] {
         MatrixD y(4, 2);
         spmm_forward<double>(sx, sx.val, zeros(4, 2), y);
       },
       {"spmm_forward", "w has shape (4, 2)"}},
      {"SpmmForwardY",
       [sx] {
         MatrixD y(3, 2);
         spmm_forward<double>(sx, sx.val, zeros(3, 2), y);
       },
       {"spmm_forward", "y has shape (3, 2)", "(4, 2)"}},
      {"SpmmBackwardWeightValues",
       [sx] {
         MatrixD gw(3, 2);
         spmm_backward_weight<double>(sx, std::vector<double>(4, 1.0), zeros(4, 2), gw);
       },
       {"spmm_backward_weight", "values has 4 entries"}},
      {"SpmmBackwardWeightGradY",
       [sx] {
         MatrixD gw(3, 2);
         spmm_backward_weight<double>(sx, sx.val, zeros(5, 2), gw);
       },
       {"spmm_backward_weight", "grad_y has 5 rows"}},
      {"SpmmBackwardWeightGradW",
       [sx] {
         MatrixD gw(4, 2);
         spmm_backward_weight<double>(sx, sx.val, zeros(4, 2), gw);
       },
       {"spmm_backward_weight", "grad_w has shape (4, 2)", "(3, 2)"}},
      {"ColumnSumBackwardGradB",
       [] {
         MatrixD gb(1, 2);
         column_sum_backward<double>(zeros(4, 3), gb);
       },
       {"column_sum_backward", "grad_b has shape (1, 2)", "(1, 3)"}},
  };
}

std::vector<BadCall> edge_score_calls() {
  const CsrGraph g = graph();
  return {
      {"HeadDotForwardZ",
       [] {
         MatrixD s(kN, kH);
         head_dot_forward<double>(zeros(kN, 5), zeros(kH, kF), s);
       },
       {"head_dot_forward", "z has 5 columns", "(N, 6)"}},
      {"HeadDotForwardS",
       [] {
         MatrixD s(kN, 3);
         head_dot_forward<double>(zeros(kN, kH * kF), zeros(kH, kF), s);
       },
       {"head_dot_forward", "s has shape (4, 3)", "(4, 2)"}},
      {"HeadDotBackwardGradS",
       [] {
         MatrixD gz(kN, kH * kF), ga(kH, kF);
         head_dot_backward<double>(zeros(kN, kH * kF), zeros(kH, kF), zeros(3, kH), gz, ga);
       },
       {"head_dot_backward", "grad_s has shape (3, 2)"}},
      {"HeadDotBackwardGradZ",
       [] {
         MatrixD gz(kN, kH), ga(kH, kF);
         head_dot_backward<double>(zeros(kN, kH * kF), zeros(kH, kF), zeros(kN, kH), gz, ga);
       },
       {"head_dot_backward", "grad_z has shape (4, 2)"}},
      {"HeadDotBackwardGradA",
       [] {
         MatrixD gz(kN, kH * kF), ga(kF, kH);
         head_dot_backward<double>(zeros(kN, kH * kF), zeros(kH, kF), zeros(kN, kH), gz, ga);
       },
       {"head_dot_backward", "grad_a has shape (3, 2)"}},
      {"EdgeScoreForwardSrcRows",
       [g] {
         MatrixD e(kE, kH);
         edge_score_forward<double>(g, zeros(3, kH), zeros(kN, kH), kSlope, e);
       },
       {"edge_score_forward", "s_src has 3 rows", "4 nodes"}},
      {"EdgeScoreForwardDst",
       [g] {
         MatrixD e(kE, kH);
         edge_score_forward<double>(g, zeros(kN, kH), zeros(kN, 1), kSlope, e);
       },
       {"edge_score_forward", "s_dst has shape (4, 1)"}},
      {"EdgeScoreForwardE",
       [g] {
         MatrixD e(kN, kH);
         edge_score_forward<double>(g, zeros(kN, kH), zeros(kN, kH), kSlope, e);
       },
       {"edge_score_forward", "e has shape (4, 2)", "(5, 2)"}},
      {"EdgeScoreForwardSlope",
       [g] {
         MatrixD e(kE, kH);
         edge_score_forward<double>(g, zeros(kN, kH), zeros(kN, kH), kNan, e);
       },
       {"edge_score_forward", "negative slope must be finite"}},
      {"EdgeScoreForwardSEdge",
       [g] {
         MatrixD e(kE, kH);
         edge_score_forward<double>(g, zeros(kN, kH), zeros(kN, kH), zeros(kE, 1), kSlope, e);
       },
       {"edge_score_forward", "s_edge has shape (5, 1)", "(5, 2)"}},
      {"EdgeScoreBackwardGradE",
       [g] {
         MatrixD gs(kN, kH), gd(kN, kH);
         edge_score_backward<double>(g, zeros(kN, kH), zeros(kN, kH), kSlope, zeros(kN, kH), gs,
                                     gd);
       },
       {"edge_score_backward", "grad_e has shape (4, 2)"}},
      {"EdgeScoreBackwardGradSrc",
       [g] {
         MatrixD gs(kN, 1), gd(kN, kH);
         edge_score_backward<double>(g, zeros(kN, kH), zeros(kN, kH), kSlope, zeros(kE, kH), gs,
                                     gd);
       },
       {"edge_score_backward", "grad_s_src has shape (4, 1)"}},
      {"EdgeScoreBackwardGradDst",
       [g] {
         MatrixD gs(kN, kH), gd(3, kH);
         edge_score_backward<double>(g, zeros(kN, kH), zeros(kN, kH), kSlope, zeros(kE, kH), gs,
                                     gd);
       },
       {"edge_score_backward", "grad_s_dst has shape (3, 2)"}},
      {"EdgeScoreBackwardGradSEdge",
       [g] {
         MatrixD gs(kN, kH), gd(kN, kH), ge(kE, 3);
         edge_score_backward<double>(g, zeros(kN, kH), zeros(kN, kH), zeros(kE, kH), kSlope,
                                     zeros(kE, kH), gs, gd, ge);
       },
       {"edge_score_backward", "grad_s_edge has shape (5, 3)"}},
  };
}

std::vector<BadCall> aggregate_calls() {
  const CsrGraph g = graph();
  return {
      {"AggregateForwardZRows",
       [g] {
         MatrixD out(kN, kH * kF);
         aggregate_forward<double>(g, zeros(kE, kH), zeros(3, kH * kF), out);
       },
       {"aggregate_forward", "z has 3 rows", "4 nodes"}},
      {"AggregateForwardHeads",
       [g] {
         MatrixD out(kN, kH * kF);
         aggregate_forward<double>(g, zeros(kE, 4), zeros(kN, kH * kF), out);
       },
       {"aggregate_forward", "alpha has 4 columns", "divide z's width H·F = 6"}},
      {"AggregateForwardNoHeads",
       [g] {
         MatrixD out(kN, kH * kF);
         aggregate_forward<double>(g, zeros(kE, 0), zeros(kN, kH * kF), out);
       },
       {"aggregate_forward", "alpha has 0 columns"}},
      {"AggregateForwardAlphaRows",
       [g] {
         MatrixD out(kN, kH * kF);
         aggregate_forward<double>(g, zeros(kN, kH), zeros(kN, kH * kF), out);
       },
       {"aggregate_forward", "alpha has shape (4, 2)", "(5, 2)"}},
      {"AggregateForwardOut",
       [g] {
         MatrixD out(kN, kH);
         aggregate_forward<double>(g, zeros(kE, kH), zeros(kN, kH * kF), out);
       },
       {"aggregate_forward", "out has shape (4, 2)", "(4, 6)"}},
      {"AggregateBackwardGradOut",
       [g] {
         MatrixD ga(kE, kH), gz(kN, kH * kF);
         aggregate_backward<double>(g, zeros(kE, kH), zeros(kN, kH * kF), zeros(kN, 5), ga, gz);
       },
       {"aggregate_backward", "grad_out has shape (4, 5)"}},
      {"AggregateBackwardGradAlpha",
       [g] {
         MatrixD ga(kE, 1), gz(kN, kH * kF);
         aggregate_backward<double>(g, zeros(kE, kH), zeros(kN, kH * kF), zeros(kN, kH * kF), ga,
                                    gz);
       },
       {"aggregate_backward", "grad_alpha has shape (5, 1)"}},
      {"AggregateBackwardGradZ",
       [g] {
         MatrixD ga(kE, kH), gz(kE, kH * kF);
         aggregate_backward<double>(g, zeros(kE, kH), zeros(kN, kH * kF), zeros(kN, kH * kF), ga,
                                    gz);
       },
       {"aggregate_backward", "grad_z has shape (5, 6)"}},
  };
}

std::vector<BadCall> dense_attention_calls() {
  const CsrGraph g = graph();
  return {
      {"DenseAdjacency",
       [g] {
         MatrixD a(kN, kN + 1);
         dense_adjacency<double>(g, a);
       },
       {"dense_adjacency", "a has shape (4, 5)", "(4, 4)"}},
      {"DenseAttentionForwardAdj",
       [] {
         MatrixD alpha(kH * kN, kN);
         dense_attention_forward<double>(zeros(kN, 3), zeros(kN, kH), zeros(kN, kH), kSlope, alpha);
       },
       {"dense_attention_forward", "adj has shape (4, 3)", "square"}},
      {"DenseAttentionForwardSrc",
       [] {
         MatrixD alpha(kH * kN, kN);
         dense_attention_forward<double>(zeros(kN, kN), zeros(3, kH), zeros(kN, kH), kSlope, alpha);
       },
       {"dense_attention_forward", "s_src has 3 rows", "N = 4"}},
      {"DenseAttentionForwardDst",
       [] {
         MatrixD alpha(kH * kN, kN);
         dense_attention_forward<double>(zeros(kN, kN), zeros(kN, kH), zeros(kN, 1), kSlope, alpha);
       },
       {"dense_attention_forward", "s_dst has shape (4, 1)"}},
      {"DenseAttentionForwardAlpha",
       [] {
         MatrixD alpha(kN, kN);
         dense_attention_forward<double>(zeros(kN, kN), zeros(kN, kH), zeros(kN, kH), kSlope,
                                         alpha);
       },
       {"dense_attention_forward", "alpha has shape (4, 4)", "(8, 4)"}},
      {"DenseAttentionForwardSlope",
       [] {
         MatrixD alpha(kH * kN, kN);
         dense_attention_forward<double>(zeros(kN, kN), zeros(kN, kH), zeros(kN, kH),
                                         std::numeric_limits<double>::infinity(), alpha);
       },
       {"dense_attention_forward", "negative slope must be finite"}},
      {"DenseAttentionBackwardGradAlpha",
       [] {
         MatrixD gs(kN, kH), gd(kN, kH);
         dense_attention_backward<double>(zeros(kN, kH), zeros(kN, kH), kSlope, zeros(kH * kN, kN),
                                          zeros(kN, kN), gs, gd);
       },
       {"dense_attention_backward", "grad_alpha has shape (4, 4)", "(8, 4)"}},
      {"DenseAttentionBackwardGradSrc",
       [] {
         MatrixD gs(kN, 1), gd(kN, kH);
         dense_attention_backward<double>(zeros(kN, kH), zeros(kN, kH), kSlope, zeros(kH * kN, kN),
                                          zeros(kH * kN, kN), gs, gd);
       },
       {"dense_attention_backward", "grad_s_src has shape (4, 1)"}},
      {"DenseAggregateForwardAlphaRows",
       [] {
         MatrixD out(kN, kH * kF);
         dense_aggregate_forward<double>(zeros(7, kN), zeros(kN, kH * kF), out);
       },
       {"dense_aggregate_forward", "alpha has shape (7, 4)", "(H·N, N)"}},
      {"DenseAggregateForwardHeads",
       [] {
         MatrixD out(kN, kH * kF);
         dense_aggregate_forward<double>(zeros(4 * kN, kN), zeros(kN, kH * kF), out);
       },
       {"dense_aggregate_forward", "H = 4", "divide z's width H·F = 6"}},
      {"DenseAggregateForwardOut",
       [] {
         MatrixD out(kN, kH);
         dense_aggregate_forward<double>(zeros(kH * kN, kN), zeros(kN, kH * kF), out);
       },
       {"dense_aggregate_forward", "out has shape (4, 2)"}},
      {"DenseAggregateBackwardGradAlpha",
       [] {
         MatrixD ga(kN, kN), gz(kN, kH * kF);
         dense_aggregate_backward<double>(zeros(kH * kN, kN), zeros(kN, kH * kF),
                                          zeros(kN, kH * kF), ga, gz);
       },
       {"dense_aggregate_backward", "grad_alpha has shape (4, 4)"}},
      {"DenseAggregateBackwardGradZ",
       [] {
         MatrixD ga(kH * kN, kN), gz(kN, kH);
         dense_aggregate_backward<double>(zeros(kH * kN, kN), zeros(kN, kH * kF),
                                          zeros(kN, kH * kF), ga, gz);
       },
       {"dense_aggregate_backward", "grad_z has shape (4, 2)"}},
      {"DenseAttentionBytes",
       [] { dense_attention_bytes(-1, 8, true, 4); },
       {"dense_attention_bytes", "non-negative", "N = -1"}},
      {"CheckDenseAttentionFits",
       [] { check_dense_attention_fits(10, -2, true, 4, 1 << 20); },
       {"check_dense_attention_fits", "H = -2"}},
  };
}

std::vector<BadCall> segment_calls() {
  const std::vector<EdgeId> offsets{0, 2, 5};  // two segments over E = 5 rows
  return {
      {"SegmentSoftmaxForwardOffsetsEnd",
       [] {
         MatrixD y(5, kH);
         segment_softmax_forward<double>({0, 2, 6}, zeros(5, kH), y);
       },
       {"segment_softmax_forward", "offsets end at 6", "5 rows"}},
      {"SegmentSoftmaxForwardOffsetsStart",
       [] {
         MatrixD y(5, kH);
         segment_softmax_forward<double>({1, 5}, zeros(5, kH), y);
       },
       {"segment_softmax_forward", "offsets must start at 0"}},
      {"SegmentSoftmaxForwardOffsetsDecrease",
       [] {
         MatrixD y(5, kH);
         segment_softmax_forward<double>({0, 7, 3, 5}, zeros(5, kH), y);
       },
       {"segment_softmax_forward", "non-decreasing", "offsets[1] = 7"}},
      {"SegmentSoftmaxForwardOffsetsEmpty",
       [] {
         MatrixD y(5, kH);
         segment_softmax_forward<double>({}, zeros(5, kH), y);
       },
       {"segment_softmax_forward", "offsets are empty"}},
      {"SegmentSoftmaxForwardY",
       [offsets] {
         MatrixD y(5, 1);
         segment_softmax_forward<double>(offsets, zeros(5, kH), y);
       },
       {"segment_softmax_forward", "y has shape (5, 1)"}},
      {"SegmentSoftmaxBackwardOffsets",
       [] {
         MatrixD gx(5, kH);
         segment_softmax_backward<double>({0, 4}, zeros(5, kH), zeros(5, kH), gx);
       },
       {"segment_softmax_backward", "offsets end at 4"}},
      {"SegmentSoftmaxBackwardGradY",
       [offsets] {
         MatrixD gx(5, kH);
         segment_softmax_backward<double>(offsets, zeros(5, kH), zeros(4, kH), gx);
       },
       {"segment_softmax_backward", "grad_y has shape (4, 2)"}},
      {"SegmentSoftmaxBackwardGradX",
       [offsets] {
         MatrixD gx(5, 3);
         segment_softmax_backward<double>(offsets, zeros(5, kH), zeros(5, kH), gx);
       },
       {"segment_softmax_backward", "grad_x has shape (5, 3)"}},
      {"SegmentSparsemaxForward",
       [] {
         MatrixD y(5, kH);
         segment_sparsemax_forward<double>({0, 3}, zeros(5, kH), y);
       },
       {"segment_sparsemax_forward", "offsets end at 3"}},
      {"SegmentSparsemaxBackward",
       [offsets] {
         MatrixD gx(5, kH);
         segment_sparsemax_backward<double>(offsets, zeros(5, kH), zeros(5, 1), gx);
       },
       {"segment_sparsemax_backward", "grad_y has shape (5, 1)"}},
      {"SegmentTopkForward",
       [offsets] {
         MatrixD y(5, kH);
         segment_topk_forward<double>(offsets, 0, zeros(5, kH), y);
       },
       {"segment_topk_forward"}},
      {"SegmentTopkBackward",
       [offsets] {
         MatrixD gx(4, kH);
         segment_topk_backward<double>(offsets, zeros(5, kH), zeros(5, kH), gx);
       },
       {"segment_topk_backward", "grad_x has shape (4, 2)"}},
      {"SegmentHardForward",
       [offsets] {
         MatrixD y(5, 3);
         segment_hard_forward<double>(offsets, zeros(5, kH), false, rng(), y);
       },
       {"segment_hard_forward", "y has shape (5, 3)"}},
      {"SegmentHardBackward",
       [] {
         MatrixD ga(5, kH);
         segment_hard_backward<double>({0, 2}, zeros(5, kH), ga);
       },
       {"segment_hard_backward", "offsets end at 2"}},
  };
}

std::vector<BadCall> survey_calls() {
  const CsrGraph g = graph();
  return {
      {"EdgeDotForward",
       [g] {
         MatrixD e(kE, kH);
         edge_dot_forward<double>(g, zeros(3, kH * kF), zeros(3, kH * kF), 1.0, e);
       },
       {"edge_dot_forward", "q has 3 rows"}},
      {"EdgeDotBackward",
       [g] {
         MatrixD gq(kN, kH * kF), gk(kN, 1);
         edge_dot_backward<double>(g, zeros(kN, kH * kF), zeros(kN, kH * kF), 1.0, zeros(kE, kH),
                                   gq, gk);
       },
       {"edge_dot_backward", "grad_k has shape (4, 1)"}},
      {"EdgeDotMultidimForward",
       [g] {
         MatrixD e(kE, kH);
         edge_dot_multidim_forward<double>(g, zeros(kN, kH * kF), zeros(kN, kH * kF), 1.0, e);
       },
       {"edge_dot_multidim_forward", "e has shape (5, 2)"}},
      {"EdgeDotMultidimBackward",
       [g] {
         MatrixD gq(kN, kH * kF), gk(kN, kH * kF);
         edge_dot_multidim_backward<double>(g, zeros(kN, kH * kF), zeros(kN, kH * kF), 1.0,
                                            zeros(kE, kH), gq, gk);
       },
       {"edge_dot_multidim_backward", "grad_e has shape (5, 2)"}},
      {"EdgeAdditiveForward",
       [g] {
         MatrixD e(kE, kH);
         edge_additive_forward<double>(g, zeros(kN, 5), zeros(kN, kH * kF), zeros(kH, kF), kSlope,
                                       e);
       },
       {"edge_additive_forward", "l has shape (4, 5)"}},
      {"EdgeAdditiveBackward",
       [g] {
         MatrixD gl(kN, kH * kF), gr(kN, kH * kF), ga(kF, kH);
         edge_additive_backward<double>(g, zeros(kN, kH * kF), zeros(kN, kH * kF), zeros(kH, kF),
                                        kSlope, zeros(kE, kH), gl, gr, ga);
       },
       {"edge_additive_backward", "grad_a has shape (3, 2)"}},
      {"EdgeAdditiveMultidimForward",
       [g] {
         MatrixD e(kE, kH);
         edge_additive_multidim_forward<double>(g, zeros(kN, kH * kF), zeros(kN, kH * kF),
                                                zeros(kH, kF), kSlope, e);
       },
       {"edge_additive_multidim_forward", "e has shape (5, 2)"}},
      {"EdgeAdditiveMultidimBackward",
       [g] {
         MatrixD gl(kN, kH * kF), gr(kN, kH * kF), ga(kH, kF);
         edge_additive_multidim_backward<double>(g, zeros(kN, kH * kF), zeros(kN, kH * kF),
                                                 zeros(kH, kF), kSlope, zeros(kE, kH), gl, gr, ga);
       },
       {"edge_additive_multidim_backward", "grad_e has shape (5, 2)"}},
      {"AggregateChannelsForward",
       [g] {
         MatrixD out(kN, kH * kF);
         aggregate_channels_forward<double>(g, zeros(kE, kH), zeros(kN, kH * kF), out);
       },
       {"aggregate_channels_forward", "alpha has shape (5, 2)"}},
      {"AggregateChannelsBackward",
       [g] {
         MatrixD ga(kE, kH * kF), gz(kN, kH * kF);
         aggregate_channels_backward<double>(g, zeros(kE, kH * kF), zeros(kN, kH * kF),
                                             zeros(kN, 1), ga, gz);
       },
       {"aggregate_channels_backward", "grad_out has shape (4, 1)"}},
  };
}

std::vector<BadCall> pooling_calls() {
  const std::vector<EdgeId> offsets{0, 1, 4};  // G = 2 graphs over N = 4 rows
  return {
      {"CheckSegmentOffsets",
       [] {
         check_segment_offsets({0, 3}, 4, "my_caller");
       },
       {"my_caller", "offsets end at 3"}},
      {"SegmentSumForward",
       [offsets] {
         MatrixD out(3, kF);
         segment_sum_forward<double>(offsets, zeros(kN, kF), out);
       },
       {"segment_sum_forward", "(3, 3)", "(2, 3)"}},
      {"SegmentSumBackward",
       [] {
         MatrixD gx(kN, kF);
         segment_sum_backward<double>({0, 5}, zeros(1, kF), gx);
       },
       {"segment_sum_backward", "offsets end at 5"}},
      {"SegmentMeanForward",
       [offsets] {
         MatrixD out(2, 1);
         segment_mean_forward<double>(offsets, zeros(kN, kF), out);
       },
       {"segment_mean_forward", "(2, 1)"}},
      {"SegmentMeanBackward",
       [offsets] {
         MatrixD gx(kN, kF);
         segment_mean_backward<double>(offsets, zeros(2, 2), gx);
       },
       {"segment_mean_backward", "(2, 2)"}},
      {"SegmentMaxForward",
       [offsets] {
         MatrixD out(1, kF);
         std::vector<EdgeId> argmax;
         segment_max_forward<double>(offsets, zeros(kN, kF), out, argmax);
       },
       {"segment_max_forward", "(1, 3)"}},
      {"SegmentMaxBackwardArgmaxSize",
       [offsets] {
         MatrixD gx(kN, kF);
         segment_max_backward<double>(offsets, std::vector<EdgeId>(5, 0), zeros(2, kF), gx);
       },
       {"segment_max_backward", "argmax has 5 entries", "expected 6"}},
      {"SegmentMaxBackwardArgmaxOutsideItsGraph",
       [offsets] {
         MatrixD gx(kN, kF);
         // Graph 1 owns rows [1, 4); row 0 belongs to graph 0.
         segment_max_backward<double>(offsets, {0, 0, 0, 2, 0, 3}, zeros(2, kF), gx);
       },
       {"segment_max_backward", "argmax[1·C + 1] = 0", "graph 1, rows [1, 4)"}},
      {"SegmentMaxBackwardArgmaxBeyondTheRows",
       [offsets] {
         MatrixD gx(kN, kF);
         segment_max_backward<double>(offsets, {0, 0, 0, 1, 9, 3}, zeros(2, kF), gx);
       },
       {"segment_max_backward", "= 9"}},
      {"SegmentWeightedSumForward",
       [offsets] {
         MatrixD out(2, kH * kF);
         segment_weighted_sum_forward<double>(offsets, zeros(kN, 4), zeros(kN, kH * kF), out);
       },
       {"segment_weighted_sum_forward", "weights have 4 columns"}},
      {"SegmentWeightedSumBackward",
       [offsets] {
         MatrixD gb(kN, 1), gh(kN, kH * kF);
         segment_weighted_sum_backward<double>(offsets, zeros(kN, kH), zeros(kN, kH * kF),
                                               zeros(2, kH * kF), gb, gh);
       },
       {"segment_weighted_sum_backward", "grad_beta has shape (4, 1)"}},
  };
}

std::vector<BadCall> all_calls() {
  std::vector<BadCall> all;
  for (auto part :
       {activation_calls(), dropout_calls(), linear_calls(), edge_score_calls(), aggregate_calls(),
        dense_attention_calls(), segment_calls(), survey_calls(), pooling_calls()}) {
    for (auto& c : part) all.push_back(std::move(c));
  }
  return all;
}

std::string bad_call_name(const ::testing::TestParamInfo<BadCall>& param) {
  return param.param.name;
}

class ArgumentChecks : public ::testing::TestWithParam<BadCall> {};

TEST_P(ArgumentChecks, ThrowsAnErrorNamingTheOpAndTheArgument) {
  const BadCall& c = GetParam();
  EXPECT_THROW(c.call(), Error);
  for (const std::string& part : c.message) expect_error(c.call, part);
}

INSTANTIATE_TEST_SUITE_P(Ops, ArgumentChecks, ::testing::ValuesIn(all_calls()), bad_call_name);

// ---- valid edge cases still pass ---------------------------------------------------------------

TEST(ValidArguments, EdgeCasesStillRun) {
  // Rates at the ends of [0, 1).
  MatrixD x = MatrixD::Ones(2, 3);
  EXPECT_NO_THROW(dropout<double>(x, 0.0, rng()));
  EXPECT_TRUE(x == MatrixD::Ones(2, 3));
  EXPECT_NO_THROW(dropout<double>(x, std::nextafter(1.0, 0.0), rng()));
  // A view with an outer stride is as good as a matrix of its own.
  MatrixD wide = MatrixD::Zero(4, 6), y(4, 3);
  EXPECT_NO_THROW(elu_forward<double>(wide.middleCols(1, 3), y));
  // Dense aggregation with no nodes: nothing to compute, no division by N = 0.
  MatrixD out0(0, 6), ga0(0, 0), gz0(0, 6);
  EXPECT_NO_THROW(dense_aggregate_forward<double>(MatrixD(0, 0), MatrixD(0, 6), out0));
  EXPECT_NO_THROW(
      dense_aggregate_backward<double>(MatrixD(0, 0), MatrixD(0, 6), MatrixD(0, 6), ga0, gz0));
  // Segments that are all empty, and no segments at all.
  MatrixD s0(0, 2);
  EXPECT_NO_THROW(segment_softmax_forward<double>({0, 0, 0}, MatrixD(0, 2), s0));
  EXPECT_NO_THROW(segment_softmax_forward<double>({0}, MatrixD(0, 2), s0));
  // A memory estimate that overflows 64 bits saturates instead of wrapping to a small number.
  EXPECT_EQ(dense_attention_bytes(std::int64_t{1} << 40, 8, true, 8),
            std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(dense_attention_bytes(100, 8, false, 4), 9u * 100 * 100 * 4);
  EXPECT_THROW(check_dense_attention_fits(std::int64_t{1} << 40, 8, true, 8, 1 << 30), Error);
}

// Arguments whose shapes match the graph and each other pass the checks.
TEST(ValidArguments, MatchingShapesPass) {
  const CsrGraph g = graph();
  MatrixD e(kE, kH), out(kN, kH * kF), s(kN, kH), alpha(kE, kH);
  EXPECT_NO_THROW(edge_score_forward<double>(g, zeros(kN, kH), zeros(kN, kH), kSlope, e));
  EXPECT_NO_THROW(aggregate_forward<double>(g, zeros(kE, kH), zeros(kN, kH * kF), out));
  EXPECT_NO_THROW(head_dot_forward<double>(zeros(kN, kH * kF), zeros(kH, kF), s));
  EXPECT_NO_THROW(segment_softmax_forward<double>(g.row_ptr(), zeros(kE, kH), alpha));
  MatrixD gb = MatrixD::Zero(1, kH);
  EXPECT_NO_THROW(column_sum_backward<double>(zeros(kE, kH), gb));
}

}  // namespace
}  // namespace gat::ops
