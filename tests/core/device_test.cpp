// Devices (gat/core/device.hpp): the names of --device, what the CUDA probe reports on this
// machine, and that asking for a device that cannot run is a gat::Error naming why, from
// require_device and from the CUDA trainer's constructor alike. Written to pass with and
// without a GPU: where one is usable, the checks of the refusal give way to the opposite.

#include "gat/core/device.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "gat/build_config.hpp"
#include "gat/core/error.hpp"
#include "gat/graph/build.hpp"
#include "gat/train/cuda_trainer.hpp"

namespace gat {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(Device, NamesRoundTrip) {
  for (const Device d : {Device::kCpu, Device::kCuda}) {
    EXPECT_EQ(parse_device(to_string(d)), d);
  }
  EXPECT_STREQ(to_string(Device::kCpu), "cpu");
  EXPECT_STREQ(to_string(Device::kCuda), "cuda");
}

TEST(Device, UnknownNameListsTheChoices) {
  for (const std::string name : {"gpu", "CUDA", "", "cuda0"}) {
    try {
      parse_device(name);
      ADD_FAILURE() << "parse_device accepted '" << name << "'";
    } catch (const Error& e) {
      EXPECT_THAT(e.what(), HasSubstr("'" + name + "'"));
      EXPECT_THAT(e.what(), HasSubstr("cpu, cuda"));
    }
  }
}

TEST(Device, StatusAgreesWithTheBuild) {
  const CudaStatus s = cuda_status();
  EXPECT_EQ(s.built, GAT_BUILD_CUDA != 0);
  EXPECT_EQ(built_with_cuda(), s.built);
  // Usable needs built; a status that is not usable says why, and one that is says nothing.
  if (!s.built) {
    EXPECT_FALSE(s.usable);
  }
  EXPECT_EQ(s.reason.empty(), s.usable);
  if (!s.built) {
    EXPECT_EQ(s.reason, "this gat was built without CUDA (configure with -DGAT_WITH_CUDA=ON)");
  }
  if (s.usable) {
    EXPECT_FALSE(s.name.empty());
    EXPECT_GT(s.compute_major, 0);
    EXPECT_GT(s.memory_bytes, 0U);
    EXPECT_GT(s.driver_version, 0);
  }
  if (s.built) {
    EXPECT_GT(s.runtime_version, 0);
  }
}

TEST(Device, StatusIsProbedOnce) {
  // Later calls return the first answer, field for field.
  const CudaStatus a = cuda_status(), b = cuda_status();
  EXPECT_EQ(a.usable, b.usable);
  EXPECT_EQ(a.reason, b.reason);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.driver_version, b.driver_version);
}

TEST(Device, CpuIsAlwaysThere) { EXPECT_NO_THROW(require_device(Device::kCpu)); }

TEST(Device, CudaRefusedWithTheReason) {
  const CudaStatus s = cuda_status();
  if (s.usable) {
    EXPECT_NO_THROW(require_device(Device::kCuda));
    return;
  }
  try {
    require_device(Device::kCuda);
    ADD_FAILURE() << "require_device(kCuda) returned on a machine where CUDA is not usable";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "--device cuda: " + s.reason);
    EXPECT_THAT(e.what(), StartsWith("--device cuda: "));
  }
}

TEST(Device, CudaTrainerRefusedWithoutADevice) {
  const CudaStatus s = cuda_status();
  if (s.usable) GTEST_SKIP() << "a CUDA device is usable here (" << s.name << ")";
  GatModelOptions o;
  o.in_features = 3;
  o.num_classes = 2;
  o.hidden = 2;
  o.heads = 1;
  const GatModel<float> model(o, 0);
  const CsrGraph graph = build_csr(3, {0, 1, 2}, {1, 2, 0});
  const RowMatrix x = RowMatrix::Ones(3, 3);
  const std::vector<std::int32_t> labels = {0, 1, 0};
  const Split split{{0}, {1}, {2}};
  try {
    const CudaTrainer trainer(model, graph, MatrixCRef<float>(x), labels, split, AdamOptions{});
    ADD_FAILURE() << "CudaTrainer was constructed on a machine where CUDA is not usable";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), StartsWith("--device cuda: "));
    EXPECT_THAT(e.what(), HasSubstr(s.reason));
  }
}

}  // namespace
}  // namespace gat
