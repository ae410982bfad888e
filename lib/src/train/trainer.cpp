#include "gat/train/trainer.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "gat/core/error.hpp"
#include "gat/core/threads.hpp"
#include "gat/train/cuda_trainer.hpp"
#include "gat/train/loss.hpp"
#include "gat/train/metrics.hpp"
#include "train_util.hpp"

namespace gat {
namespace {

using detail::check_dataset;
using detail::check_finite_gradients;
using detail::Clock;
using detail::kEvaluation;
using detail::ms_since;

}  // namespace

namespace {

// One node-classification task as the training loop reads it, whether it came from a Dataset or
// from the caller's arrays.
struct NodeTask {
  std::string what;  // names the data in messages
  const CsrGraph& graph;
  FeatureView features;
  const std::vector<std::int32_t>& labels;
  const std::vector<NodeId>& train;
  const std::vector<NodeId>& val;
  const std::vector<NodeId>& test;
};

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

// The same loop on a CUDA device: every epoch's step and evaluation run there and send back
// only their scores; the best weights are kept on the device and copied into `model` at the end.
TrainResult train_task_cuda(GatModel<float>& model, const NodeTask& task,
                            const TrainOptions& options, const EpochCallback& on_epoch) {
  CudaTrainer device(model, task.graph, task.features, task.labels,
                     Split{task.train, task.val, task.test}, options.adam);
  TrainResult result;
  EarlyStopping stopping(options.patience);
  for (int epoch = 1; epoch <= options.epochs; ++epoch) {
    EpochStats s;
    s.epoch = epoch;
    auto t0 = Clock::now();
    const SplitScore train = device.train_step(options.seed, static_cast<std::uint64_t>(epoch - 1));
    s.train_ms = ms_since(t0);
    s.train_loss = train.loss;
    s.train_acc = train.acc;
    t0 = Clock::now();
    CudaTrainer::Scores ev;
    try {
      ev = device.evaluate();
    } catch (const Error& e) {
      GAT_FAIL("training diverged at epoch " << epoch << ": " << e.what()
                                             << " (try a lower learning rate)");
    }
    s.eval_ms = ms_since(t0);
    s.val_loss = ev.val.loss;
    s.val_acc = ev.val.acc;
    result.history.push_back(s);
    result.epochs_run = epoch;
    if (on_epoch) on_epoch(s);
    const EarlyStopping::Verdict verdict = stopping.update(s.val_acc, s.val_loss);
    if (verdict == EarlyStopping::kKeep) {
      device.keep_best();
      result.best_epoch = epoch;
    } else if (verdict == EarlyStopping::kStop) {
      break;
    }
  }
  device.restore_best();
  device.download(model);
  const CudaTrainer::Scores ev = device.evaluate();
  result.train_acc = ev.train.acc;
  result.val_acc = ev.val.acc;
  result.test_acc = ev.test.acc;
  result.val_loss = ev.val.loss;
  return result;
}

Evaluation evaluate_task(const GatModel<float>& model, const NodeTask& task) {
  const CsrGraph graph = model.prepare_graph(task.graph);
  const detail::ModelInput x(task.features);
  GatModelCache<float> cache;
  Evaluation ev;
  ev.logits = x.forward(model, graph, cache, kEvaluation);
  ev.train_acc = accuracy<float>(ev.logits, task.labels, task.train);
  ev.val_acc = accuracy<float>(ev.logits, task.labels, task.val);
  ev.test_acc = accuracy<float>(ev.logits, task.labels, task.test);
  ev.train_loss = nll_loss<float>(ev.logits, task.labels, task.train);
  ev.val_loss = nll_loss<float>(ev.logits, task.labels, task.val);
  ev.test_loss = nll_loss<float>(ev.logits, task.labels, task.test);
  return ev;
}

TrainResult train_task(GatModel<float>& model, const NodeTask& task, const TrainOptions& options,
                       const EpochCallback& on_epoch) {
  GAT_CHECK(options.epochs >= 1, "epochs must be at least 1, got " << options.epochs);
  GAT_CHECK(options.patience >= 1, "patience must be at least 1, got " << options.patience);
  GAT_CHECK(!task.train.empty(), task.what << " has no training nodes");
  const ThreadScope threads(options.threads);
  if (options.device == Device::kCuda) return train_task_cuda(model, task, options, on_epoch);

  const CsrGraph graph = model.prepare_graph(task.graph);
  const detail::ModelInput x(task.features);
  auto params = model.parameters();
  Adam<float> adam(params, options.adam);
  // One cache serves the training step and the evaluation pass after it: the step is done
  // with it once its backward has run, and every forward rewrites what it holds. A second
  // cache would double the activations held, the largest part of peak memory on big graphs.
  GatModelCache<float> cache;
  RowMatrix grad;

  TrainResult result;
  EarlyStopping stopping(options.patience);
  std::vector<RowMatrix> saved;
  for (int epoch = 1; epoch <= options.epochs; ++epoch) {
    EpochStats s;
    s.epoch = epoch;
    auto t0 = Clock::now();
    zero_grad(params);
    const ForwardContext ctx{true, options.seed, static_cast<std::uint64_t>(epoch - 1)};
    const RowMatrix logits = x.forward(model, graph, cache, ctx);
    s.train_loss = nll_loss<float>(logits, task.labels, task.train, &grad);
    GAT_CHECK(std::isfinite(s.train_loss), "training diverged: non-finite loss at epoch "
                                               << epoch << " (try a lower learning rate)");
    model.backward(graph, cache, grad);
    check_finite_gradients(params, epoch);
    adam.step();
    s.train_ms = ms_since(t0);
    s.train_acc = accuracy<float>(logits, task.labels, task.train);

    t0 = Clock::now();
    RowMatrix eval_logits;
    try {
      eval_logits = x.forward(model, graph, cache, kEvaluation);
    } catch (const Error& e) {
      // An inference pass refuses non-finite outputs; here that means the step just taken
      // diverged, which the user fixes with the learning rate, not the checkpoint.
      GAT_FAIL("training diverged at epoch " << epoch << ": " << e.what()
                                             << " (try a lower learning rate)");
    }
    s.eval_ms = ms_since(t0);
    s.val_loss = nll_loss<float>(eval_logits, task.labels, task.val);
    s.val_acc = accuracy<float>(eval_logits, task.labels, task.val);
    result.history.push_back(s);
    result.epochs_run = epoch;
    if (on_epoch) on_epoch(s);

    const EarlyStopping::Verdict verdict = stopping.update(s.val_acc, s.val_loss);
    if (verdict == EarlyStopping::kKeep) {
      saved.clear();
      for (const auto* p : params) saved.push_back(p->value);
      result.best_epoch = epoch;
    } else if (verdict == EarlyStopping::kStop) {
      break;
    }
  }
  for (std::size_t k = 0; k < params.size(); ++k) params[k]->value = saved[k];
  const Evaluation ev = evaluate_task(model, task);
  result.train_acc = ev.train_acc;
  result.val_acc = ev.val_acc;
  result.test_acc = ev.test_acc;
  result.val_loss = ev.val_loss;
  return result;
}

}  // namespace

TrainResult train_node_classifier(GatModel<float>& model, const Dataset& data,
                                  const TrainOptions& options, const EpochCallback& on_epoch) {
  check_dataset(model, data);
  return train_task(model,
                    NodeTask{"dataset '" + data.name + "'", data.graph, data.feature_view(),
                             data.labels, data.train, data.val, data.test},
                    options, on_epoch);
}

TrainResult train_node_classifier(GatModel<float>& model, const CsrGraph& graph,
                                  FeatureView features, std::span<const std::int32_t> labels,
                                  const Split& split, const TrainOptions& options,
                                  const EpochCallback& on_epoch) {
  const std::vector<std::int32_t> y(labels.begin(), labels.end());
  detail::check_node_data(model, "the training data", graph.num_nodes(), features, y);
  validate_split(split, graph.num_nodes());
  return train_task(
      model, NodeTask{"the training data", graph, features, y, split.train, split.val, split.test},
      options, on_epoch);
}

Evaluation evaluate(const GatModel<float>& model, const Dataset& data) {
  check_dataset(model, data);
  const ThreadScope threads(0);
  return evaluate_task(
      model, NodeTask{"dataset '" + data.name + "'", data.graph, data.feature_view(), data.labels,
                      data.train, data.val, data.test});
}

Evaluation evaluate(const GatModel<float>& model, const CsrGraph& graph, FeatureView features,
                    std::span<const std::int32_t> labels, const Split& split, int threads) {
  const std::vector<std::int32_t> y(labels.begin(), labels.end());
  detail::check_node_data(model, "the evaluation data", graph.num_nodes(), features, y);
  validate_split(split, graph.num_nodes());
  const ThreadScope scope(threads);
  return evaluate_task(model, NodeTask{"the evaluation data", graph, features, y, split.train,
                                       split.val, split.test});
}

}  // namespace gat
