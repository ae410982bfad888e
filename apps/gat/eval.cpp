// gat eval: a saved model on a dataset — accuracy and loss per split, and the confusion matrix
// of the test split; with --task graph, a graph classifier's accuracy and loss on the graphs it
// held out in training (or on every graph), beside the accuracy stored at training.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <numeric>
#include <string>
#include <system_error>
#include <vector>

#include "commands.hpp"
#include "common.hpp"
#include "gat/core/error.hpp"
#include "gat/train/graph_trainer.hpp"
#include "gat/train/loss.hpp"
#include "gat/train/metrics.hpp"
#include "model_io.hpp"
#include "results.hpp"

namespace gat::app {
namespace {

struct EvalFlags {
  DataFlags data;
  std::string model;
  std::string json;
  int threads = 0;
  std::string task = "node";
  std::string graphs = "test";  // --task graph: the stored test graphs, or all
};

// The flags that one task reads only (see refuse_other_task_flags).
constexpr TaskOnlyFlag kEvalTaskFlags[] = {
    {"--no-normalize", "node",
     "TU node features are one-hot labels and attributes, read as they are"},
    {"--strict", "node", "it concerns LINQS citations; TU files are read as they are"},
    {"--graphs", "graph", "node classification scores the dataset's train, val and test splits"},
};

// The confusion matrix as a table: one row per true class, named, and one column per
// predicted class, each as wide as the widest count; `on` names what was evaluated ("test",
// "the test graphs").
void print_confusion(const std::vector<std::string>& class_names,
                     const std::vector<std::vector<long long>>& confusion, const char* on) {
  const int classes = static_cast<int>(class_names.size());
  std::fprintf(report(), "\nconfusion matrix on %s (rows: true class, columns: predicted class)\n",
               on);
  int name_width = 5;
  for (const auto& c : class_names) name_width = std::max(name_width, int(c.size()));
  int cell = 4;
  for (const auto& row : confusion) {
    for (const long long v : row) cell = std::max(cell, int(std::to_string(v).size()) + 1);
  }
  std::fprintf(report(), "%*s", name_width + 6, "");
  for (int p = 0; p < classes; ++p) {
    std::fprintf(report(), "%*s", cell, ("[" + std::to_string(p) + "]").c_str());
  }
  std::fprintf(report(), "\n");
  for (int t = 0; t < classes; ++t) {
    std::fprintf(report(), "%5s %-*s", ("[" + std::to_string(t) + "]").c_str(), name_width,
                 class_names[t].c_str());
    for (int p = 0; p < classes; ++p) std::fprintf(report(), "%*lld", cell, confusion[t][p]);
    std::fprintf(report(), "\n");
  }
}

// What gat train --save recorded about the run, when it is there: the metadata `keys` that the
// checkpoint has, on one line.
void print_checkpoint(const CheckpointMetadata& meta, std::initializer_list<const char*> keys) {
  std::string trained;
  for (const char* key : keys) {
    const auto it = meta.find(key);
    if (it != meta.end())
      trained += std::string(trained.empty() ? "" : ", ") + key + " " + it->second;
  }
  if (!trained.empty()) std::fprintf(report(), "checkpoint: %s\n", trained.c_str());
}

// confusion[t][p]: the items of true class t predicted as p.
std::vector<std::vector<long long>> confusion_matrix(int classes,
                                                     const std::vector<std::int32_t>& truth,
                                                     const std::vector<std::int32_t>& predicted) {
  std::vector<std::vector<long long>> confusion(classes, std::vector<long long>(classes, 0));
  for (std::size_t k = 0; k < truth.size(); ++k) ++confusion[truth[k]][predicted[k]];
  return confusion;
}

// The test accuracy gat train stored (metadata "test_accuracy"), NaN when it is not there.
double stored_test_accuracy(const CheckpointMetadata& meta, const std::string& model_path) {
  const auto it = meta.find("test_accuracy");
  if (it == meta.end()) return std::numeric_limits<double>::quiet_NaN();
  const std::string& s = it->second;
  double value = 0;
  const auto res = std::from_chars(s.data(), s.data() + s.size(), value);
  GAT_CHECK(res.ec == std::errc() && res.ptr == s.data() + s.size() && value >= 0 && value <= 1,
            model_path << ": metadata 'test_accuracy' is '" << s << "', not an accuracy in [0, 1]");
  return value;
}

// --task graph: the model on the graphs it held out in training (or on all), set beside the
// accuracy stored at training; the same model on the same graphs gives the same bits, so the
// two agree unless the dataset changed.
void run_eval_graph(const EvalFlags& f) {
  apply_threads(f.threads);
  check_outputs({{f.json, "--json"}});
  const bool all = f.graphs == "all";
  const GraphModelAndData md = load_graph_model_and_data(f.model, f.data, !all);
  const GraphDataset& data = md.data;
  const auto& meta = md.checkpoint.metadata;
  const double stored =
      all ? std::numeric_limits<double>::quiet_NaN() : stored_test_accuracy(meta, f.model);
  std::vector<std::int64_t> graphs = md.test_graphs;
  if (all) {
    graphs.resize(static_cast<std::size_t>(data.num_graphs()));
    std::iota(graphs.begin(), graphs.end(), std::int64_t{0});
  }
  const GraphEvaluation ev = evaluate_graphs(md.checkpoint.model, data, graphs);

  std::fprintf(report(), "model %s on dataset %s: %lld graphs, %d classes\n", f.model.c_str(),
               data.name.c_str(), static_cast<long long>(data.num_graphs()), data.num_classes());
  print_checkpoint(meta, {"dataset", "fold", "seed", "test_accuracy"});
  const char* on = all ? "all graphs" : "the test graphs";
  if (all) {
    std::fprintf(report(), "accuracy on all graphs %.4f (%zu graphs)\n", ev.accuracy,
                 graphs.size());
    std::fprintf(report(), "loss on all graphs %.4f\n", ev.loss);
  } else {
    std::fprintf(report(), "test accuracy %.4f (%zu graphs", ev.accuracy, graphs.size());
    if (!std::isnan(stored)) std::fprintf(report(), "; stored at training: %.4f", stored);
    std::fprintf(report(), ")\ntest loss %.4f\n", ev.loss);
  }
  std::vector<std::int32_t> truth;
  truth.reserve(graphs.size());
  for (const std::int64_t g : graphs) truth.push_back(data.labels[static_cast<std::size_t>(g)]);
  const auto confusion = confusion_matrix(data.num_classes(), truth, ev.predicted);
  print_confusion(data.class_names, confusion, on);

  nlohmann::json out;
  out["model"] = f.model;
  out["dataset"] = data.name;
  out["task"] = "graph";
  out["graphs"] = f.graphs;
  out["num_graphs"] = graphs.size();
  out["accuracy"] = ev.accuracy;
  out["loss"] = ev.loss;
  if (!std::isnan(stored)) out["stored_test_accuracy"] = stored;
  out["classes"] = data.class_names;
  out["confusion"] = confusion;
  if (!f.json.empty()) write_json(f.json, out);
}

void run_eval(const EvalFlags& f) {
  if (f.task == "graph") return run_eval_graph(f);
  apply_threads(f.threads);
  check_outputs({{f.json, "--json"}});
  const ModelAndData md = load_model_and_data(f.model, f.data);
  const Dataset& data = md.data;
  const RowMatrix logits = run_inference(md.checkpoint.model, data);
  const int classes = data.num_classes();

  nlohmann::json out;
  out["model"] = f.model;
  out["dataset"] = data.name;
  out["nodes"] = data.num_nodes();
  std::fprintf(report(), "model %s on dataset %s: %d nodes, %d classes\n", f.model.c_str(),
               data.name.c_str(), data.num_nodes(), classes);
  print_checkpoint(md.checkpoint.metadata,
                   {"dataset", "seed", "best_epoch", "val_acc", "test_acc", "normalize"});
  std::fprintf(report(), "%-6s %7s %9s %9s\n", "split", "nodes", "accuracy", "loss");
  const std::pair<const char*, const std::vector<NodeId>*> splits[] = {
      {"train", &data.train}, {"val", &data.val}, {"test", &data.test}};
  for (const auto& [name, nodes] : splits) {
    const double acc = accuracy<float>(logits, data.labels, *nodes);
    const double loss = nll_loss<float>(logits, data.labels, *nodes);
    std::fprintf(report(), "%-6s %7zu %9.4f %9.4f\n", name, nodes->size(), acc, loss);
    out["splits"][name] = {{"nodes", nodes->size()}, {"accuracy", acc}, {"loss", loss}};
  }

  // confusion[t][p]: test nodes of true class t predicted as p.
  const std::vector<std::int32_t> predicted = predict<float>(logits);
  std::vector<std::int32_t> truth, test_predicted;
  truth.reserve(data.test.size());
  test_predicted.reserve(data.test.size());
  for (const NodeId i : data.test) {
    truth.push_back(data.labels[i]);
    test_predicted.push_back(predicted[i]);
  }
  const auto confusion = confusion_matrix(classes, truth, test_predicted);
  print_confusion(data.class_names, confusion, "test");
  out["classes"] = data.class_names;
  out["confusion_test"] = confusion;
  if (!f.json.empty()) write_json(f.json, out);
}

}  // namespace

void register_eval(CLI::App& app) {
  auto flags = std::make_shared<EvalFlags>();
  auto& f = *flags;
  CLI::App* cmd = app.add_subcommand(
      "eval",
      "Evaluate a saved model: accuracy and loss per split, test confusion matrix (--task graph: "
      "on the held-out graphs)");
  add_model_argument(*cmd, f.model);
  add_data_flags(*cmd, f.data);
  cmd->add_option("--json", f.json,
                  "Also write the results as JSON to this file ('-': stdout, the table then goes "
                  "to stderr)")
      ->check(non_empty_path());
  cmd->add_option("--threads", f.threads, "OpenMP threads (default: all cores)")
      ->check(CLI::Range(1, 4096));
  add_task_flag(*cmd, f.task);
  cmd->add_option("--graphs", f.graphs,
                  "--task graph: the graphs to score: test (those the model held out in "
                  "training, as its checkpoint records) or all")
      ->capture_default_str()
      ->check(CLI::IsMember({"test", "all"}));
  cmd->callback([flags, cmd] {
    check_model_argument(*cmd, flags->model);
    refuse_other_task_flags(kEvalTaskFlags, flags->task, *cmd);
    run_eval(*flags);
  });
}

}  // namespace gat::app
