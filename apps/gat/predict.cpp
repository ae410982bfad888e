// gat predict: a saved model's predictions for every node of a dataset, as CSV (node id as in
// the files, predicted class name, probability of each class), and optionally the raw logits
// as a NumPy array.

#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "common.hpp"
#include "gat/core/error.hpp"
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
};

void run_predict(const PredictFlags& f) {
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
                         "probability per class)");
  cmd->add_option("--model", f.model, "Checkpoint written by gat train --save")
      ->required()
      ->check(non_empty_path(false));
  add_data_flags(*cmd, f.data);
  f.data.split_needed = false;  // predictions and embeddings cover every node
  cmd->add_option("-o,--output", f.output, "CSV file to write ('-' or absent: stdout)")
      ->check(non_empty_path());
  cmd->add_option("--logits", f.logits,
                  "Also write the raw logits (N x C, float32) as a NumPy .npy file ('-': stdout)")
      ->check(non_empty_path());
  cmd->add_option("--threads", f.threads, "OpenMP threads (default: all cores)")
      ->check(CLI::Range(1, 4096));
  cmd->callback([flags] { run_predict(*flags); });
}

}  // namespace gat::app
