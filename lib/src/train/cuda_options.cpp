// What the CUDA backend runs (gat/train/cuda_trainer.hpp): checked in every build, so that a
// configuration the GPU cannot train is refused for what it is, before asking for a device.

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

const char* to_string(CudaAggregation aggregation) {
  return aggregation == CudaAggregation::kCusparse ? "cusparse" : "kernel";
}

CudaAggregation parse_cuda_aggregation(const std::string& text) {
  if (text == "kernel") return CudaAggregation::kKernel;
  if (text == "cusparse") return CudaAggregation::kCusparse;
  GAT_FAIL("unknown aggregation '" << text << "'; choose one of kernel, cusparse");
}

}  // namespace gat
