#include "gat/train/graph_trainer.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "gat/core/error.hpp"
#include "gat/core/random.hpp"
#include "gat/data/batch.hpp"
#include "gat/train/folds.hpp"
#include "gat/train/loss.hpp"
#include "gat/train/metrics.hpp"
#include "train_util.hpp"

namespace gat {
namespace {

using detail::Clock;
using detail::ms_since;

void check_data(const GraphClassifier<float>& model, const GraphDataset& data) {
  const auto& o = model.options();
  GAT_CHECK(data.num_features() == o.in_features,
            "dataset '" << data.name << "' has " << data.num_features()
                        << " node features but the model expects " << o.in_features);
  GAT_CHECK(o.edge_features == 0 || data.edge_feature_size() == o.edge_features,
            "dataset '" << data.name << "' has " << data.edge_feature_size()
                        << " edge features but the model expects " << o.edge_features);
  GAT_CHECK(data.num_classes() <= o.num_classes,
            "dataset '" << data.name << "' has " << data.num_classes()
                        << " classes but the model predicts " << o.num_classes);
}

// A batch ready for the model: the layers' graph with its edge features, and the inputs.
struct PreparedBatch {
  GraphBatch batch;
  LayerGraph<float> graph;
};

PreparedBatch prepare(const GraphClassifier<float>& model, const GraphDataset& data,
                      const std::vector<std::int64_t>& graphs) {
  PreparedBatch b;
  b.batch = make_batch(data, graphs);
  // Without edge features in the model, carry an (E, 0) matrix: the graph is all it needs.
  const Matrix<float> none(b.batch.graph.num_edges(), 0);
  const bool edges = model.options().edge_features > 0;
  b.graph = model.prepare_graph(b.batch.graph, edges ? b.batch.edge_features : none);
  return b;
}

std::vector<std::int32_t> all_rows(std::size_t g) {
  std::vector<std::int32_t> rows(g);
  std::iota(rows.begin(), rows.end(), 0);
  return rows;
}

}  // namespace

std::vector<GraphEpochStats> train_graph_classifier(GraphClassifier<float>& model,
                                                    const GraphDataset& data,
                                                    const std::vector<std::int64_t>& train,
                                                    const GraphTrainOptions& options,
                                                    const GraphEpochCallback& on_epoch) {
  check_data(model, data);
  GAT_CHECK(options.epochs >= 1, "epochs must be at least 1, got " << options.epochs);
  GAT_CHECK(options.batch_size >= 1, "batch size must be at least 1, got " << options.batch_size);
  GAT_CHECK(!train.empty(), "no training graphs");
  auto params = model.parameters();
  Adam<float> adam(params, options.adam);
  GraphClassifierCache<float> cache;
  Matrix<float> grad;
  std::vector<GraphEpochStats> history;
  std::vector<std::int64_t> order = train;
  std::uint64_t step = 0;
  for (int epoch = 1; epoch <= options.epochs; ++epoch) {
    GraphEpochStats s;
    s.epoch = epoch;
    const auto t0 = Clock::now();
    // Shuffle by sorting on counter-based keys of (seed, epoch, graph): the order depends on
    // the seed and the epoch only, never on a shared generator's history.
    const CounterRng rng(options.seed, static_cast<std::uint64_t>(epoch), 0, kStreamShuffle);
    std::vector<std::pair<std::uint64_t, std::int64_t>> keyed(order.size());
    for (std::size_t k = 0; k < train.size(); ++k) {
      keyed[k] = {rng.bits(static_cast<std::uint64_t>(train[k])), train[k]};
    }
    std::sort(keyed.begin(), keyed.end());
    for (std::size_t k = 0; k < keyed.size(); ++k) order[k] = keyed[k].second;

    double loss_sum = 0;
    std::int64_t correct = 0;
    for (std::size_t begin = 0; begin < order.size();
         begin += static_cast<std::size_t>(options.batch_size)) {
      const std::size_t end =
          std::min(order.size(), begin + static_cast<std::size_t>(options.batch_size));
      const std::vector<std::int64_t> graphs(order.begin() + static_cast<std::ptrdiff_t>(begin),
                                             order.begin() + static_cast<std::ptrdiff_t>(end));
      const PreparedBatch b = prepare(model, data, graphs);
      zero_grad(params);
      const ForwardContext ctx{true, options.seed, step++};
      const Matrix<float> logits =
          model.forward(b.graph, b.batch.node_features, b.batch.node_offsets, cache, ctx);
      const auto rows = all_rows(graphs.size());
      const double loss = nll_loss<float>(logits, b.batch.labels, rows, &grad);
      GAT_CHECK(std::isfinite(loss), "training diverged: non-finite loss at epoch "
                                         << epoch << " (try a lower learning rate)");
      model.backward(b.graph, b.batch.node_offsets, cache, grad);
      detail::check_finite_gradients(params, epoch);
      adam.step();
      loss_sum += loss * double(graphs.size());
      const std::vector<std::int32_t> pred = predict<float>(logits);
      for (std::size_t k = 0; k < graphs.size(); ++k) correct += pred[k] == b.batch.labels[k];
    }
    s.train_ms = ms_since(t0);
    s.train_loss = loss_sum / double(order.size());
    s.train_acc = double(correct) / double(order.size());
    history.push_back(s);
    if (on_epoch) on_epoch(s);
  }
  return history;
}

GraphEvaluation evaluate_graphs(const GraphClassifier<float>& model, const GraphDataset& data,
                                const std::vector<std::int64_t>& graphs, int batch_size) {
  check_data(model, data);
  GAT_CHECK(batch_size >= 1, "batch size must be at least 1, got " << batch_size);
  GraphEvaluation ev;
  if (graphs.empty()) return ev;
  GraphClassifierCache<float> cache;
  double loss_sum = 0;
  std::int64_t correct = 0;
  for (std::size_t begin = 0; begin < graphs.size();
       begin += static_cast<std::size_t>(batch_size)) {
    const std::size_t end = std::min(graphs.size(), begin + static_cast<std::size_t>(batch_size));
    const std::vector<std::int64_t> part(graphs.begin() + static_cast<std::ptrdiff_t>(begin),
                                         graphs.begin() + static_cast<std::ptrdiff_t>(end));
    const PreparedBatch b = prepare(model, data, part);
    const Matrix<float> logits = model.forward(b.graph, b.batch.node_features, b.batch.node_offsets,
                                               cache, detail::kEvaluation);
    const auto rows = all_rows(part.size());
    loss_sum += nll_loss<float>(logits, b.batch.labels, rows) * double(part.size());
    const std::vector<std::int32_t> pred = predict<float>(logits);
    for (std::size_t k = 0; k < part.size(); ++k) {
      ev.predicted.push_back(pred[k]);
      correct += pred[k] == b.batch.labels[k];
    }
  }
  ev.accuracy = double(correct) / double(graphs.size());
  ev.loss = loss_sum / double(graphs.size());
  return ev;
}

CrossValidation cross_validate(const GraphDataset& data, const GraphClassifierOptions& model,
                               const GraphTrainOptions& options, int folds,
                               std::uint64_t model_seed, const GraphEpochCallback& on_epoch) {
  const auto split = stratified_folds(data.labels, folds, options.seed);
  CrossValidation cv;
  for (int f = 0; f < folds; ++f) {
    std::vector<std::int64_t> train;
    for (int g = 0; g < folds; ++g) {
      if (g != f) train.insert(train.end(), split[g].begin(), split[g].end());
    }
    std::sort(train.begin(), train.end());
    GraphClassifier<float> net(model, model_seed + static_cast<std::uint64_t>(f));
    GraphTrainOptions o = options;
    o.seed = options.seed + static_cast<std::uint64_t>(f);
    train_graph_classifier(net, data, train, o, [&](GraphEpochStats s) {
      s.fold = f;
      cv.epoch_ms.push_back(s.train_ms);
      if (on_epoch) on_epoch(s);
    });
    cv.fold_accuracy.push_back(evaluate_graphs(net, data, split[f]).accuracy);
  }
  double sum = 0, sq = 0;
  for (double a : cv.fold_accuracy) sum += a;
  cv.mean = sum / folds;
  for (double a : cv.fold_accuracy) sq += (a - cv.mean) * (a - cv.mean);
  cv.stddev = std::sqrt(sq / folds);
  return cv;
}

}  // namespace gat
