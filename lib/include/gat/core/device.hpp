#pragma once
// Where a model runs: the CPU (always) or an NVIDIA GPU through CUDA (builds configured with
// -DGAT_WITH_CUDA=ON, on a machine with a device and a recent enough driver). Asking for a
// device that is not there is a gat::Error saying why, never a crash.

#include <cstdint>
#include <string>

namespace gat {

enum class Device { kCpu, kCuda };

/// @brief "cpu" or "cuda".
const char* to_string(Device device);
/// @brief The device named "cpu" or "cuda"; throws gat::Error listing the choices otherwise.
Device parse_device(const std::string& name);

/// @brief Whether this library was built with the CUDA backend (-DGAT_WITH_CUDA=ON).
bool built_with_cuda();

/// @brief What the CUDA runtime says about this machine. Never throws.
struct CudaStatus {
  bool built = false;   // the library has the CUDA backend
  bool usable = false;  // built, a device is present and the driver can run this build
  std::string reason;   // why not usable (empty when usable): not built, no device, driver...
  std::string name;     // device 0's name, when usable
  int compute_major = 0, compute_minor = 0;  // device 0's compute capability
  std::uint64_t memory_bytes = 0;            // device 0's global memory
  int driver_version = 0;   // cudaDriverGetVersion (e.g. 13000), 0 when there is no driver
  int runtime_version = 0;  // cudaRuntimeGetVersion of the runtime linked in
};
/// @brief Probes the CUDA runtime once (later calls return the first answer).
CudaStatus cuda_status();

/// @brief Returns when `device` can run here; otherwise throws gat::Error with one line naming
/// why ("--device cuda: this gat was built without CUDA (configure with -DGAT_WITH_CUDA=ON)",
/// "... no NVIDIA driver is installed", "... no CUDA device is present", "... the NVIDIA driver
/// (CUDA 12.2) is older than this build's runtime (CUDA 13.0)").
void require_device(Device device);

}  // namespace gat
