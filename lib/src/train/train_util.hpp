#pragma once
// Private helpers shared by the node- and graph-classification trainers.

#include <chrono>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/data/dataset.hpp"
#include "gat/layers/gat_model.hpp"
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

/// Throws unless the dataset fits the model: one feature row and one label per node, the
/// model's input width, and no more classes than the model predicts.
inline void check_dataset(const GatModel<float>& model, const Dataset& data) {
  GAT_CHECK(data.features.rows == data.num_nodes(),
            "dataset '" << data.name << "': " << data.features.rows << " feature rows for "
                        << data.num_nodes() << " nodes");
  GAT_CHECK(data.features.cols == model.options().in_features,
            "dataset '" << data.name << "' has " << data.features.cols
                        << " features but the model expects " << model.options().in_features);
  GAT_CHECK(static_cast<NodeId>(data.labels.size()) == data.num_nodes(),
            "dataset '" << data.name << "': " << data.labels.size() << " labels for "
                        << data.num_nodes() << " nodes");
  GAT_CHECK(data.num_classes() <= model.options().num_classes,
            "dataset '" << data.name << "' has " << data.num_classes()
                        << " classes but the model predicts " << model.options().num_classes);
}

}  // namespace gat::detail
