// gat/train/cuda_trainer.hpp in a build without the CUDA backend (-DGAT_WITH_CUDA=OFF): the
// class exists, so that programs compile and link the same way against either build, and its
// constructor throws gat::Error saying how to get the backend. With GAT_WITH_CUDA the real
// definitions are in lib/src/train/cuda/ and this file compiles to nothing.

#include "gat/train/cuda_trainer.hpp"

#ifndef GAT_WITH_CUDA

#include "gat/core/device.hpp"
#include "gat/core/error.hpp"

namespace gat {
namespace {

// The other members cannot be reached (no object can be constructed), but defining them
// keeps the link of a program that names them working; each says what it is if it ever runs.
[[noreturn]] void no_backend(const char* member) {
  GAT_FAIL("CudaTrainer::" << member
                           << ": this gat was built without CUDA (configure with "
                              "-DGAT_WITH_CUDA=ON)");
}

}  // namespace

struct CudaTrainer::Impl {};

CudaTrainer::CudaTrainer(const GatModel<float>& /*model*/, const CsrGraph& /*graph*/,
                         FeatureView /*features*/, std::span<const std::int32_t> /*labels*/,
                         const Split& /*split*/, const AdamOptions& /*adam*/) {
  require_device(Device::kCuda);  // throws in this build, with the message users see
  no_backend("CudaTrainer");
}

CudaTrainer::~CudaTrainer() = default;

SplitScore CudaTrainer::train_step(std::uint64_t /*seed*/, std::uint64_t /*step*/) {
  no_backend("train_step");
}

CudaTrainer::Scores CudaTrainer::evaluate() { no_backend("evaluate"); }

void CudaTrainer::keep_best() { no_backend("keep_best"); }

void CudaTrainer::restore_best() { no_backend("restore_best"); }

void CudaTrainer::download(GatModel<float>& /*model*/) const { no_backend("download"); }

RowMatrix CudaTrainer::forward(const ForwardContext& /*ctx*/) { no_backend("forward"); }

void CudaTrainer::backward(MatrixCRef<float> /*grad_logits*/) { no_backend("backward"); }

std::vector<RowMatrix> CudaTrainer::gradients() const { no_backend("gradients"); }

void CudaTrainer::set_aggregation(CudaAggregation /*aggregation*/) {
  no_backend("set_aggregation");
}

CudaAggregation CudaTrainer::aggregation() const { no_backend("aggregation"); }

CudaTrainer::AggregationCalls CudaTrainer::aggregation_calls() const {
  no_backend("aggregation_calls");
}

void CudaTrainer::synchronize() const { no_backend("synchronize"); }

std::string CudaTrainer::device_name() const { no_backend("device_name"); }

}  // namespace gat

#endif  // GAT_WITH_CUDA
