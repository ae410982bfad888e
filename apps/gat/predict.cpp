// gat predict: a saved model's predictions for every node of a dataset, as CSV (node id as in
// the files, predicted class name, probability of each class), and optionally the raw logits
// as a NumPy array; with --task graph, a graph classifier's prediction for every graph of a TU
// dataset (graph index, predicted class name).

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "commands.hpp"
#include "common.hpp"
#include "gat/core/error.hpp"
#include "gat/train/graph_trainer.hpp"
#include "gat/train/metrics.hpp"
#include "model_io.hpp"
#include "results.hpp"

namespace gat::app {
namespace {

struct PredictFlags {
  DataFlags data;
  std::string model;
  std::string output = "-";
  std::string logits;
  int threads = 0;
  std::string task = "node";
};

// The flags that one task reads only (see refuse_other_task_flags).
constexpr TaskOnlyFlag kPredictTaskFlags[] = {
    {"--logits", "node", "--task graph writes each graph's predicted class"},
    {"--no-normalize", "node",
     "TU node features are one-hot labels and attributes, read as they are"},
    {"--strict", "node", "it concerns LINQS citations; TU files are read as they are"},
};

// --task graph: one row per graph of the dataset, "graph,predicted_class", the graph by its
// 0-based index (the order of the TU files' graph ids, as the checkpoint's test_graphs count)
// and the class by its name in the dataset (the label value as the files write it).
void run_predict_graph(const PredictFlags& f) {
  apply_threads(f.threads);
  check_outputs({{f.output, "--output"}});
  const GraphModelAndData md = load_graph_model_and_data(f.model, f.data, false);
  const GraphDataset& data = md.data;
  std::vector<std::int64_t> graphs(static_cast<std::size_t>(data.num_graphs()));
  std::iota(graphs.begin(), graphs.end(), std::int64_t{0});
  const GraphEvaluation ev = evaluate_graphs(md.checkpoint.model, data, graphs);
  std::string csv = "graph,predicted_class\n";
  for (std::size_t g = 0; g < graphs.size(); ++g) {
    csv += std::to_string(g) + "," + csv_field(data.class_names[ev.predicted[g]]) + "\n";
  }
  write_output(f.output, csv);
  if (f.output != "-") {
    std::fprintf(stderr, "wrote predictions for %zu graphs to %s\n", graphs.size(),
                 f.output.c_str());
  }
}

void run_predict(const PredictFlags& f) {
  if (f.task == "graph") return run_predict_graph(f);
  apply_threads(f.threads);
  GAT_USAGE_CHECK(
      f.logits != "-" || f.output != "-",
      "--logits - and the CSV would both go to stdout; give --output or a --logits file");
  check_outputs({{f.output, "--output"}, {f.logits, "--logits"}});
  const ModelAndData md = load_model_and_data(f.model, f.data);
  const Dataset& data = md.data;
  const RowMatrix logits = run_inference(md.checkpoint.model, data);
  const std::vector<std::int32_t> predicted = predict<float>(logits);

  std::string csv = "node_id,predicted";
  for (const auto& c : data.class_names) csv += "," + csv_field(c);
  csv += "\n";
  char buf[32];
  for (NodeId i = 0; i < data.num_nodes(); ++i) {
    csv += csv_field(data.node_names[i]);
    csv += ",";
    csv += csv_field(data.class_names[predicted[i]]);
    // softmax with the row maximum subtracted, in double
    const double top = logits.row(i).maxCoeff();
    double sum = 0;
    for (Eigen::Index c = 0; c < logits.cols(); ++c) sum += std::exp(double(logits(i, c)) - top);
    for (Eigen::Index c = 0; c < logits.cols(); ++c) {
      std::snprintf(buf, sizeof buf, ",%.6g", std::exp(double(logits(i, c)) - top) / sum);
      csv += buf;
    }
    csv += "\n";
  }
  // The array first: if it cannot be written, no CSV claims the run succeeded.
  if (!f.logits.empty()) write_output(f.logits, npy_bytes(logits));
  write_output(f.output, csv);
  if (f.output != "-") {
    std::fprintf(stderr, "wrote predictions for %d nodes to %s\n", data.num_nodes(),
                 f.output.c_str());
  }
}

}  // namespace

void register_predict(CLI::App& app) {
  auto flags = std::make_shared<PredictFlags>();
  auto& f = *flags;
  CLI::App* cmd =
      app.add_subcommand("predict",
                         "Predict every node's class with a saved model (CSV: node_id, predicted, "
                         "probability per class; --task graph: graph, predicted_class)");
  add_model_argument(*cmd, f.model);
  add_data_flags(*cmd, f.data);
  f.data.split_needed = false;  // predictions and embeddings cover every node
  cmd->add_option("-o,--output", f.output, "CSV file to write ('-' or absent: stdout)")
      ->check(non_empty_path());
  cmd->add_option("--logits", f.logits,
                  "Also write the raw logits (N x C, float32) as a NumPy .npy file ('-': stdout)")
      ->check(non_empty_path());
  cmd->add_option("--threads", f.threads, "OpenMP threads (default: all cores)")
      ->check(CLI::Range(1, 4096));
  add_task_flag(*cmd, f.task);
  cmd->callback([flags, cmd] {
    check_model_argument(*cmd, flags->model);
    refuse_other_task_flags(kPredictTaskFlags, flags->task, *cmd);
    run_predict(*flags);
  });
}

}  // namespace gat::app
