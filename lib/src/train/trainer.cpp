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
using detail::kEvaluation;

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

// The same loop on a CUDA device: every epoch's step and evaluation run there and send back
// only their scores; the best weights are kept on the device and copied into `model` at the end.
TrainResult train_task_cuda(GatModel<float>& model, const NodeTask& task,
                            const TrainOptions& options, const EpochCallback& on_epoch) {
  CudaTrainer device(model, task.graph, task.features, task.labels,
                     Split{task.train, task.val, task.test}, options.adam);
  TrainResult result = detail::run_epochs(
      options, on_epoch,
      [&](int epoch, EpochStats& s) {
        const SplitScore train =
            device.train_step(options.seed, static_cast<std::uint64_t>(epoch - 1));
        s.train_loss = train.loss;
        s.train_acc = train.acc;
      },
      [&](EpochStats& s) {
        const CudaTrainer::Scores ev = device.evaluate();
        s.val_loss = ev.val.loss;
        s.val_acc = ev.val.acc;
      },
      [&] { device.keep_best(); });
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

  std::vector<RowMatrix> saved;
  TrainResult result = detail::run_epochs(
      options, on_epoch,
      [&](int epoch, EpochStats& s) {
        zero_grad(params);
        const ForwardContext ctx{true, options.seed, static_cast<std::uint64_t>(epoch - 1)};
        const RowMatrix logits = x.forward(model, graph, cache, ctx);
        s.train_loss = nll_loss<float>(logits, task.labels, task.train, &grad);
        GAT_CHECK(std::isfinite(s.train_loss), "training diverged: non-finite loss at epoch "
                                                   << epoch << " (try a lower learning rate)");
        model.backward(graph, cache, grad);
        check_finite_gradients(params, epoch);
        adam.step();
        s.train_acc = accuracy<float>(logits, task.labels, task.train);
      },
      [&](EpochStats& s) {
        const RowMatrix eval_logits = x.forward(model, graph, cache, kEvaluation);
        s.val_loss = nll_loss<float>(eval_logits, task.labels, task.val);
        s.val_acc = accuracy<float>(eval_logits, task.labels, task.val);
      },
      [&] {
        saved.clear();
        for (const auto* p : params) saved.push_back(p->value);
      });
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
