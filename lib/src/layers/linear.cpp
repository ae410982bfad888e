#include "gat/layers/linear.hpp"

#include "gat/core/error.hpp"
#include "gat/ops/linear.hpp"

namespace gat {

namespace {

std::string parameter_name(const std::string& prefix, const char* name) {
  return prefix.empty() ? std::string(name) : prefix + "." + name;
}

}  // namespace

template <typename T>
Linear<T>::Linear(std::int64_t in, std::int64_t out, bool with_bias, std::uint64_t seed,
                  std::uint64_t layer, std::uint64_t ordinal, const std::string& prefix)
    : has_bias_(with_bias) {
  GAT_CHECK(in > 0, "Linear " << parameter_name(prefix, "weight")
                              << ": input width must be positive, got " << in);
  GAT_CHECK(out > 0, "Linear " << parameter_name(prefix, "weight")
                               << ": output width must be positive, got " << out);
  weight = Parameter<T>(parameter_name(prefix, "weight"), in, out);
  glorot_uniform(weight, double(in), double(out), seed, layer, ordinal);
  if (with_bias) bias = Parameter<T>(parameter_name(prefix, "bias"), 1, out);
}

template <typename T>
Matrix<T> Linear<T>::forward(MatrixCRef<T> x) const {
  GAT_CHECK(x.cols() == in_features(), "Linear " << weight.name << ": input has " << x.cols()
                                                 << " columns, expected " << in_features());
  Matrix<T> y(x.rows(), out_features());
  ops::matmul_forward<T>(x, weight.value, y);
  if (has_bias_) y.rowwise() += bias.value.row(0);
  return y;
}

template <typename T>
void Linear<T>::backward(MatrixCRef<T> x, MatrixCRef<T> grad_out, Matrix<T>* grad_input) {
  GAT_CHECK(x.cols() == in_features(), "Linear " << weight.name << ": input has " << x.cols()
                                                 << " columns, expected " << in_features());
  GAT_CHECK(grad_out.rows() == x.rows() && grad_out.cols() == out_features(),
            "Linear " << weight.name << ": gradient has shape (" << grad_out.rows() << ", "
                      << grad_out.cols() << "), expected (" << x.rows() << ", " << out_features()
                      << ")");
  // y = x·W + b  →  grad_b = Σ_n grad_y[n], grad_W = xᵀ·grad_y, grad_x = grad_y·Wᵀ.
  if (has_bias_) ops::column_sum_backward<T>(grad_out, bias.grad);
  if (grad_input) grad_input->resize(x.rows(), in_features());
  ops::matmul_backward<T>(x, weight.value, grad_out, weight.grad, grad_input);
}

template <typename T>
std::vector<Parameter<T>*> Linear<T>::parameters() {
  std::vector<Parameter<T>*> out{&weight};
  if (has_bias_) out.push_back(&bias);
  return out;
}

template class Linear<float>;
template class Linear<double>;

}  // namespace gat
