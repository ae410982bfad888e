#include "gat/core/device.hpp"

#include <string>

#include "gat/build_config.hpp"
#include "gat/core/error.hpp"

#ifdef GAT_WITH_CUDA
// A plain C header: this file is compiled by the C++ compiler, not nvcc.
#include <cuda_runtime_api.h>

#include <cctype>
#include <cstddef>
#endif

namespace gat {

const char* to_string(Device device) {
  switch (device) {
    case Device::kCpu:
      return "cpu";
    case Device::kCuda:
      return "cuda";
  }
  return "?";
}

Device parse_device(const std::string& name) {
  for (const auto d : {Device::kCpu, Device::kCuda}) {
    if (name == to_string(d)) return d;
  }
  GAT_FAIL("unknown device '" << name << "'; choose one of cpu, cuda");
}

bool built_with_cuda() { return GAT_BUILD_CUDA != 0; }

namespace {

#ifdef GAT_WITH_CUDA

// "13.0" from the runtime's encoding of a CUDA version, 1000·major + 10·minor.
std::string cuda_version_text(int version) {
  return std::to_string(version / 1000) + "." + std::to_string(version % 1000 / 10);
}

// The oldest compute capability (10·major + minor) this build has code for, from
// CMAKE_CUDA_ARCHITECTURES as gat/build_config.hpp records it ("90", "80,90", "90-real");
// 0 when it cannot say ("native", "all", "all-major": CMake chose them for the machine).
int oldest_architecture() {
  const std::string list = GAT_BUILD_CUDA_ARCHITECTURES;
  int oldest = 0;
  std::size_t at = 0;
  while (at < list.size()) {
    std::size_t end = list.find(',', at);
    if (end == std::string::npos) end = list.size();
    int arch = 0;
    std::size_t k = at;
    for (; k < end && std::isdigit(static_cast<unsigned char>(list[k])) != 0; ++k) {
      arch = arch * 10 + (list[k] - '0');
    }
    if (k == at) return 0;  // a keyword, not a number
    if (oldest == 0 || arch < oldest) oldest = arch;
    at = end + 1;
  }
  return oldest;
}

CudaStatus probe() {
  CudaStatus s;
  s.built = true;
  // Both calls only report versions; a machine without a driver reports driver 0.
  if (cudaRuntimeGetVersion(&s.runtime_version) != cudaSuccess) s.runtime_version = 0;
  if (cudaDriverGetVersion(&s.driver_version) != cudaSuccess) s.driver_version = 0;
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  // A failed call is also recorded as the runtime's last error; cleared here, so that the
  // backend's own error checks later do not report this probe's failure as theirs.
  static_cast<void>(cudaGetLastError());
  if (err == cudaErrorInsufficientDriver) {
    s.reason = s.driver_version == 0
                   ? std::string("no NVIDIA driver is installed")
                   : "the NVIDIA driver (CUDA " + cuda_version_text(s.driver_version) +
                         ") is older than this build's runtime (CUDA " +
                         cuda_version_text(s.runtime_version) + ")";
    return s;
  }
  if (err == cudaErrorNoDevice || (err == cudaSuccess && count == 0)) {
    s.reason = "no CUDA device is present";
    return s;
  }
  if (err != cudaSuccess) {
    s.reason = std::string("the CUDA runtime cannot list the devices: ") + cudaGetErrorString(err);
    return s;
  }
  cudaDeviceProp prop{};
  const cudaError_t props = cudaGetDeviceProperties(&prop, 0);
  static_cast<void>(cudaGetLastError());
  if (props != cudaSuccess) {
    s.reason = std::string("the CUDA runtime cannot read device 0's properties: ") +
               cudaGetErrorString(props);
    return s;
  }
  s.name = prop.name;
  s.compute_major = prop.major;
  s.compute_minor = prop.minor;
  s.memory_bytes = prop.totalGlobalMem;
  // Machine code runs only on its own architecture's family and PTX only on later ones, so a
  // GPU older than every architecture of the build cannot run a kernel: say so now, rather
  // than "no kernel image is available" at the first launch.
  const int oldest = oldest_architecture();
  const int capability = 10 * prop.major + prop.minor;
  if (oldest > 0 && capability < oldest) {
    s.reason = "device 0 (" + s.name + ") has compute capability " + std::to_string(prop.major) +
               "." + std::to_string(prop.minor) + ", older than this build's CUDA architectures (" +
               GAT_BUILD_CUDA_ARCHITECTURES +
               "); configure with -DCMAKE_CUDA_ARCHITECTURES=" + std::to_string(capability);
    return s;
  }
  s.usable = true;
  return s;
}

#else

CudaStatus probe() {
  CudaStatus s;
  s.reason = "this gat was built without CUDA (configure with -DGAT_WITH_CUDA=ON)";
  return s;
}

#endif

}  // namespace

CudaStatus cuda_status() {
  // Probed once, on first use (a function-local static: thread-safe), because the runtime's
  // answer does not change while the process runs and the first call costs the driver's
  // initialisation (up to a second with a GPU).
  static const CudaStatus status = probe();
  return status;
}

void require_device(Device device) {
  if (device == Device::kCpu) return;
  const CudaStatus s = cuda_status();
  GAT_CHECK(s.usable, "--device " << to_string(device) << ": " << s.reason);
}

}  // namespace gat
