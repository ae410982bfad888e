#pragma once
// Private helpers shared by the node- and graph-classification trainers.

#include <algorithm>
#include <chrono>
#include <limits>
#include <string>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/data/dataset.hpp"
#include "gat/data/features.hpp"
#include "gat/data/split.hpp"
#include "gat/layers/gat_model.hpp"
#include "gat/layers/parameter.hpp"
#include "gat/train/trainer.hpp"

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

// The GAT paper's early stopping: an epoch whose validation accuracy or loss improves on its
// best so far resets the patience counter; its weights are kept only when neither metric is
// worse than its best; `patience` epochs in a row without improvement stop training.
class EarlyStopping {
 public:
  enum Verdict { kKeep, kContinue, kStop };
  explicit EarlyStopping(int patience) : patience_(patience) {}
  Verdict update(double val_acc, double val_loss) {
    if (val_acc >= best_acc_ || val_loss <= best_loss_) {
      const bool keep = val_acc >= best_acc_ && val_loss <= best_loss_;
      best_acc_ = std::max(best_acc_, val_acc);
      best_loss_ = std::min(best_loss_, val_loss);
      waited_ = 0;
      return keep ? kKeep : kContinue;
    }
    return ++waited_ >= patience_ ? kStop : kContinue;
  }

 private:
  int patience_;
  double best_acc_ = -1.0, best_loss_ = std::numeric_limits<double>::infinity();
  int waited_ = 0;
};

/// The epoch loop of every node-classification trainer (the CPU's, the GPU's, the distributed
/// one): per epoch, step(epoch, s) takes the training step and fills s.train_loss and
/// s.train_acc, validate(s) runs the evaluation pass and fills s.val_loss and s.val_acc (both
/// timed here); the paper's early stopping decides, and keep() saves the current weights as the
/// best. An evaluation pass that throws (the inference check refuses non-finite outputs) means
/// the step just taken diverged, which the user fixes with the learning rate: it is reported so.
template <typename Step, typename Validate, typename Keep>
TrainResult run_epochs(const TrainOptions& options, const EpochCallback& on_epoch, Step&& step,
                       Validate&& validate, Keep&& keep) {
  TrainResult result;
  EarlyStopping stopping(options.patience);
  for (int epoch = 1; epoch <= options.epochs; ++epoch) {
    EpochStats s;
    s.epoch = epoch;
    auto t0 = Clock::now();
    step(epoch, s);
    s.train_ms = ms_since(t0);
    t0 = Clock::now();
    try {
      validate(s);
    } catch (const Error& e) {
      GAT_FAIL("training diverged at epoch " << epoch << ": " << e.what()
                                             << " (try a lower learning rate)");
    }
    s.eval_ms = ms_since(t0);
    result.history.push_back(s);
    result.epochs_run = epoch;
    if (on_epoch) on_epoch(s);
    const EarlyStopping::Verdict verdict = stopping.update(s.val_acc, s.val_loss);
    if (verdict == EarlyStopping::kKeep) {
      keep();
      result.best_epoch = epoch;
    } else if (verdict == EarlyStopping::kStop) {
      break;
    }
  }
  return result;
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
