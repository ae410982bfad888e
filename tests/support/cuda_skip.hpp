#pragma once
// For tests that need a GPU (tests/cuda): skips the test, naming why, where gat::cuda_status()
// says --device cuda cannot run (a build without CUDA, no device, an old driver), so that the
// suite passes on machines without a GPU and says what it did not check.
//   TEST(CudaTrainer, MatchesCpu) {
//     GAT_SKIP_WITHOUT_CUDA();
//     ...
//   }

#include <gtest/gtest.h>

#include "gat/core/device.hpp"

/// Skips the current test unless CUDA device 0 can run this build's kernels.
#define GAT_SKIP_WITHOUT_CUDA()                                                        \
  do {                                                                                 \
    if (const ::gat::CudaStatus gat_cuda_ = ::gat::cuda_status(); !gat_cuda_.usable) { \
      GTEST_SKIP() << "no usable CUDA device: " << gat_cuda_.reason;                   \
    }                                                                                  \
  } while (false)
