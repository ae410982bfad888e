#pragma once
// Adam (Kingma & Ba, 2015) with L2 weight decay added to the gradient, as the GAT paper
// applies it (an L2 penalty λ/2·‖θ‖² in the loss, i.e. grad += λ·θ; not AdamW's decoupled
// decay).

#include <vector>

#include "gat/layers/parameter.hpp"

namespace gat {

/// @brief Adam hyper-parameters; defaults are the GAT paper's Cora settings.
struct AdamOptions {
  double lr = 0.005;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 5e-4;  // λ of the L2 penalty, applied to every parameter
};

/// @brief Adam over a fixed list of parameters; keeps first and second moments per entry.
template <typename T>
class Adam {
 public:
  /// @brief Validates the options (lr > 0, betas in [0, 1), eps > 0, decay ≥ 0).
  Adam(std::vector<Parameter<T>*> params, const AdamOptions& options);

  /// @brief One update from the gradients currently held in the parameters.
  void step();
  long steps() const { return t_; }
  const AdamOptions& options() const { return options_; }
  /// @brief Sets the learning rate of the next steps (a schedule); lr > 0, else gat::Error.
  void set_lr(double lr);

 private:
  std::vector<Parameter<T>*> params_;
  AdamOptions options_;
  std::vector<Matrix<T>> m_, v_;
  long t_ = 0;
};

}  // namespace gat
