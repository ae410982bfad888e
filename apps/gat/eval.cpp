// gat eval: a saved model on a dataset — accuracy and loss per split, and the confusion matrix
// of the test split.

#include <algorithm>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commands.hpp"
#include "common.hpp"
#include "gat/core/error.hpp"
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
};

// The confusion matrix as a table: one row per true class, named, and one column per
// predicted class, each as wide as the widest count.
void print_confusion(const std::vector<std::string>& class_names,
                     const std::vector<std::vector<long long>>& confusion) {
  const int classes = static_cast<int>(class_names.size());
  std::fprintf(report(),
               "\nconfusion matrix on test (rows: true class, columns: predicted class)\n");
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

void run_eval(const EvalFlags& f) {
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
  // What gat train --save recorded about the run, when it is there.
  const auto& meta = md.checkpoint.metadata;
  std::string trained;
  for (const char* key : {"dataset", "seed", "best_epoch", "val_acc", "test_acc", "normalize"}) {
    const auto it = meta.find(key);
    if (it != meta.end())
      trained += std::string(trained.empty() ? "" : ", ") + key + " " + it->second;
  }
  if (!trained.empty()) std::fprintf(report(), "checkpoint: %s\n", trained.c_str());
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
  std::vector<std::vector<long long>> confusion(classes, std::vector<long long>(classes, 0));
  for (const NodeId i : data.test) ++confusion[data.labels[i]][predicted[i]];
  print_confusion(data.class_names, confusion);
  out["classes"] = data.class_names;
  out["confusion_test"] = confusion;
  if (!f.json.empty()) write_json(f.json, out);
}

}  // namespace

void register_eval(CLI::App& app) {
  auto flags = std::make_shared<EvalFlags>();
  auto& f = *flags;
  CLI::App* cmd = app.add_subcommand(
      "eval", "Evaluate a saved model: accuracy and loss per split, test confusion matrix");
  cmd->add_option("--model", f.model, "Checkpoint written by gat train --save")
      ->required()
      ->check(non_empty_path(false));
  add_data_flags(*cmd, f.data);
  cmd->add_option("--json", f.json,
                  "Also write the results as JSON to this file ('-': stdout, the table then goes "
                  "to stderr)")
      ->check(non_empty_path());
  cmd->add_option("--threads", f.threads, "OpenMP threads (default: all cores)")
      ->check(CLI::Range(1, 4096));
  cmd->callback([flags] { run_eval(*flags); });
}

}  // namespace gat::app
