#pragma once
// A trainable tensor with its gradient, as layers expose them to optimizers and checkpoints.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "gat/core/types.hpp"

namespace gat {

/// @brief A named parameter: value and gradient of the same shape.
template <typename T>
struct Parameter {
  std::string name;  // e.g. "layers.0.weight"
  Matrix<T> value;
  Matrix<T> grad;

  Parameter() = default;
  Parameter(std::string n, Eigen::Index rows, Eigen::Index cols)
      : name(std::move(n)), value(Matrix<T>::Zero(rows, cols)), grad(Matrix<T>::Zero(rows, cols)) {}
};

/// @brief Fills a parameter with Glorot-uniform values U(-b, b), b = sqrt(6 / (fan_in + fan_out)),
/// from the counter-based generator keyed by (seed, layer, ordinal): reproducible and
/// independent of thread count.
template <typename T>
void glorot_uniform(Parameter<T>& p, double fan_in, double fan_out, std::uint64_t seed,
                    std::uint64_t layer, std::uint64_t ordinal);

/// @brief Sets every gradient in the list to zero.
template <typename T>
void zero_grad(const std::vector<Parameter<T>*>& params) {
  for (auto* p : params) p->grad.setZero();
}

}  // namespace gat
