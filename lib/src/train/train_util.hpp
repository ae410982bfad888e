#pragma once
// Private helpers shared by the node- and graph-classification trainers.

#include <chrono>
#include <string>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/data/dataset.hpp"
#include "gat/data/features.hpp"
#include "gat/data/split.hpp"
#include "gat/layers/gat_model.hpp"
#include "gat/layers/parameter.hpp"

namespace gat::detail {

/// An inference pass whose attention weights nobody reads (evaluation, predictions): the
/// paper's fused layer keeps no (E, H) matrix of them.
inline constexpr ForwardContext kEvaluation{false, 0, 0, AttentionOverride::kNone, false};

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

/// Throws unless features (N, in) and labels (N) fit the model and the graph: one feature row
/// and one label per node (labels are checked where the loss reads them: nodes outside the
/// split may be unlabelled), and the model's input width.
/// `what` names the data in messages ("dataset 'cora'").
inline void check_node_data(const GatModel<float>& model, const std::string& what, NodeId nodes,
                            FeatureView features, const std::vector<std::int32_t>& labels) {
  GAT_CHECK(features.rows() == nodes,
            what << ": " << features.rows() << " feature rows for " << nodes << " nodes");
  GAT_CHECK(features.cols() == model.options().in_features,
            what << " has " << features.cols() << " features but the model expects "
                 << model.options().in_features);
  GAT_CHECK(static_cast<NodeId>(labels.size()) == nodes,
            what << ": " << labels.size() << " labels for " << nodes << " nodes");
}

/// Throws unless the dataset fits the model (see check_node_data) and has no more classes than
/// the model predicts.
inline void check_dataset(const GatModel<float>& model, const Dataset& data) {
  check_node_data(model, "dataset '" + data.name + "'", data.num_nodes(), data.feature_view(),
                  data.labels);
  // A Dataset filled by hand may hold any split: a node index outside [0, N) would be read out
  // of bounds by the metrics.
  validate_split(Split{data.train, data.val, data.test}, data.num_nodes());
  GAT_CHECK(data.num_classes() <= model.options().num_classes,
            "dataset '" << data.name << "' has " << data.num_classes()
                        << " classes but the model predicts " << model.options().num_classes);
}

/// The features as GatModel::forward takes them: sparse ones with their transpose built once
/// (every weight gradient needs Xᵀ), dense ones as the caller's memory, uncopied.
class ModelInput {
 public:
  explicit ModelInput(FeatureView x) : view_(x) {
    if (x.is_sparse()) sparse_ = SparseInput<float>(x.sparse());
  }
  RowMatrix forward(const GatModel<float>& model, const CsrGraph& graph,
                    GatModelCache<float>& cache, const ForwardContext& ctx) const {
    if (view_.is_sparse()) return model.forward(graph, sparse_, cache, ctx);
    return model.forward(graph, MatrixCRef<float>(view_.dense()), cache, ctx);
  }

 private:
  FeatureView view_;
  SparseInput<float> sparse_;
};

}  // namespace gat::detail
