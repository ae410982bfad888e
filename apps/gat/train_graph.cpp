// gat train --task graph: GAT layers with edge features → graph readout → classifier head,
// trained in mini-batches and evaluated either by stratified k-fold cross-validation with a
// fixed number of epochs (--protocol cv) or by Errica et al.'s protocol (--protocol errica).

#include "train_graph.hpp"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "commands.hpp"
#include "gat/core/error.hpp"
#include "gat/core/threads.hpp"
#include "gat/io/graph_checkpoint.hpp"
#include "graph_data.hpp"
#include "progress.hpp"
#include "results.hpp"

namespace gat::app {

namespace {

// The dataset line of the report.
void print_dataset(const GraphDataset& data, bool edge_features) {
  std::fprintf(
      report(),
      "dataset %s: %lld graphs, %lld nodes, %lld edges, %lld node features, %lld edge features "
      "(%s), %d classes\n",
      data.name.c_str(), static_cast<long long>(data.num_graphs()),
      static_cast<long long>(data.num_nodes()), static_cast<long long>(data.num_edges()),
      static_cast<long long>(data.num_features()), static_cast<long long>(data.edge_feature_size()),
      edge_features ? "used" : "unused", data.num_classes());
}

// ---- The model-selection grid: --grid KEY=V1,V2,... (repeatable), a Cartesian product. ----

double parse_number(const std::string& spec, const std::string& value) {
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  GAT_USAGE_CHECK(used == value.size() && !value.empty() && std::isfinite(v),
                  "--grid " << spec << ": '" << value << "' is not a number");
  return v;
}

int parse_count(const std::string& spec, const std::string& value, int lo, int hi) {
  const double v = parse_number(spec, value);
  GAT_USAGE_CHECK(v == std::floor(v) && v >= lo && v <= hi,
                  "--grid " << spec << ": '" << value << "' must be a whole number in [" << lo
                            << ", " << hi << "]");
  return static_cast<int>(v);
}

double parse_rate(const std::string& spec, const std::string& value, double hi) {
  const double v = parse_number(spec, value);
  GAT_USAGE_CHECK(v >= 0 && v < hi,
                  "--grid " << spec << ": '" << value << "' must be in [0, " << hi << ")");
  return v;
}

// A configuration of the grid and its label ("lr=0.01 hidden=32"; "as given" alone), with
// the degree-feature cap its inputs get (c.data is built from it once the grid is known).
struct Candidate {
  GraphCandidate c;
  int degree_features = 0;
  std::string label;
};

struct GridKey {
  const char* name;
  std::function<void(Candidate&, const std::string& spec, const std::string& value)> set;
};

const std::vector<GridKey>& grid_keys() {
  static const std::vector<GridKey> keys = {
      {"layers",
       [](Candidate& d, auto& s, auto& v) { d.c.model.layers = parse_count(s, v, 0, 64); }},
      {"hidden",
       [](Candidate& d, auto& s, auto& v) { d.c.model.hidden = parse_count(s, v, 1, 65536); }},
      {"heads",
       [](Candidate& d, auto& s, auto& v) { d.c.model.heads = parse_count(s, v, 1, 1024); }},
      {"dropout", [](Candidate& d, auto& s, auto& v) { d.c.model.dropout = parse_rate(s, v, 1); }},
      {"attn-dropout",
       [](Candidate& d, auto& s, auto& v) { d.c.model.attention_dropout = parse_rate(s, v, 1); }},
      {"mlp-hidden",
       [](Candidate& d, auto& s, auto& v) { d.c.model.mlp_hidden = parse_count(s, v, 0, 65536); }},
      {"mlp-dropout",
       [](Candidate& d, auto& s, auto& v) { d.c.model.mlp_dropout = parse_rate(s, v, 1); }},
      {"jk", [](Candidate& d, auto& s,
                auto& v) { d.c.model.jumping_knowledge = parse_count(s, v, 0, 1); }},
      {"pool", [](Candidate& d, auto&, auto& v) { d.c.model.pool = parse_pool_kind(v); }},
      {"score", [](Candidate& d, auto&, auto& v) { d.c.model.score = parse_score_function(v); }},
      {"align", [](Candidate& d, auto&, auto& v) { d.c.model.align = parse_alignment(v); }},
      {"lr",
       [](Candidate& d, auto& s, auto& v) {
         d.c.train.adam.lr = parse_number(s, v);
         GAT_USAGE_CHECK(d.c.train.adam.lr > 0, "--grid " << s << ": lr must be positive");
       }},
      {"weight-decay",
       [](Candidate& d, auto& s, auto& v) { d.c.train.adam.weight_decay = parse_rate(s, v, 1e9); }},
      {"batch-size", [](Candidate& d, auto& s,
                        auto& v) { d.c.train.batch_size = parse_count(s, v, 1, 1 << 20); }},
      {"lr-step",
       [](Candidate& d, auto& s, auto& v) { d.c.train.lr_step = parse_count(s, v, 0, 1 << 30); }},
      {"ema", [](Candidate& d, auto& s, auto& v) { d.c.train.ema = parse_rate(s, v, 1); }},
      // The inputs themselves: each value is its own copy of the dataset's node features.
      {"degree-features",
       [](Candidate& d, auto& s, auto& v) { d.degree_features = parse_count(s, v, 0, 1024); }},
  };
  return keys;
}

std::string key_list() {
  std::string out;
  for (const GridKey& k : grid_keys()) out += (out.empty() ? "" : ", ") + std::string(k.name);
  return out;
}

std::vector<Candidate> expand_grid(const Candidate& base, const std::vector<std::string>& specs) {
  std::vector<Candidate> out{base};
  std::vector<std::string> seen;
  for (const std::string& spec : specs) {
    const auto eq = spec.find('=');
    GAT_USAGE_CHECK(eq != std::string::npos && eq > 0 && eq + 1 < spec.size(),
                    "--grid " << spec << ": expected KEY=V1,V2,... (keys: " << key_list() << ")");
    const std::string key = spec.substr(0, eq);
    const GridKey* k = nullptr;
    for (const GridKey& g : grid_keys()) {
      if (key == g.name) k = &g;
    }
    GAT_USAGE_CHECK(
        k, "--grid " << spec << ": unknown key '" << key << "' (keys: " << key_list() << ")");
    for (const std::string& s : seen) {
      GAT_USAGE_CHECK(s != key, "--grid " << spec << ": key '" << key << "' given twice");
    }
    seen.push_back(key);
    std::vector<std::string> values;
    std::stringstream in(spec.substr(eq + 1));
    for (std::string v; std::getline(in, v, ',');) values.push_back(v);
    GAT_USAGE_CHECK(!values.empty(), "--grid " << spec << ": no values");
    std::vector<Candidate> next;
    for (const Candidate& c : out) {
      for (const std::string& v : values) {
        Candidate d = c;
        k->set(d, spec, v);
        d.label += (d.label.empty() ? "" : " ") + key + "=" + v;
        next.push_back(std::move(d));
      }
    }
    out = std::move(next);
    GAT_USAGE_CHECK(out.size() <= 256, "--grid: " << out.size()
                                                  << " configurations; at most 256 (each is "
                                                     "trained on every outer fold)");
  }
  if (out.size() == 1 && out.front().label.empty()) out.front().label = "as given";
  return out;
}

// ---- Reports ----

// The --history CSV: one row per training epoch (fold, candidate or run).
std::string history_csv(const std::vector<GraphEpochStats>& history) {
  std::string csv = "fold,candidate,run,epoch,train_loss,train_acc,val_loss,val_acc,train_ms\n";
  char buf[256];
  for (const GraphEpochStats& s : history) {
    std::snprintf(buf, sizeof buf, "%d,%d,%d,%d,%.9g,%.9g,%.9g,%.9g,%.6g\n", s.fold + 1,
                  s.candidate < 0 ? 0 : s.candidate + 1, s.run + 1, s.epoch, s.train_loss,
                  s.train_acc, s.val_loss, s.val_acc, s.train_ms);
    csv += buf;
  }
  return csv;
}

// ", score gatv2, align cardinality" for a model whose layers are not the paper's (nothing for
// the gat score with softmax, or without GAT layers); what --grid varies is left out.
std::string attention_note(const GraphClassifierOptions& m, const std::vector<std::string>& grid) {
  auto varied = [&](const std::string& key) {
    for (const std::string& spec : grid) {
      if (spec.rfind(key + "=", 0) == 0) return true;
    }
    return false;
  };
  std::string out;
  if (m.layers == 0) return out;
  if (m.score != ScoreFunction::kGat && !varied("score")) {
    out += std::string(", score ") + to_string(m.score);
  }
  if (m.align != Alignment::kSoftmax && !varied("align")) {
    out += std::string(", align ") + to_string(m.align);
  }
  return out;
}

nlohmann::json options_json(const GraphRunFlags& f, const GraphCandidate& c) {
  return {{"model", f.model_kind},
          {"layers", c.model.layers},
          {"hidden", c.model.hidden},
          {"heads", c.model.heads},
          {"dropout", c.model.dropout},
          {"attention_dropout", c.model.attention_dropout},
          {"score", to_string(c.model.score)},
          {"align", to_string(c.model.align)},
          {"pool", pool_kind_name(c.model.pool)},
          {"jumping_knowledge", c.model.jumping_knowledge},
          {"mlp_hidden", c.model.mlp_hidden},
          {"mlp_dropout", c.model.mlp_dropout},
          {"edge_features", c.model.edge_features},
          {"epochs", c.train.epochs},
          {"patience", c.train.patience},
          {"batch_size", c.train.batch_size},
          {"shards", c.train.shards},
          {"lr", c.train.adam.lr},
          {"lr_step", c.train.lr_step},
          {"lr_decay", c.train.lr_decay},
          {"ema", c.train.ema},
          {"weight_decay", c.train.adam.weight_decay},
          {"seed", f.seed},
          {"raw_attributes", f.raw_attributes},
          {"degree_features", f.degree_features}};
}

// Progress on stderr: one bar per training run (fold, candidate, run).
struct Reporter {
  Progress progress;
  std::vector<GraphEpochStats> history;
  int fold = -1, candidate = -2, run = -1;

  Reporter(const GraphRunFlags& f, int max_epochs, int patience)
      : progress([&] {
          ProgressOptions po;
          po.quiet = f.quiet;
          po.log_every = f.log_every;
          po.unit = "fold";
          po.count = f.protocol == "errica" ? f.selection.folds : f.folds;
          po.max_epochs = max_epochs;
          po.patience = patience;
          return po;
        }()) {}

  void operator()(const GraphEpochStats& s) {
    if (s.fold != fold || s.candidate != candidate || s.run != run) {
      if (fold >= 0) progress.end();
      fold = s.fold;
      candidate = s.candidate;
      run = s.run;
      progress.begin(fold);
    }
    history.push_back(s);
    EpochPoint p;
    p.epoch = s.epoch;
    p.loss = s.train_loss;
    p.train_acc = s.train_acc;
    p.has_val = !std::isnan(s.val_acc);
    p.val_loss = s.val_loss;
    p.val_acc = s.val_acc;
    p.ms = s.train_ms;
    progress.update(p);
  }
  void end() {
    if (fold >= 0) progress.end();
  }
};

// The metadata a saved graph model carries: where its test accuracy comes from, so that
// `gat eval --task graph` reproduces it.
CheckpointMetadata save_extras(const GraphRunFlags& f, const GraphDataset& data, bool standardized,
                               int degree_features, int fold, const std::vector<std::int64_t>& test,
                               double acc) {
  char buf[32];
  const auto end = std::to_chars(buf, buf + sizeof buf, acc).ptr;  // shortest round trip
  return {{"dataset", data.name},
          {"task", "graph"},
          {"protocol", f.protocol},
          {"fold", std::to_string(fold + 1)},
          {"test_graphs", graph_indices_to_text(test)},
          {"test_accuracy", std::string(buf, end)},
          {"seed", std::to_string(f.seed)},
          {"standardized_attributes", standardized ? "true" : "false"},
          {"degree_features", std::to_string(degree_features)}};
}

}  // namespace

void run_train_graph(GraphRunFlags& f) {
  GAT_CHECK(f.folds >= 2, "--folds must be at least 2, got " << f.folds);
  const bool errica = f.protocol == "errica";
  // Refuse before training, not after it, when a result cannot be written.
  check_outputs({{f.json, "--json"}, {f.history, "--history"}, {f.save, "--save"}});
  const auto raw = std::make_shared<GraphDataset>(load_tu_dataset(f.data));
  const std::int64_t attributes = raw->num_node_attributes();
  const bool standardized = attributes > 0 && !f.raw_attributes;
  if (standardized) standardize_node_attributes(*raw);
  Candidate base{{f.model, f.train, nullptr}, f.degree_features, ""};
  GraphClassifierOptions& bm = base.c.model;
  bm.num_classes = raw->num_classes();
  bm.pool = parse_pool_kind(f.pool);
  bm.edge_features = f.no_edge_features ? 0 : raw->edge_feature_size();
  if (f.model_kind == "baseline") {
    // Errica et al.'s structure-agnostic baseline: no message passing and no edges, the sum of
    // each graph's node features through an MLP.
    bm.layers = 0;
    bm.edge_features = 0;
  }
  base.c.train.seed = f.seed;
  std::vector<Candidate> grid = expand_grid(base, f.grid);
  // The inputs of each degree-feature cap the grid names, built once: the standardised dataset
  // itself for 0, a copy with the degree columns appended for each other cap (the dataset
  // itself when it is the only one).
  std::map<int, std::shared_ptr<const GraphDataset>> inputs;
  for (const Candidate& c : grid) {
    GAT_USAGE_CHECK(c.degree_features == 0 || f.model_kind == "gat",
                    "--grid degree-features: --model baseline sees no structure; its inputs are "
                    "the node features as read");
    inputs[c.degree_features] = nullptr;
  }
  for (auto& [cap, d] : inputs) {
    if (cap == 0) {
      d = raw;
      continue;
    }
    const std::shared_ptr<GraphDataset> x =
        inputs.size() == 1 ? raw : std::make_shared<GraphDataset>(*raw);
    add_degree_features(*x, cap);
    d = x;
  }
  for (Candidate& c : grid) {
    c.c.data = inputs.at(c.degree_features);
    c.c.model.in_features = c.c.data->num_features();
  }
  // The dataset line shows the inputs when there is one kind, the features as read otherwise.
  const GraphDataset& data = inputs.size() == 1 ? *grid.front().c.data : *raw;
  // Every candidate is built once before anything is printed or trained: a combination the
  // layers refuse fails now, not in the first fold.
  for (const Candidate& c : grid) {
    const GraphClassifierOptions& m = c.c.model;
    const bool edges = m.layers > 0 && m.edge_features > 0;
    GAT_USAGE_CHECK(!edges || m.score == ScoreFunction::kGat,
                    "--score " << to_string(m.score) << ": edge features enter the gat score only, "
                               << "and " << data.name << " has " << m.edge_features
                               << ": add --no-edge-features, or keep --score gat");
    GAT_USAGE_CHECK(!edges || m.align != Alignment::kUniform,
                    "--align uniform computes no score for " << data.name << "'s "
                                                             << m.edge_features
                                                             << " edge features to enter: add "
                                                                "--no-edge-features");
    (void)GraphClassifier<float>(m, 0);
  }
  print_dataset(data, bm.edge_features > 0);
  if (standardized) {
    std::fprintf(report(),
                 "node attributes: %lld columns standardised (--raw-attributes: as read)\n",
                 static_cast<long long>(attributes));
  }
  if (inputs.size() > 1) {
    std::string caps;
    for (const auto& [cap, d] : inputs) caps += (caps.empty() ? "" : ", ") + std::to_string(cap);
    std::fprintf(report(),
                 "degree features: one-hot neighbour count 0 .. K+ (K + 1 columns), K chosen by "
                 "the grid among %s (0: none)\n",
                 caps.c_str());
  } else if (grid.front().degree_features > 0) {
    std::fprintf(report(), "degree features: one-hot neighbour count 0 .. %d+ (%d columns)\n",
                 grid.front().degree_features, grid.front().degree_features + 1);
  }
  if (errica) {
    std::fprintf(report(),
                 "protocol errica: %d outer folds; %zu configuration%s selected on a %.0f %% "
                 "holdout; the choice retrained %d times, early-stopped (patience %d, at most "
                 "%d epochs), tested once\n",
                 f.selection.folds, grid.size(), grid.size() == 1 ? "" : "s",
                 100.0 / f.selection.holdout_folds, f.selection.final_runs, base.c.train.patience,
                 base.c.train.epochs);
  }
  std::fflush(report());
  Reporter reporter(f, base.c.train.epochs, errica ? base.c.train.patience : 0);
  const GraphEpochCallback log = [&](const GraphEpochStats& s) { reporter(s); };
  const AssessedModelCallback save = [&](int fold, int candidate,
                                         const GraphClassifier<float>& model,
                                         const std::vector<std::int64_t>& test, double acc) {
    if (fold == 0 && !f.save.empty()) {
      const Candidate& c = grid[static_cast<std::size_t>(candidate)];
      save_graph_classifier(
          f.save, model,
          save_extras(f, *c.c.data, standardized, c.degree_features, fold, test, acc));
    }
  };
  const auto t0 = std::chrono::steady_clock::now();
  nlohmann::json out;
  std::vector<double> fold_acc, epoch_ms;
  double mean = 0, stddev = 0;
  if (errica) {
    std::vector<GraphCandidate> candidates;
    candidates.reserve(grid.size());
    for (const Candidate& c : grid) candidates.push_back(c.c);
    ModelSelectionOptions sel = f.selection;
    sel.seed = f.seed;
    const ModelAssessment a = assess_graph_classifier(data, candidates, sel, log, save);
    reporter.end();
    nlohmann::json folds = nlohmann::json::array();
    for (std::size_t k = 0; k < a.folds.size(); ++k) {
      const AssessedFold& fold = a.folds[k];
      const auto sel_k = static_cast<std::size_t>(fold.selected);
      std::string runs;
      for (double r : fold.run_test_acc) {
        char buf[16];
        std::snprintf(buf, sizeof buf, "%s%.4f", runs.empty() ? "" : ", ", r);
        runs += buf;
      }
      if (grid.size() > 1) {
        std::fprintf(report(), "fold %2zu/%d: selected %s (holdout %.4f at epoch %d); ", k + 1,
                     sel.folds, grid[sel_k].label.c_str(), fold.candidate_val_acc[sel_k],
                     fold.candidate_epoch[sel_k]);
      } else {
        std::fprintf(report(), "fold %2zu/%d: ", k + 1, sel.folds);
      }
      std::fprintf(report(), "test accuracy %.4f (runs %s)\n", fold.test_acc, runs.c_str());
      nlohmann::json cand = nlohmann::json::array();
      for (std::size_t c = 0; c < fold.candidate_val_acc.size(); ++c) {
        cand.push_back({{"config", grid[c].label},
                        {"holdout_acc", fold.candidate_val_acc[c]},
                        {"holdout_loss", fold.candidate_val_loss[c]},
                        {"best_epoch", fold.candidate_epoch[c]}});
      }
      folds.push_back({{"fold", k + 1},
                       {"selected", grid[sel_k].label},
                       {"candidates", cand},
                       {"run_test_acc", fold.run_test_acc},
                       {"run_best_epoch", fold.run_epoch},
                       {"test_acc", fold.test_acc}});
      fold_acc.push_back(fold.test_acc);
    }
    out["folds"] = folds;
    out["grid"] = f.grid;
    out["final_runs"] = sel.final_runs;
    out["holdout_folds"] = sel.holdout_folds;
    mean = a.mean;
    stddev = a.stddev;
    epoch_ms = a.epoch_ms;
  } else {
    const CrossValidation cv = cross_validate(data, grid.front().c.model, grid.front().c.train,
                                              f.folds, f.seed, log, save);
    reporter.end();
    for (int k = 0; k < f.folds; ++k) {
      std::fprintf(report(), "fold %2d/%d: test accuracy %.4f\n", k + 1, f.folds,
                   cv.fold_accuracy[static_cast<std::size_t>(k)]);
    }
    fold_acc = cv.fold_accuracy;
    mean = cv.mean;
    stddev = cv.stddev;
    epoch_ms = cv.epoch_ms;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (errica) {
    std::fprintf(report(),
                 "errica %d-fold test accuracy: %.2f ± %.2f %% (mean ± std over outer folds; "
                 "model %s, pool %s, edge features %s%s)\n",
                 f.selection.folds, 100 * mean, 100 * stddev, f.model_kind.c_str(),
                 pool_kind_name(bm.pool), bm.edge_features > 0 ? "on" : "off",
                 attention_note(bm, f.grid).c_str());
  } else {
    std::fprintf(report(),
                 "%d-fold test accuracy: %.2f ± %.2f %% (mean ± std over folds; model %s, pool "
                 "%s, edge features %s%s, %d epochs)\n",
                 f.folds, 100 * mean, 100 * stddev, f.model_kind.c_str(), pool_kind_name(bm.pool),
                 bm.edge_features > 0 ? "on" : "off", attention_note(bm, f.grid).c_str(),
                 base.c.train.epochs);
  }
  const double rss = peak_rss_mib();
  std::fprintf(report(),
               "time: %.1f s in all; median training epoch %.3f ms (%d threads)\n"
               "peak memory: %.1f MiB\n",
               seconds, median(epoch_ms), num_threads(), rss);
  if (!f.save.empty()) std::fprintf(report(), "saved fold 1's model to %s\n", f.save.c_str());
  if (!f.history.empty()) write_output(f.history, history_csv(reporter.history));
  if (!f.json.empty()) {
    out["dataset"] = data.name;
    out["task"] = "graph";
    out["protocol"] = f.protocol;
    out["folds"] = errica ? out["folds"] : nlohmann::json(f.folds);
    out["fold_accuracy"] = fold_acc;
    out["test_acc_mean"] = mean;
    out["test_acc_std"] = stddev;
    out["median_epoch_ms"] = median(epoch_ms);
    out["seconds"] = seconds;
    out["threads"] = num_threads();
    out["peak_rss_mib"] = rss;
    out["options"] = options_json(f, base.c);
    write_json(f.json, out);
  }
}

}  // namespace gat::app
