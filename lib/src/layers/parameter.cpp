#include "gat/layers/parameter.hpp"

#include <cmath>

#include "gat/core/random.hpp"

namespace gat {

template <typename T>
void glorot_uniform(Parameter<T>& p, double fan_in, double fan_out, std::uint64_t seed,
                    std::uint64_t layer, std::uint64_t ordinal) {
  const double bound = std::sqrt(6.0 / (fan_in + fan_out));
  const CounterRng rng(seed, ordinal, layer, kStreamInit);
  const Eigen::Index cols = p.value.cols();
  for (Eigen::Index r = 0; r < p.value.rows(); ++r) {
    for (Eigen::Index c = 0; c < cols; ++c) {
      const double u = rng.uniform(static_cast<std::uint64_t>(r * cols + c));
      p.value(r, c) = static_cast<T>((2.0 * u - 1.0) * bound);
    }
  }
}

template void glorot_uniform<float>(Parameter<float>&, double, double, std::uint64_t, std::uint64_t,
                                    std::uint64_t);
template void glorot_uniform<double>(Parameter<double>&, double, double, std::uint64_t,
                                     std::uint64_t, std::uint64_t);

}  // namespace gat
