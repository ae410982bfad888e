#pragma once
// Classification loss over a subset of nodes (the training mask).

#include <cstdint>
#include <vector>

#include "gat/core/types.hpp"

namespace gat {

/// @brief Mean negative log-likelihood of log_softmax(logits) over the given nodes:
///   L = -(1/|S|) Σ_{i∈S} log softmax(logits[i])[label[i]].
/// @param logits (N, C), @param labels (N) in [0, C), @param nodes S, indices into N.
/// @param grad when given, set to dL/dlogits (N, C): (softmax - onehot)/|S| on S, 0 elsewhere.
/// @return L (0 for an empty S). Throws gat::Error on a label outside [0, C).
template <typename T>
double nll_loss(MatrixCRef<T> logits, const std::vector<std::int32_t>& labels,
                const std::vector<std::int32_t>& nodes, Matrix<T>* grad = nullptr);

}  // namespace gat
