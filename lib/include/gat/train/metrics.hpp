#pragma once
// Evaluation metrics over a subset of nodes.

#include <cstdint>
#include <vector>

#include "gat/core/types.hpp"

namespace gat {

/// @brief Predicted class per row: the arg-max of logits (N, C); ties go to the lowest class.
template <typename T>
std::vector<std::int32_t> predict(MatrixCRef<T> logits);

/// @brief Fraction of the given nodes whose arg-max logit is their label (0 for no nodes).
template <typename T>
double accuracy(MatrixCRef<T> logits, const std::vector<std::int32_t>& labels,
                const std::vector<std::int32_t>& nodes);

}  // namespace gat
