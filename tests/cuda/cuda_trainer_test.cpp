// The CUDA trainer against the CPU model (gat/train/cuda_trainer.hpp): the same logits, the
// same gradients (1e-5 relative to each matrix's largest entry), the same dropout masks, and the
// same bits from run to run on one GPU. Tests that need a device skip with the reason where
// there is none; the refusals run everywhere.

#include "gat/train/cuda_trainer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "gat/core/device.hpp"
#include "gat/core/error.hpp"
#include "gat/data/dataset.hpp"
#include "gat/io/linqs.hpp"
#include "gat/layers/gat_model.hpp"
#include "gat/train/loss.hpp"
#include "gat/train/trainer.hpp"
#include "support/cuda_skip.hpp"
#include "support/data.hpp"
#include "support/synthetic.hpp"

namespace gat {
namespace {

// max |a - b| ≤ tol · max(max |b|, 1e-30): relative to the matrix's scale, so that entries near
// zero (where float rounding is all there is) do not decide alone.
void expect_close(const RowMatrix& gpu, const RowMatrix& cpu, double tol, const std::string& what) {
  ASSERT_EQ(gpu.rows(), cpu.rows()) << what;
  ASSERT_EQ(gpu.cols(), cpu.cols()) << what;
  const double scale = std::max(double(cpu.cwiseAbs().maxCoeff()), 1e-30);
  const double diff = double((gpu - cpu).cwiseAbs().maxCoeff());
  EXPECT_LE(diff, tol * scale) << what << ": max |gpu - cpu| = " << diff << ", scale " << scale;
}

bool same_bits(const RowMatrix& a, const RowMatrix& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::equal(a.data(), a.data() + a.size(), b.data());
}

Split split_of(const Dataset& d) { return Split{d.train, d.val, d.test}; }

GatModelOptions options_for(const Dataset& d) {
  GatModelOptions o;
  o.in_features = d.num_features();
  o.num_classes = d.num_classes();
  return o;
}

// One configuration: forward (inference and training with every dropout) and backward on the
// GPU against GatModel on the CPU, the gradient coming from the same loss on the same logits.
// Returns how many sparse aggregations ran on cuSPARSE and on the kernel.
CudaTrainer::AggregationCalls compare_with_cpu(
    const Dataset& d, const GatModelOptions& o, const std::string& what,
    CudaAggregation aggregation = CudaAggregation::kKernel) {
  const GatModel<float> model(o, 5);
  CudaTrainer gpu(model, d.graph, d.feature_view(), d.labels, split_of(d), AdamOptions{});
  gpu.set_aggregation(aggregation);
  const CsrGraph g = model.prepare_graph(d.graph);
  GatModel<float> cpu = model;
  GatModelCache<float> cache;
  const SparseInput<float> sparse =
      d.has_dense_features() ? SparseInput<float>() : SparseInput<float>(d.features);
  const auto cpu_forward = [&](const ForwardContext& ctx) {
    if (d.has_dense_features()) {
      return cpu.forward(g, MatrixCRef<float>(d.dense_features), cache, ctx);
    }
    return cpu.forward(g, sparse, cache, ctx);
  };

  const ForwardContext inference{false, 0, 0};
  expect_close(gpu.forward(inference), cpu_forward(inference), 1e-5, what + ", inference logits");

  const ForwardContext training{true, 11, 3};
  const RowMatrix cpu_logits = cpu_forward(training);
  expect_close(gpu.forward(training), cpu_logits, 1e-5, what + ", training logits (dropout)");
  RowMatrix grad;
  nll_loss<float>(cpu_logits, d.labels, d.train, &grad);
  for (auto* p : cpu.parameters()) p->grad.setZero();
  cpu.backward(g, cache, grad);
  gpu.backward(grad);
  const std::vector<RowMatrix> grads = gpu.gradients();
  const auto params = cpu.parameters();
  EXPECT_EQ(grads.size(), params.size());
  for (std::size_t k = 0; k < std::min(grads.size(), params.size()); ++k) {
    expect_close(grads[k], params[k]->grad, 1e-5, what + ", gradient of " + params[k]->name);
  }
  return gpu.aggregation_calls();
}

// A copy of d whose features are a dense matrix (the synthetic sets have sparse ones).
Dataset with_dense_features(Dataset d) {
  if (d.has_dense_features()) return d;
  d.dense_features = RowMatrix(d.features.rows, d.features.cols);
  d.dense_features.setZero();
  for (std::int64_t i = 0; i < d.features.rows; ++i) {
    for (EdgeId k = d.features.row_ptr[i]; k < d.features.row_ptr[i + 1]; ++k) {
      d.dense_features(i, d.features.col[k]) = d.features.val[k];
    }
  }
  d.features = SparseMatrix<float>{};
  return d;
}

TEST(CudaTrainer, RefusesWhatOnlyTheCpuRuns) {
  GatModelOptions o;
  o.in_features = 4;
  o.num_classes = 2;
  EXPECT_NO_THROW(check_cuda_options(o));
  auto refused = [](GatModelOptions bad, const std::string& flag) {
    try {
      check_cuda_options(bad);
      ADD_FAILURE() << flag << " was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(flag), std::string::npos) << e.what();
    }
  };
  GatModelOptions dense = o;
  dense.attention = AttentionMode::kDense;
  EXPECT_NO_THROW(check_cuda_options(dense));  // dense attention runs on the GPU too
  GatModelOptions dot = o;
  dot.score = ScoreFunction::kDot;
  refused(dot, "--score dot");
  GatModelOptions sparsemax = o;
  sparsemax.align = Alignment::kSparsemax;
  refused(sparsemax, "--align sparsemax");
  GatModelOptions multi = o;
  multi.multi_dim = true;
  refused(multi, "--multi-dim");
}

TEST(CudaTrainer, WithoutADeviceTheErrorSaysWhy) {
  if (cuda_status().usable) GTEST_SKIP() << "a CUDA device is present";
  const Dataset d = test::synthetic_dataset(60, 3, 1);
  const GatModel<float> model(options_for(d), 1);
  try {
    CudaTrainer gpu(model, d.graph, d.feature_view(), d.labels, split_of(d), AdamOptions{});
    ADD_FAILURE() << "a CudaTrainer was built without a usable device";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("--device cuda: ", 0), 0u) << e.what();
    EXPECT_NE(std::string(e.what()).find(cuda_status().reason), std::string::npos) << e.what();
  }
  TrainOptions t;
  t.device = Device::kCuda;
  GatModel<float> trained(options_for(d), 1);
  EXPECT_THROW(train_node_classifier(trained, d, t), Error);
}

TEST(CudaTrainer, MatchesTheCpuOnSparseFeatures) {
  GAT_SKIP_WITHOUT_CUDA();
  const Dataset d = load_linqs(test::bundled_data_dir() + "/cora", "cora");
  ASSERT_FALSE(d.has_dense_features());
  compare_with_cpu(d, options_for(d), "cora, the paper's model");
  GatModelOptions o = options_for(d);
  o.layers = 3;
  o.heads = 3;
  o.hidden = 5;
  o.out_heads = 4;  // averaged heads
  o.residual = true;
  compare_with_cpu(d, o, "cora, 3 layers, residual, averaged output heads");
}

TEST(CudaTrainer, MatchesTheCpuOnDenseFeatures) {
  GAT_SKIP_WITHOUT_CUDA();
  const Dataset d = with_dense_features(test::synthetic_dataset(700, 4, 3));
  ASSERT_TRUE(d.has_dense_features());
  GatModelOptions o = options_for(d);
  o.heads = 4;
  o.hidden = 6;
  o.self_loops = SelfLoops::kKeep;  // nodes without in-edges: rows of zeros
  compare_with_cpu(d, o, "synthetic dense");
  o.residual = true;
  o.bias = false;
  o.attention_dropout = 0.3;
  o.feature_dropout = 0.0;
  compare_with_cpu(d, o, "synthetic dense, residual, no bias");
}

// The aggregation by cuSPARSE (one SpMM per head, forward and on the transpose) against the
// CPU, as the kernel is; cuSPARSE takes the layers whose head blocks are 16-byte aligned.
TEST(CudaTrainer, MatchesTheCpuWithCusparseAggregation) {
  GAT_SKIP_WITHOUT_CUDA();
  const Dataset d = load_linqs(test::bundled_data_dir() + "/cora", "cora");
  GatModelOptions o = options_for(d);
  ASSERT_EQ(GatModel<float>(o, 5).prepare_graph(d.graph).num_edges() % 4, 0)
      << "Cora's slot count (self loops included) is a multiple of 4";
  // 8 heads × 8 features: cuSPARSE; the output layer's 7 classes: not aligned, the kernel.
  const CudaTrainer::AggregationCalls paper =
      compare_with_cpu(d, o, "cora, cuSPARSE aggregation", CudaAggregation::kCusparse);
  EXPECT_GT(paper.cusparse, 0);
  EXPECT_GT(paper.kernel, 0);
  o.heads = 3;
  o.hidden = 5;
  o.out_heads = 4;  // averaged heads; blocks of 5 and 7 floats: the kernel throughout
  const CudaTrainer::AggregationCalls odd =
      compare_with_cpu(d, o, "cora, cuSPARSE aggregation, odd widths", CudaAggregation::kCusparse);
  EXPECT_EQ(odd.cusparse, 0);
  EXPECT_GT(odd.kernel, 0);
}

// What the dense path asks of the device, computed on the host: the edge counts, each layer's
// weights and those after dropout, one gradient of the widest layer.
TEST(CudaTrainer, DenseAttentionBytes) {
  GatModelOptions o;
  o.in_features = 4;
  o.num_classes = 3;
  EXPECT_EQ(cuda_dense_attention_bytes(o, 1000), 0u) << "sparse attention holds no N² matrix";
  o.attention = AttentionMode::kDense;
  const std::uint64_t n2 = 2708ull * 2708ull;
  // The paper's model: 8 heads then 1, attention dropout: 1 + 2·8 + 2·1 matrices + 8 for the
  // gradient.
  EXPECT_EQ(cuda_dense_attention_bytes(o, 2708), (1 + 16 + 2 + 8) * n2 * 4);
  o.attention_dropout = 0.0;  // no weights after dropout
  o.layers = 3;
  o.out_heads = 12;  // the widest layer is the last
  EXPECT_EQ(cuda_dense_attention_bytes(o, 2708), (1 + 8 + 8 + 12 + 12) * n2 * 4);
  EXPECT_EQ(cuda_dense_attention_bytes(o, 0), 0u);
  EXPECT_EQ(cuda_dense_attention_bytes(o, std::int64_t{1} << 40),
            std::numeric_limits<std::uint64_t>::max());
  EXPECT_THROW((void)cuda_dense_attention_bytes(o, -1), Error);
}

TEST(CudaTrainer, AggregationNames) {
  EXPECT_EQ(parse_cuda_aggregation("kernel"), CudaAggregation::kKernel);
  EXPECT_EQ(parse_cuda_aggregation("cusparse"), CudaAggregation::kCusparse);
  EXPECT_STREQ(to_string(CudaAggregation::kCusparse), "cusparse");
  try {
    (void)parse_cuda_aggregation("cublas");
    ADD_FAILURE() << "an unknown aggregation was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("choose one of kernel, cusparse"), std::string::npos);
  }
}

// Dense attention ((N, N) weights per head, cuBLAS products) against the CPU's dense path:
// the paper's model on Cora (sparse features), and averaged heads, residual and nodes without
// in-edges on a graph with dense features.
TEST(CudaTrainer, MatchesTheCpuWithDenseAttention) {
  GAT_SKIP_WITHOUT_CUDA();
  const Dataset cora = load_linqs(test::bundled_data_dir() + "/cora", "cora");
  GatModelOptions o = options_for(cora);
  o.attention = AttentionMode::kDense;
  compare_with_cpu(cora, o, "cora, dense attention");
  const Dataset d = with_dense_features(test::synthetic_dataset(300, 4, 3));
  GatModelOptions s = options_for(d);
  s.attention = AttentionMode::kDense;
  s.heads = 3;
  s.hidden = 5;
  s.out_heads = 2;  // averaged
  s.residual = true;
  s.self_loops = SelfLoops::kKeep;  // nodes without in-edges: rows of zeros
  compare_with_cpu(d, s, "synthetic, dense attention, averaged heads, residual");
}

// Dense attention that cannot fit is refused before it is allocated, with what it needs.
TEST(CudaTrainer, RefusesDenseAttentionThatDoesNotFit) {
  GAT_SKIP_WITHOUT_CUDA();
  const Dataset d = test::synthetic_dataset(200, 3, 1);
  GatModelOptions o = options_for(d);
  o.attention = AttentionMode::kDense;
  o.dense_memory_limit = 1024;  // bytes: far below 200² values
  const GatModel<float> model(o, 1);
  try {
    CudaTrainer gpu(model, d.graph, d.feature_view(), d.labels, split_of(d), AdamOptions{});
    ADD_FAILURE() << "dense attention over the limit was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("dense attention needs"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("are allowed"), std::string::npos) << e.what();
  }
}

// Five steps from the same model twice: every parameter the same bits.
void expect_same_bits_twice(const Dataset& d, const GatModelOptions& o, const std::string& what,
                            CudaAggregation aggregation = CudaAggregation::kKernel) {
  const GatModel<float> model(o, 7);
  std::vector<std::vector<RowMatrix>> runs;
  for (int run = 0; run < 2; ++run) {
    CudaTrainer gpu(model, d.graph, d.feature_view(), d.labels, split_of(d), AdamOptions{});
    gpu.set_aggregation(aggregation);
    for (std::uint64_t step = 0; step < 5; ++step) gpu.train_step(3, step);
    GatModel<float> out = model;
    gpu.download(out);
    std::vector<RowMatrix> values;
    for (const auto* p : out.parameters()) values.push_back(p->value);
    runs.push_back(std::move(values));
  }
  for (std::size_t k = 0; k < runs[0].size(); ++k) {
    EXPECT_TRUE(same_bits(runs[0][k], runs[1][k])) << what << ", parameter " << k;
  }
}

// Same seed, same bits: two trainers from the same model take the same steps, with sparse
// attention (either aggregation) and with dense attention.
TEST(CudaTrainer, SameBitsFromRunToRun) {
  GAT_SKIP_WITHOUT_CUDA();
  const Dataset d = load_linqs(test::bundled_data_dir() + "/cora", "cora");
  for (const AttentionMode mode : {AttentionMode::kSparse, AttentionMode::kDense}) {
    GatModelOptions o = options_for(d);
    o.attention = mode;
    expect_same_bits_twice(d, o, to_string(mode));
  }
  expect_same_bits_twice(d, options_for(d), "cuSPARSE aggregation", CudaAggregation::kCusparse);
}

// Training on the device follows the CPU run: the first epochs' losses agree to rounding, and
// the whole run reaches the paper's accuracy.
TEST(CudaTrainer, TrainsCoraLikeTheCpu) {
  GAT_SKIP_WITHOUT_CUDA();
  const Dataset d = load_linqs(test::bundled_data_dir() + "/cora", "cora");
  TrainOptions t;
  t.epochs = 5;
  t.patience = 100;
  GatModel<float> cpu_model(options_for(d), 0);
  const TrainResult cpu = train_node_classifier(cpu_model, d, t);
  t.device = Device::kCuda;
  GatModel<float> gpu_model(options_for(d), 0);
  const TrainResult gpu = train_node_classifier(gpu_model, d, t);
  ASSERT_EQ(cpu.history.size(), gpu.history.size());
  for (std::size_t k = 0; k < cpu.history.size(); ++k) {
    EXPECT_NEAR(gpu.history[k].train_loss, cpu.history[k].train_loss,
                1e-5 * std::abs(cpu.history[k].train_loss))
        << "epoch " << k + 1;
    EXPECT_NEAR(gpu.history[k].val_loss, cpu.history[k].val_loss,
                1e-5 * std::abs(cpu.history[k].val_loss))
        << "epoch " << k + 1;
  }
  TrainOptions full;
  full.device = Device::kCuda;
  GatModel<float> trained(options_for(d), 0);
  EXPECT_GE(train_node_classifier(trained, d, full).test_acc, 0.80);
}

}  // namespace
}  // namespace gat
