// gat train --task graph: GAT layers with edge features → graph readout → linear classifier,
// trained in mini-batches and evaluated by stratified k-fold cross-validation.

#include "train_graph.hpp"

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commands.hpp"
#include "gat/core/error.hpp"
#include "gat/core/threads.hpp"
#include "gat/io/tu.hpp"
#include "progress.hpp"
#include "results.hpp"

namespace gat::app {

namespace fs = std::filesystem;

namespace {

// A TU dataset is the folder <data dir>/<NAME> holding <NAME>_A.txt etc., or a folder path.
GraphDataset load_graph_dataset(const DataFlags& flags) {
  GAT_USAGE_CHECK(!flags.own_graph(),
                  "--task graph trains on TU datasets (--dataset NAME); --edges and --ogb "
                  "describe one graph for node classification");
  refuse_own_graph_flags(flags, "--task graph trains on TU datasets (--dataset NAME)");
  fs::path dir;
  std::string name;
  const fs::path given(flags.dataset);
  const bool looked_up = flags.dataset.find('/') == std::string::npos;
  if (!looked_up) {
    dir = given;
    name = given.filename().string();
    if (name.empty()) name = given.parent_path().filename().string();
  } else {
    dir = fs::path(data_root(flags)) / flags.dataset;
    name = flags.dataset;
  }
  const fs::path a = dir / (name + "_A.txt");
  GAT_CHECK(fs::exists(a) || !(fs::exists(dir / (name + ".content")) ||
                               fs::exists(dir / (name + ".content.gz"))),
            "dataset '" << flags.dataset
                        << "' is a node-classification (LINQS) dataset, not a set of graphs: "
                           "train it without --task graph");
  GAT_CHECK(
      fs::exists(a), "graph dataset '"
                         << flags.dataset << "' not found: " << a.string() << " does not exist"
                         << (looked_up ? " (looked in " + data_root_searched(flags) + "; " : " (")
                         << "pass --data-dir or set GAT_DATA_DIR to the folder of "
                            "datasets)");
  return load_tu(dir.string(), name);
}

// The dataset line of the report.
void print_dataset(const GraphDataset& data, bool no_edge_features) {
  std::fprintf(
      report(),
      "dataset %s: %lld graphs, %lld nodes, %lld edges, %lld node features, %lld edge features "
      "(%s), %d classes\n",
      data.name.c_str(), static_cast<long long>(data.num_graphs()),
      static_cast<long long>(data.num_nodes()), static_cast<long long>(data.num_edges()),
      static_cast<long long>(data.num_features()), static_cast<long long>(data.edge_feature_size()),
      no_edge_features ? "unused" : "used", data.num_classes());
}

// The --history CSV: one row per fold and epoch.
std::string history_csv(const std::vector<GraphEpochStats>& history) {
  std::string csv = "fold,epoch,train_loss,train_acc,train_ms\n";
  char buf[160];
  for (const GraphEpochStats& s : history) {
    std::snprintf(buf, sizeof buf, "%d,%d,%.9g,%.9g,%.6g\n", s.fold + 1, s.epoch, s.train_loss,
                  s.train_acc, s.train_ms);
    csv += buf;
  }
  return csv;
}

// The --json object: the folds' accuracies, every fold's history, and the options of the run.
nlohmann::json results_json(const GraphRunFlags& f, const GraphDataset& data,
                            const CrossValidation& cv, const std::vector<GraphEpochStats>& history,
                            double rss) {
  nlohmann::json out;
  out["dataset"] = data.name;
  out["task"] = "graph";
  out["folds"] = f.folds;
  out["fold_accuracy"] = cv.fold_accuracy;
  out["test_acc_mean"] = cv.mean;
  out["test_acc_std"] = cv.stddev;
  out["median_epoch_ms"] = median(cv.epoch_ms);
  out["peak_rss_mib"] = rss;
  nlohmann::json folds = nlohmann::json::array();
  for (const GraphEpochStats& s : history) {
    if (static_cast<std::size_t>(s.fold) >= folds.size()) folds.push_back(nlohmann::json::array());
    folds[static_cast<std::size_t>(s.fold)].push_back({{"epoch", s.epoch},
                                                       {"train_loss", s.train_loss},
                                                       {"train_acc", s.train_acc},
                                                       {"train_ms", s.train_ms}});
  }
  out["history"] = folds;
  out["options"] = {{"layers", f.model.layers},
                    {"hidden", f.model.hidden},
                    {"heads", f.model.heads},
                    {"dropout", f.model.dropout},
                    {"pool", f.pool},
                    {"edge_features", f.model.edge_features},
                    {"epochs", f.train.epochs},
                    {"batch_size", f.train.batch_size},
                    {"lr", f.train.adam.lr},
                    {"weight_decay", f.train.adam.weight_decay},
                    {"seed", f.seed}};
  return out;
}

}  // namespace

void run_train_graph(GraphRunFlags& f) {
  GAT_CHECK(f.folds >= 2, "--folds must be at least 2, got " << f.folds);
  // Refuse before training, not after it, when a result cannot be written.
  check_outputs({{f.json, "--json"}, {f.history, "--history"}});
  const GraphDataset data = load_graph_dataset(f.data);
  f.model.in_features = data.num_features();
  f.model.edge_features = f.no_edge_features ? 0 : data.edge_feature_size();
  f.model.num_classes = data.num_classes();
  f.model.pool = parse_pool_kind(f.pool);
  f.train.seed = f.seed;
  print_dataset(data, f.no_edge_features);
  std::fflush(report());
  ProgressOptions po;
  po.quiet = f.quiet;
  po.log_every = f.log_every;
  po.unit = "fold";
  po.count = f.folds;
  po.max_epochs = f.train.epochs;  // a fixed number: no early stopping on a test fold
  Progress progress(po);
  std::vector<GraphEpochStats> history;
  int fold = -1;
  const GraphEpochCallback log = [&](const GraphEpochStats& s) {
    if (s.fold != fold) {
      if (fold >= 0) progress.end();
      fold = s.fold;
      progress.begin(fold);
    }
    history.push_back(s);
    EpochPoint p;
    p.epoch = s.epoch;
    p.loss = s.train_loss;
    p.train_acc = s.train_acc;
    p.ms = s.train_ms;
    progress.update(p);
  };
  const CrossValidation cv = cross_validate(data, f.model, f.train, f.folds, f.seed, log);
  progress.end();
  for (int k = 0; k < f.folds; ++k) {
    std::fprintf(report(), "fold %2d/%d: test accuracy %.4f\n", k + 1, f.folds,
                 cv.fold_accuracy[k]);
  }
  std::fprintf(report(),
               "%d-fold test accuracy: %.2f ± %.2f %% (mean ± std over folds; pool %s, edge "
               "features %s, %d epochs)\n",
               f.folds, 100 * cv.mean, 100 * cv.stddev, f.pool.c_str(),
               f.model.edge_features > 0 ? "on" : "off", f.train.epochs);
  const double rss = peak_rss_mib();
  std::fprintf(report(),
               "time (median over all epochs, %d threads): training epoch %.3f ms\n"
               "peak memory: %.1f MiB\n",
               num_threads(), median(cv.epoch_ms), rss);
  if (!f.history.empty()) write_output(f.history, history_csv(history));
  if (!f.json.empty()) write_json(f.json, results_json(f, data, cv, history, rss));
}

}  // namespace gat::app
