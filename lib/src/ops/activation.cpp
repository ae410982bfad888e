#include "gat/ops/activation.hpp"

#include <algorithm>
#include <cmath>

#include "check_util.hpp"
#include "kernel_util.hpp"
#include "row_access.hpp"

namespace gat::ops {

using detail::check_shape;
using detail::row;

namespace {

// An element-wise forward: y has x's shape.
template <typename T>
void check_forward(const char* fn, const MatrixCRef<T>& x, const MatrixRef<T>& y) {
  check_shape(fn, "y", y.rows(), y.cols(), "the shape of x", x.rows(), x.cols());
}

// An element-wise backward from the output: grad_y and grad_x have y's shape.
template <typename T>
void check_backward(const char* fn, const MatrixCRef<T>& y, const MatrixCRef<T>& grad_y,
                    const MatrixRef<T>& grad_x) {
  check_shape(fn, "grad_y", grad_y.rows(), grad_y.cols(), "the shape of y", y.rows(), y.cols());
  check_shape(fn, "grad_x", grad_x.rows(), grad_x.cols(), "the shape of y", y.rows(), y.cols());
}

}  // namespace

template <typename T>
void elu_forward(MatrixCRef<T> x, MatrixRef<T> y) {
  check_forward("elu_forward", x, y);
  const Eigen::Index cols = x.cols();
#pragma omp parallel for schedule(static)
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    const T* __restrict xi = row(x, i);
    T* __restrict yi = row(y, i);
    // exp(min(x, 0)) - 1 is the ELU branch for x ≤ 0 and 0 for x > 0, so the sum below is
    // ELU without a branch. (Near 0, exp - 1 loses relative but not absolute precision.)
    for (Eigen::Index c = 0; c < cols; ++c) {
      yi[c] = std::max(xi[c], T(0)) + (detail::kernel_exp(std::min(xi[c], T(0))) - T(1));
    }
  }
}

template <typename T>
void elu_backward(MatrixCRef<T> y, MatrixCRef<T> grad_y, MatrixRef<T> grad_x) {
  check_backward("elu_backward", y, grad_y, grad_x);
  const Eigen::Index cols = y.cols();
  // y > 0 exactly when x > 0, so the output alone decides the branch.
#pragma omp parallel for schedule(static)
  for (Eigen::Index i = 0; i < y.rows(); ++i) {
    const T* yi = row(y, i);
    const T* gi = row(grad_y, i);
    T* gx = row(grad_x, i);
    // dy/dx = 1 for y > 0, y + 1 otherwise: min(y, 0) + 1 covers both without a branch.
    for (Eigen::Index c = 0; c < cols; ++c) gx[c] = gi[c] * (std::min(yi[c], T(0)) + T(1));
  }
}

template void elu_forward<float>(MatrixCRef<float>, MatrixRef<float>);
template void elu_forward<double>(MatrixCRef<double>, MatrixRef<double>);
template void elu_backward<float>(MatrixCRef<float>, MatrixCRef<float>, MatrixRef<float>);
template void elu_backward<double>(MatrixCRef<double>, MatrixCRef<double>, MatrixRef<double>);

template <typename T>
void tanh_forward(MatrixCRef<T> x, MatrixRef<T> y) {
  check_forward("tanh_forward", x, y);
  // Eigen's tanh: for float a vectorised rational approximation (a few ulp, and exactly x for
  // |x| < 4e-4, so no loss of relative precision near 0, where attention scores often sit); for
  // double std::tanh. Elementwise, so the result does not depend on the thread count.
#pragma omp parallel for schedule(static)
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    y.row(i).array() = x.row(i).array().tanh();
  }
}

template <typename T>
void tanh_backward(MatrixCRef<T> y, MatrixCRef<T> grad_y, MatrixRef<T> grad_x) {
  check_backward("tanh_backward", y, grad_y, grad_x);
  const Eigen::Index cols = y.cols();
  // d tanh(x)/dx = 1 - tanh²(x): the forward output is all the backward needs.
#pragma omp parallel for schedule(static)
  for (Eigen::Index i = 0; i < y.rows(); ++i) {
    const T* yi = row(y, i);
    const T* gi = row(grad_y, i);
    T* gx = row(grad_x, i);
    for (Eigen::Index c = 0; c < cols; ++c) gx[c] = gi[c] * (T(1) - yi[c] * yi[c]);
  }
}

template void tanh_forward<float>(MatrixCRef<float>, MatrixRef<float>);
template void tanh_forward<double>(MatrixCRef<double>, MatrixRef<double>);
template void tanh_backward<float>(MatrixCRef<float>, MatrixCRef<float>, MatrixRef<float>);
template void tanh_backward<double>(MatrixCRef<double>, MatrixCRef<double>, MatrixRef<double>);

}  // namespace gat::ops
