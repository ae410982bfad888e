// What the CUDA backend runs (gat/train/cuda_trainer.hpp): checked in every build, so that a
// configuration the GPU cannot train is refused for what it is, before asking for a device.

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>

#include "gat/core/error.hpp"
#include "gat/train/cuda_trainer.hpp"

namespace gat {

void check_cuda_options(const GatModelOptions& o) {
  const char* why =
      "--device cuda runs the paper's layer (the gat score, softmax alignment; sparse or dense "
      "attention); ";
  GAT_CHECK(o.score == ScoreFunction::kGat,
            why << "--score " << to_string(o.score) << " runs on the CPU only");
  GAT_CHECK(o.align == Alignment::kSoftmax,
            why << "--align " << to_string(o.align) << " runs on the CPU only");
  GAT_CHECK(!o.multi_dim, why << "--multi-dim runs on the CPU only");
}

std::uint64_t cuda_dense_attention_bytes(const GatModelOptions& o, std::int64_t nodes) {
  if (o.attention != AttentionMode::kDense) return 0;
  GAT_CHECK(
      nodes >= 0 && o.layers >= 1,
      "cuda_dense_attention_bytes: N must be non-negative and the model have a layer, got N = "
          << nodes << ", " << o.layers << " layers");
  const auto n = static_cast<std::uint64_t>(nodes);
  std::uint64_t n2 = 0;
  if (__builtin_mul_overflow(n, n, &n2)) return std::numeric_limits<std::uint64_t>::max();
  std::uint64_t matrices = 1, widest = 0;  // the edge counts, then per layer
  for (int l = 0; l < o.layers; ++l) {
    const auto h = static_cast<std::uint64_t>(l + 1 == o.layers ? o.out_heads : o.heads);
    matrices += h * (o.attention_dropout > 0.0 ? 2 : 1);
    widest = std::max(widest, h);
  }
  std::uint64_t values = 0, bytes = 0;
  if (__builtin_mul_overflow(matrices + widest, n2, &values) ||
      __builtin_mul_overflow(values, std::uint64_t{sizeof(float)}, &bytes)) {
    return std::numeric_limits<std::uint64_t>::max();
  }
  return bytes;
}

const char* to_string(CudaAggregation aggregation) {
  return aggregation == CudaAggregation::kCusparse ? "cusparse" : "kernel";
}

CudaAggregation parse_cuda_aggregation(const std::string& text) {
  if (text == "kernel") return CudaAggregation::kKernel;
  if (text == "cusparse") return CudaAggregation::kCusparse;
  GAT_FAIL("unknown aggregation '" << text << "'; choose one of kernel, cusparse");
}

}  // namespace gat
