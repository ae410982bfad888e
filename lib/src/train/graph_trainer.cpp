#include "gat/train/graph_trainer.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <numeric>

#include "gat/core/error.hpp"
#include "gat/core/random.hpp"
#include "gat/core/threads.hpp"
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

// `items` cut into at most `parts` runs of consecutive items whose sizes differ by at most one
// (fewer runs when there are fewer items).
std::vector<std::vector<std::int64_t>> cut_evenly(const std::vector<std::int64_t>& items,
                                                  int parts) {
  const std::size_t n = items.size();
  const std::size_t p = std::min(n, static_cast<std::size_t>(parts));
  std::vector<std::vector<std::int64_t>> out;
  std::size_t begin = 0;
  for (std::size_t k = 0; k < p; ++k) {
    const std::size_t size = n / p + (k < n % p ? 1 : 0);
    out.emplace_back(items.begin() + static_cast<std::ptrdiff_t>(begin),
                     items.begin() + static_cast<std::ptrdiff_t>(begin + size));
    begin += size;
  }
  return out;
}

}  // namespace

namespace {

// The batches of an epoch: `order` cut into runs of batch_size graphs.
std::vector<std::vector<std::int64_t>> cut(const std::vector<std::int64_t>& order, int size) {
  std::vector<std::vector<std::int64_t>> out;
  for (std::size_t begin = 0; begin < order.size(); begin += static_cast<std::size_t>(size)) {
    const std::size_t end = std::min(order.size(), begin + static_cast<std::size_t>(size));
    out.emplace_back(order.begin() + static_cast<std::ptrdiff_t>(begin),
                     order.begin() + static_cast<std::ptrdiff_t>(end));
  }
  return out;
}

// One shard's share of a step: its loss (weighted by its share of the batch), correct count,
// and its replica's gradients.
struct ShardResult {
  double loss = 0;  // Σ over its graphs of the graph's loss
  std::int64_t correct = 0;
  std::exception_ptr error;
};

// Forward and backward of graphs on `model` (whose gradients are zeroed first), with the loss
// gradient scaled as a share of a batch of `batch_graphs`: the sum over shards is the gradient
// of the batch's mean loss.
ShardResult run_shard(GraphClassifier<float>& model, const GraphDataset& data,
                      const std::vector<std::int64_t>& graphs, std::size_t batch_graphs,
                      const ForwardContext& ctx) {
  ShardResult r;
  auto params = model.parameters();
  zero_grad(params);
  const PreparedBatch b = prepare(model, data, graphs);
  GraphClassifierCache<float> cache;
  const Matrix<float> logits =
      model.forward(b.graph, b.batch.node_features, b.batch.node_offsets, cache, ctx);
  Matrix<float> grad;
  const auto rows = all_rows(graphs.size());
  const double mean = nll_loss<float>(logits, b.batch.labels, rows, &grad);
  // nll_loss's gradient is of the shard's mean; the batch's mean weighs it by n_s / n.
  grad *= static_cast<float>(double(graphs.size()) / double(batch_graphs));
  r.loss = mean * double(graphs.size());
  if (!std::isfinite(r.loss)) return r;  // reported by the caller, naming the epoch
  model.backward(b.graph, b.batch.node_offsets, cache, grad);
  const std::vector<std::int32_t> pred = predict<float>(logits);
  for (std::size_t k = 0; k < graphs.size(); ++k) r.correct += pred[k] == b.batch.labels[k];
  return r;
}

// Mean and population standard deviation of fold accuracies (0 for none).
double mean_of(const std::vector<double>& v) {
  double sum = 0;
  for (const double a : v) sum += a;
  return v.empty() ? 0.0 : sum / double(v.size());
}

double stddev_of(const std::vector<double>& v) {
  const double m = mean_of(v);
  double sq = 0;
  for (const double a : v) sq += (a - m) * (a - m);
  return v.empty() ? 0.0 : std::sqrt(sq / double(v.size()));
}

// The exponential moving average of the weights (GraphTrainOptions::ema). swap() exchanges the
// parameters' values with the bias-corrected average, and a second swap() restores them; with
// decay 0 it does nothing, so training without averaging runs exactly as before.
class WeightAverage {
 public:
  WeightAverage(const std::vector<Parameter<float>*>& params, double decay)
      : params_(params), decay_(decay) {
    if (decay_ == 0) return;
    for (const auto* p : params_)
      sum_.push_back(Matrix<float>::Zero(p->value.rows(), p->value.cols()));
  }

  // S_t = d·S_{t−1} + (1 − d)·θ_t after the optimiser's step t.
  void update() {
    if (decay_ == 0) return;
    ++steps_;
    const auto d = static_cast<float>(decay_);
    for (std::size_t k = 0; k < params_.size(); ++k) {
      sum_[k] = d * sum_[k] + (1 - d) * params_[k]->value;
    }
  }

  void swap() {
    if (decay_ == 0 || steps_ == 0) return;
    if (!swapped_) {
      // θ̄_t = S_t / (1 − d^t), computed into the slot that held the live weights.
      const auto scale = static_cast<float>(1.0 / (1.0 - std::pow(decay_, double(steps_))));
      live_.resize(params_.size());
      for (std::size_t k = 0; k < params_.size(); ++k) {
        live_[k].swap(params_[k]->value);
        params_[k]->value = sum_[k] * scale;
      }
    } else {
      for (std::size_t k = 0; k < params_.size(); ++k) params_[k]->value.swap(live_[k]);
    }
    swapped_ = !swapped_;
  }

 private:
  std::vector<Parameter<float>*> params_;
  double decay_;
  std::vector<Matrix<float>> sum_, live_;
  long steps_ = 0;
  bool swapped_ = false;
};

// The selection rule of early stopping: better accuracy, or equal accuracy and lower loss.
bool better(double acc, double loss, double best_acc, double best_loss) {
  return acc > best_acc || (acc == best_acc && loss < best_loss);
}

}  // namespace

GraphTrainResult train_graph_classifier(GraphClassifier<float>& model, const GraphDataset& data,
                                        const std::vector<std::int64_t>& train,
                                        const GraphTrainOptions& options,
                                        const GraphEpochCallback& on_epoch) {
  return train_graph_classifier(model, data, train, {}, options, on_epoch);
}

GraphTrainResult train_graph_classifier(GraphClassifier<float>& model, const GraphDataset& data,
                                        const std::vector<std::int64_t>& train,
                                        const std::vector<std::int64_t>& validation,
                                        const GraphTrainOptions& options,
                                        const GraphEpochCallback& on_epoch) {
  check_data(model, data);
  GAT_CHECK(options.epochs >= 1, "epochs must be at least 1, got " << options.epochs);
  GAT_CHECK(options.batch_size >= 1, "batch size must be at least 1, got " << options.batch_size);
  GAT_CHECK(options.shards >= 1, "shards must be at least 1, got " << options.shards);
  GAT_CHECK(options.patience >= 0, "patience must be 0 (none) or more, got " << options.patience);
  GAT_CHECK(options.lr_step >= 0 && options.lr_decay > 0 && options.lr_decay <= 1,
            "learning-rate schedule: lr_step must be 0 or more and lr_decay in (0, 1], got "
                << options.lr_step << " and " << options.lr_decay);
  GAT_CHECK(options.ema >= 0 && options.ema < 1,
            "weight averaging: ema must be in [0, 1) (0: off), got " << options.ema);
  GAT_CHECK(!train.empty(), "no training graphs");
  for (const auto* set : {&train, &validation}) {
    for (const std::int64_t g : *set) {
      GAT_CHECK(g >= 0 && g < data.num_graphs(), "graph index " << g << " is out of range: '"
                                                                << data.name << "' has "
                                                                << data.num_graphs() << " graphs");
    }
  }
  auto params = model.parameters();
  Adam<float> adam(params, options.adam);
  // One replica per shard: each computes its shard's gradients on its own copy of the weights
  // (refreshed before every step), so shards share nothing while they run.
  std::vector<GraphClassifier<float>> replicas(static_cast<std::size_t>(options.shards), model);
  std::vector<std::vector<Parameter<float>*>> replica_params;
  replica_params.reserve(replicas.size());
  for (auto& r : replicas) replica_params.push_back(r.parameters());
  std::vector<Matrix<float>> best;  // the best epoch's weights (with validation)
  WeightAverage average(params, options.ema);
  GraphTrainResult result;
  std::vector<std::int64_t> order = train;
  std::uint64_t step = 0;
  int waited = 0;
  for (int epoch = 1; epoch <= options.epochs; ++epoch) {
    GraphEpochStats s;
    s.epoch = epoch;
    const auto t0 = Clock::now();
    if (options.lr_step > 0) {
      const int decays = (epoch - 1) / options.lr_step;  // whole steps completed
      adam.set_lr(options.adam.lr * std::pow(options.lr_decay, decays));
    }
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
    for (const std::vector<std::int64_t>& graphs : cut(order, options.batch_size)) {
      const auto shards = cut_evenly(graphs, options.shards);
      const auto used = static_cast<int>(shards.size());
      std::vector<ShardResult> out(shards.size());
      for (int r = 0; r < used; ++r) {
        for (std::size_t k = 0; k < params.size(); ++k) {
          replica_params[static_cast<std::size_t>(r)][k]->value = params[k]->value;
        }
      }
      // Shards in parallel; each shard's own ops then run on the one thread they are given.
#pragma omp parallel for schedule(static, 1) \
    num_threads(std::min(used, num_threads())) if (used > 1 && num_threads() > 1)
      for (int r = 0; r < used; ++r) {
        try {
          const ForwardContext ctx{
              true, options.seed,
              step * static_cast<std::uint64_t>(options.shards) + static_cast<std::uint64_t>(r)};
          out[static_cast<std::size_t>(r)] =
              run_shard(replicas[static_cast<std::size_t>(r)], data,
                        shards[static_cast<std::size_t>(r)], graphs.size(), ctx);
        } catch (...) {
          out[static_cast<std::size_t>(r)].error = std::current_exception();
        }
      }
      ++step;
      double loss = 0;
      for (const ShardResult& r : out) {
        if (r.error) std::rethrow_exception(r.error);
        loss += r.loss;
        correct += r.correct;
      }
      GAT_CHECK(std::isfinite(loss), "training diverged: non-finite loss at epoch "
                                         << epoch << " (try a lower learning rate)");
      // The batch's gradient: the shards' added in shard order.
      for (std::size_t k = 0; k < params.size(); ++k) {
        params[k]->grad = replica_params[0][k]->grad;
        for (int r = 1; r < used; ++r) {
          params[k]->grad += replica_params[static_cast<std::size_t>(r)][k]->grad;
        }
      }
      detail::check_finite_gradients(params, epoch);
      adam.step();
      average.update();
      loss_sum += loss;
    }
    s.train_ms = ms_since(t0);
    s.train_loss = loss_sum / double(order.size());
    s.train_acc = double(correct) / double(order.size());
    bool stop = false;
    if (!validation.empty()) {
      average.swap();  // evaluate (and keep) the averaged weights
      const GraphEvaluation ev = evaluate_graphs(model, data, validation);
      s.val_acc = ev.accuracy;
      s.val_loss = ev.loss;
      if (result.best_epoch == 0 ||
          better(ev.accuracy, ev.loss, result.best_val_acc, result.best_val_loss)) {
        result.best_epoch = epoch;
        result.best_val_acc = ev.accuracy;
        result.best_val_loss = ev.loss;
        best.clear();
        for (const auto* p : params) best.push_back(p->value);
        waited = 0;
      } else {
        stop = options.patience > 0 && ++waited >= options.patience;
      }
      average.swap();  // back to the weights Adam moves
    } else {
      result.best_epoch = epoch;
    }
    result.history.push_back(s);
    if (on_epoch) on_epoch(s);
    if (stop) break;
  }
  if (!best.empty()) {
    for (std::size_t k = 0; k < params.size(); ++k) params[k]->value = best[k];
  } else {
    average.swap();  // without validation the model keeps the last average
  }
  return result;
}

GraphEvaluation evaluate_graphs(const GraphClassifier<float>& model, const GraphDataset& data,
                                const std::vector<std::int64_t>& graphs, int batch_size) {
  check_data(model, data);
  GAT_CHECK(batch_size >= 1, "batch size must be at least 1, got " << batch_size);
  GraphEvaluation ev;
  if (graphs.empty()) return ev;
  // Batches are independent: each thread takes whole batches, and the losses are added in
  // batch order afterwards, so the result does not depend on the thread count.
  const auto batches = cut(graphs, batch_size);
  const auto count = static_cast<int>(batches.size());
  std::vector<double> loss(batches.size());
  std::vector<std::vector<std::int32_t>> pred(batches.size());
  std::vector<std::exception_ptr> error(batches.size());
#pragma omp parallel for schedule(dynamic, 1) if (count > 1 && num_threads() > 1)
  for (int k = 0; k < count; ++k) {
    const auto i = static_cast<std::size_t>(k);
    try {
      const PreparedBatch b = prepare(model, data, batches[i]);
      GraphClassifierCache<float> cache;
      const Matrix<float> logits = model.forward(b.graph, b.batch.node_features,
                                                 b.batch.node_offsets, cache, detail::kEvaluation);
      loss[i] = nll_loss<float>(logits, b.batch.labels, all_rows(batches[i].size())) *
                double(batches[i].size());
      pred[i] = predict<float>(logits);
    } catch (...) {
      error[i] = std::current_exception();
    }
  }
  std::int64_t correct = 0;
  double loss_sum = 0;
  for (std::size_t i = 0; i < batches.size(); ++i) {
    if (error[i]) std::rethrow_exception(error[i]);
    loss_sum += loss[i];
    for (std::size_t k = 0; k < batches[i].size(); ++k) {
      ev.predicted.push_back(pred[i][k]);
      correct += pred[i][k] == data.labels[static_cast<std::size_t>(batches[i][k])];
    }
  }
  ev.accuracy = double(correct) / double(graphs.size());
  ev.loss = loss_sum / double(graphs.size());
  return ev;
}

CrossValidation cross_validate(const GraphDataset& data, const GraphClassifierOptions& model,
                               const GraphTrainOptions& options, int folds,
                               std::uint64_t model_seed, const GraphEpochCallback& on_epoch,
                               const AssessedModelCallback& on_model) {
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
    if (on_model) on_model(f, 0, net, split[f], cv.fold_accuracy.back());
  }
  cv.mean = mean_of(cv.fold_accuracy);
  cv.stddev = stddev_of(cv.fold_accuracy);
  return cv;
}

}  // namespace gat

namespace gat {
namespace {

// Labels of a subset of graphs, for stratifying it.
std::vector<std::int32_t> labels_of(const GraphDataset& data,
                                    const std::vector<std::int64_t>& graphs) {
  std::vector<std::int32_t> out;
  out.reserve(graphs.size());
  for (const std::int64_t g : graphs) out.push_back(data.labels[static_cast<std::size_t>(g)]);
  return out;
}

// Every fold but `skip`, as graph indices in ascending order.
std::vector<std::int64_t> all_but(const std::vector<std::vector<std::int64_t>>& folds,
                                  std::size_t skip) {
  std::vector<std::int64_t> out;
  for (std::size_t k = 0; k < folds.size(); ++k) {
    if (k != skip) out.insert(out.end(), folds[k].begin(), folds[k].end());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Keys of one training run: outer fold f, candidate c (-1: assessment), run r. Distinct runs
// get distinct initialisations and dropout streams; the same run always the same.
std::uint64_t run_seed(std::uint64_t seed, int fold, int candidate, int run) {
  const CounterRng rng(seed, static_cast<std::uint64_t>(fold),
                       static_cast<std::uint64_t>(candidate + 1), kStreamInit);
  return rng.bits(static_cast<std::uint64_t>(run));
}

}  // namespace

ModelAssessment assess_graph_classifier(const GraphDataset& data,
                                        const std::vector<GraphCandidate>& candidates,
                                        const ModelSelectionOptions& options,
                                        const GraphEpochCallback& on_epoch,
                                        const AssessedModelCallback& on_model) {
  GAT_CHECK(!candidates.empty(), "model selection needs at least one configuration");
  GAT_CHECK(options.folds >= 2 && options.folds <= data.num_graphs(),
            "outer folds must be between 2 and the number of graphs ("
                << data.num_graphs() << "), got " << options.folds);
  GAT_CHECK(options.holdout_folds >= 2,
            "holdout folds must be at least 2 (10: a 10 % holdout), got " << options.holdout_folds);
  GAT_CHECK(options.final_runs >= 1 && options.final_runs <= options.holdout_folds,
            "final runs must be between 1 and the holdout folds ("
                << options.holdout_folds << "), got " << options.final_runs);
  // Each candidate's inputs: its own dataset must be the same graphs (the folds index them)
  // under other node features.
  std::vector<const GraphDataset*> inputs;
  for (std::size_t c = 0; c < candidates.size(); ++c) {
    const GraphDataset* d = candidates[c].data ? candidates[c].data.get() : &data;
    GAT_CHECK(d->labels == data.labels && d->node_offsets == data.node_offsets &&
                  d->graph.row_ptr() == data.graph.row_ptr() && d->graph.src() == data.graph.src(),
              "model selection: candidate " << c + 1 << "'s dataset '" << d->name
                                            << "' is not the same graphs, in the same order and "
                                               "with the same labels, as '"
                                            << data.name << "'");
    inputs.push_back(d);
  }
  const auto outer = stratified_folds(data.labels, options.folds, options.seed);
  ModelAssessment out;
  for (int f = 0; f < options.folds; ++f) {
    const auto fi = static_cast<std::size_t>(f);
    const std::vector<std::int64_t> rest = all_but(outer, fi);
    GAT_CHECK(static_cast<std::int64_t>(rest.size()) >= options.holdout_folds,
              "outer fold " << f + 1 << " leaves " << rest.size() << " training graphs, fewer "
                            << "than the " << options.holdout_folds << " holdout folds");
    // Holdouts: stratified folds of the training part (positions in `rest`).
    const auto inner = stratified_folds(labels_of(data, rest), options.holdout_folds,
                                        options.seed + 1 + static_cast<std::uint64_t>(f));
    auto split = [&](int r, std::vector<std::int64_t>& train, std::vector<std::int64_t>& hold) {
      train.clear();
      hold.clear();
      std::vector<char> held(rest.size(), 0);
      for (const std::int64_t k : inner[static_cast<std::size_t>(r)]) {
        held[static_cast<std::size_t>(k)] = 1;
      }
      for (std::size_t k = 0; k < rest.size(); ++k) (held[k] ? hold : train).push_back(rest[k]);
    };
    auto timed = [&](int candidate, int run) {
      return [&, candidate, run](GraphEpochStats s) {
        s.fold = f;
        s.candidate = candidate;
        s.run = run;
        out.epoch_ms.push_back(s.train_ms);
        if (on_epoch) on_epoch(s);
      };
    };
    AssessedFold fold;
    std::vector<std::int64_t> train, hold;
    // Model selection on holdout 0: with one candidate there is nothing to choose.
    if (candidates.size() > 1) {
      split(0, train, hold);
      for (std::size_t c = 0; c < candidates.size(); ++c) {
        const auto ci = static_cast<int>(c);
        const std::uint64_t key = run_seed(options.seed, f, ci, 0);
        GraphClassifier<float> net(candidates[c].model, key);
        GraphTrainOptions t = candidates[c].train;
        t.seed = key;
        const GraphTrainResult r =
            train_graph_classifier(net, *inputs[c], train, hold, t, timed(ci, 0));
        fold.candidate_val_acc.push_back(r.best_val_acc);
        fold.candidate_val_loss.push_back(r.best_val_loss);
        fold.candidate_epoch.push_back(r.best_epoch);
        const auto sel = static_cast<std::size_t>(fold.selected);
        if (better(r.best_val_acc, r.best_val_loss, fold.candidate_val_acc[sel],
                   fold.candidate_val_loss[sel])) {
          fold.selected = ci;
        }
      }
    }
    // Model assessment: the selected configuration retrained, early-stopped on holdout r,
    // tested once.
    const GraphCandidate& chosen = candidates[static_cast<std::size_t>(fold.selected)];
    const GraphDataset& chosen_data = *inputs[static_cast<std::size_t>(fold.selected)];
    for (int r = 0; r < options.final_runs; ++r) {
      split(r, train, hold);
      const std::uint64_t key = run_seed(options.seed, f, -1, r);
      GraphClassifier<float> net(chosen.model, key);
      GraphTrainOptions t = chosen.train;
      t.seed = key;
      const GraphTrainResult res =
          train_graph_classifier(net, chosen_data, train, hold, t, timed(-1, r));
      const double acc = evaluate_graphs(net, chosen_data, outer[fi]).accuracy;
      fold.run_test_acc.push_back(acc);
      fold.run_epoch.push_back(res.best_epoch);
      if (r == 0 && on_model) on_model(f, fold.selected, net, outer[fi], acc);
    }
    fold.test_acc = mean_of(fold.run_test_acc);
    out.folds.push_back(std::move(fold));
  }
  std::vector<double> acc;
  for (const AssessedFold& fold : out.folds) acc.push_back(fold.test_acc);
  out.mean = mean_of(acc);
  out.stddev = stddev_of(acc);
  return out;
}

}  // namespace gat
