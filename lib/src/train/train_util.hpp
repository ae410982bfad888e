#pragma once
// Private helpers shared by the node- and graph-classification trainers.

#include <chrono>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/layers/parameter.hpp"

namespace gat::detail {

using Clock = std::chrono::steady_clock;

inline double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

/// Stops training with the parameter (and so the layer) and the epoch named when a
/// gradient has become NaN or infinite: never step an optimiser on it silently.
inline void check_finite_gradients(const std::vector<Parameter<float>*>& params, int epoch) {
  for (const auto* p : params) {
    GAT_CHECK(p->grad.allFinite(), "training diverged: non-finite gradient of "
                                       << p->name << " at epoch " << epoch
                                       << " (try a lower learning rate)");
  }
}

}  // namespace gat::detail
