#pragma once
// Linear: a dense affine layer y = x·W + b, the building block of the gate and feature
// networks of attention pooling (and of any small MLP head). Forward and backward reuse the
// fixed-chunk kernels of ops/linear.hpp, so results are bit-identical at any thread count.

#include <cstdint>
#include <string>
#include <vector>

#include "gat/core/types.hpp"
#include "gat/layers/parameter.hpp"

namespace gat {

/// @brief An affine layer y = x·W + b with W (in, out) and optional b (1, out).
template <typename T>
class Linear {
 public:
  /// @brief Creates the layer. W is Glorot-uniform with fan-in `in` and fan-out `out`, drawn
  /// from the generator keyed by (seed, layer, ordinal) — give every Linear of a model its own
  /// (layer, ordinal) pair; b starts at zero. Parameters are named "<prefix>.weight" and
  /// "<prefix>.bias" (just "weight" and "bias" when the prefix is empty).
  Linear(std::int64_t in, std::int64_t out, bool with_bias, std::uint64_t seed, std::uint64_t layer,
         std::uint64_t ordinal, const std::string& prefix);

  std::int64_t in_features() const { return weight.value.rows(); }
  std::int64_t out_features() const { return weight.value.cols(); }
  bool has_bias() const { return has_bias_; }

  /// @brief y = x·W + b.  @param x (N, in); returns (N, out).
  Matrix<T> forward(MatrixCRef<T> x) const;

  /// @brief Backward of forward(x): adds xᵀ·grad_out into weight.grad and Σ_n grad_out[n]
  /// into bias.grad; when grad_input is given, overwrites it with grad_out·Wᵀ (N, in).
  /// @param x (N, in) the forward input (the layer keeps no cache of its own),
  /// @param grad_out (N, out), @param grad_input resized to (N, in), or null.
  void backward(MatrixCRef<T> x, MatrixCRef<T> grad_out, Matrix<T>* grad_input);

  /// @brief The trainable parameters in a fixed order: weight, then bias when present.
  std::vector<Parameter<T>*> parameters();

  Parameter<T> weight;  // (in, out)
  Parameter<T> bias;    // (1, out) when constructed with bias, else empty

 private:
  bool has_bias_;
};

}  // namespace gat
