#include "gat/optim/adam.hpp"

#include <cmath>

#include "gat/core/error.hpp"

namespace gat {

template <typename T>
Adam<T>::Adam(std::vector<Parameter<T>*> params, const AdamOptions& options)
    : params_(std::move(params)), options_(options) {
  GAT_CHECK(options.lr > 0 && std::isfinite(options.lr),
            "Adam: learning rate must be positive, got " << options.lr);
  GAT_CHECK(options.beta1 >= 0 && options.beta1 < 1,
            "Adam: beta1 must lie in [0, 1), got " << options.beta1);
  GAT_CHECK(options.beta2 >= 0 && options.beta2 < 1,
            "Adam: beta2 must lie in [0, 1), got " << options.beta2);
  GAT_CHECK(options.eps > 0, "Adam: eps must be positive, got " << options.eps);
  GAT_CHECK(options.weight_decay >= 0 && std::isfinite(options.weight_decay),
            "Adam: weight decay must be non-negative, got " << options.weight_decay);
  for (auto* p : params_) {
    m_.push_back(Matrix<T>::Zero(p->value.rows(), p->value.cols()));
    v_.push_back(Matrix<T>::Zero(p->value.rows(), p->value.cols()));
  }
}

template <typename T>
void Adam<T>::step() {
  ++t_;
  const auto& o = options_;
  // Bias corrections of the moment estimates, folded into the step size.
  const double c1 = 1.0 - std::pow(o.beta1, double(t_));
  const double c2 = 1.0 - std::pow(o.beta2, double(t_));
  const T lr = T(o.lr), b1 = T(o.beta1), b2 = T(o.beta2), wd = T(o.weight_decay);
  const T inv_c1 = T(1.0 / c1), inv_c2 = T(1.0 / c2), eps = T(o.eps);
  for (std::size_t k = 0; k < params_.size(); ++k) {
    auto& p = *params_[k];
    T* w = p.value.data();
    const T* g0 = p.grad.data();
    T* m = m_[k].data();
    T* v = v_[k].data();
    const Eigen::Index n = p.value.size();
    // Element-wise, so splitting across threads cannot change any result.
#pragma omp parallel for schedule(static) if (n > 16384)
    for (Eigen::Index i = 0; i < n; ++i) {
      const T g = g0[i] + wd * w[i];
      m[i] = b1 * m[i] + (T(1) - b1) * g;
      v[i] = b2 * v[i] + (T(1) - b2) * g * g;
      w[i] -= lr * (m[i] * inv_c1) / (std::sqrt(v[i] * inv_c2) + eps);
    }
  }
}

template <typename T>
void Adam<T>::set_lr(double lr) {
  GAT_CHECK(lr > 0 && std::isfinite(lr), "Adam: learning rate must be positive, got " << lr);
  options_.lr = lr;
}

template class Adam<float>;
template class Adam<double>;

}  // namespace gat
