#pragma once
// The node-classification GatModel trained on an NVIDIA GPU (CUDA, cuSPARSE, cuBLAS). The
// graph, the features, the labels, the parameters, their gradients and Adam's moments live on
// the device; a training step or an evaluation pass sends nothing back but a few scalars
// (losses, correct counts, a non-finite flag). The maths is GatModel's, with the same
// counter-based dropout masks (gat/core/random.hpp): the same model trained on the CPU and on
// the GPU agrees to rounding (1e-5 relative), and on one GPU a seed gives the same bits from
// run to run, because every sum has a fixed order (no floating-point atomics; the backward of
// a sparse product runs on the transpose, never on cuSPARSE's transposed operation).
//
// What runs: the paper's layer as GatModel builds it (the gat score, the softmax alignment,
// single-dimensional), with sparse attention (CSR) or dense attention ((N, N) weights per head
// masked by the edge counts, aggregated by cuBLAS: the baseline sparse attention is measured
// against, refused before allocating when it would not fit the device's free memory or the
// model's dense_memory_limit), any number of layers and heads, concatenated or averaged heads,
// input, attention and feature dropout, bias, residual, ELU, the loss, Adam with weight decay.
// Anything else (the survey's variants, double precision) is refused by check_cuda_options with
// the option named.
//
// In a build without CUDA (-DGAT_WITH_CUDA=OFF) constructing a CudaTrainer throws gat::Error
// saying so (see require_device).

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "gat/data/features.hpp"
#include "gat/data/split.hpp"
#include "gat/graph/csr.hpp"
#include "gat/layers/gat_model.hpp"
#include "gat/optim/adam.hpp"

namespace gat {

/// @brief Throws gat::Error naming the first option of `options` the CUDA backend does not run
/// ("--device cuda runs the paper's layer only: --score dot is CPU-only"); returns otherwise.
void check_cuda_options(const GatModelOptions& options);

/// @brief Bytes of device memory a CudaTrainer's dense attention holds while it trains a model
/// with `options` on N nodes: the edge counts (N²), every layer's weights and, with attention
/// dropout, those after it (H·N² each: all live from the forward to the backward), and one
/// gradient as wide as the widest layer's (H·N²), in float. 0 for sparse attention; 2^64 - 1
/// when the count overflows. The trainer refuses, before allocating any of it, a model whose
/// figure exceeds the device's free memory or options.dense_memory_limit.
std::uint64_t cuda_dense_attention_bytes(const GatModelOptions& options, std::int64_t nodes);

/// @brief Loss and accuracy over one set of nodes.
struct SplitScore {
  double loss = 0;
  double acc = 0;
};

/// @brief How sparse attention aggregates on the GPU, out[i, h] = Σ_p α[h, p]·z[src p, h]:
/// kKernel, gat's kernel (one thread per output entry, all heads in one launch, slots in order);
/// kCusparse, cusparseSpMM per head with the head's weights as the values of the graph's CSR
/// matrix (CSR_ALG2, which cuSPARSE documents as reproducible; the backward multiplies by the
/// stored transpose). Both are deterministic; which is faster is for the GPU to say (gat bench
/// --device cuda --aggregation). cuSPARSE gets a layer only when its head blocks are 16-byte
/// aligned (E, F and H·F multiples of 4); the kernel runs the others.
enum class CudaAggregation { kKernel, kCusparse };
/// @brief "kernel" or "cusparse".
const char* to_string(CudaAggregation aggregation);
/// @brief Parses "kernel" or "cusparse"; throws gat::Error naming the choices otherwise.
CudaAggregation parse_cuda_aggregation(const std::string& text);

/// @brief A GatModel, its data and its optimiser resident on CUDA device 0.
class CudaTrainer {
 public:
  /// @brief Uploads the model's parameters, the graph (the model's self-loop policy applied
  /// here), the features (sparse stay sparse), the labels and the split. Throws gat::Error
  /// when no device can run (require_device), for options check_cuda_options refuses, for data
  /// that does not fit the model (as train_node_classifier checks it), and when the device
  /// runs out of memory (saying how much was asked).
  CudaTrainer(const GatModel<float>& model, const CsrGraph& graph, FeatureView features,
              std::span<const std::int32_t> labels, const Split& split, const AdamOptions& adam);
  ~CudaTrainer();
  CudaTrainer(const CudaTrainer&) = delete;
  CudaTrainer& operator=(const CudaTrainer&) = delete;

  /// @brief One training step: forward with dropout keyed by (seed, step) as
  /// ForwardContext{true, seed, step}, the loss over the training nodes, backward, Adam. Returns
  /// the loss and accuracy on the training nodes (with dropout). Throws gat::Error, before Adam
  /// touches the weights, when the loss or a gradient is not finite (naming the parameter).
  SplitScore train_step(std::uint64_t seed, std::uint64_t step);

  /// @brief Scores of one inference pass (no dropout) on each part of the split.
  struct Scores {
    SplitScore train, val, test;
  };
  /// @brief One inference pass; throws gat::Error when the logits are not finite.
  Scores evaluate();

  /// @brief Copies the current parameters aside on the device (the best so far) ...
  void keep_best();
  /// @brief ... and back (no-op when keep_best was never called).
  void restore_best();
  /// @brief The current parameter values into `model` (the model this trainer was built from,
  /// or one with the same options).
  void download(GatModel<float>& model) const;

  /// @brief The logits (N, C) of one forward pass with `ctx`'s training flag, seed and step
  /// (for tests; training never copies them back).
  RowMatrix forward(const ForwardContext& ctx);
  /// @brief After forward with ctx.training: zeroes the gradients and runs the backward from
  /// grad_logits (N, C) (for tests; train_step computes the loss's gradient on the device).
  void backward(MatrixCRef<float> grad_logits);
  /// @brief The parameter gradients, in the order of GatModel::parameters().
  std::vector<RowMatrix> gradients() const;
  /// @brief The sparse attention's aggregation from now on (default kKernel).
  void set_aggregation(CudaAggregation aggregation);
  /// @brief The aggregation asked for (set_aggregation).
  CudaAggregation aggregation() const;
  /// @brief How many sparse aggregations (forward or backward, per layer) ran on each, so far.
  struct AggregationCalls {
    std::int64_t cusparse = 0, kernel = 0;
  };
  AggregationCalls aggregation_calls() const;
  /// @brief Waits for the device's queued work (for timing).
  void synchronize() const;
  /// @brief "NVIDIA H200 (sm_90, 139.8 GiB)".
  std::string device_name() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gat
