// gat embed: node embeddings from a saved model — the ELU output of a hidden layer (the last
// one by default) for every node, as CSV or as a NumPy .npy array.

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "common.hpp"
#include "gat/core/error.hpp"
#include "model_io.hpp"
#include "results.hpp"

namespace gat::app {
namespace {

struct EmbedFlags {
  DataFlags data;
  std::string model;
  std::string output;
  int layer = -1;  // -1: the last hidden layer
  int threads = 0;
};

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void run_embed(const EmbedFlags& f) {
  apply_threads(f.threads);
  const bool npy = ends_with(f.output, ".npy");
  GAT_USAGE_CHECK(npy || ends_with(f.output, ".csv") || f.output == "-",
                  "--output " << f.output
                              << ": the file name must end in .csv or .npy (or be - for CSV on "
                                 "stdout)");
  check_outputs({{f.output, "--output"}});
  const ModelAndData md = load_model_and_data(f.model, f.data);
  const int layers = md.checkpoint.model.options().layers;
  int layer = f.layer;
  if (layer < 0) {
    GAT_CHECK(layers >= 2, "model " << f.model << " has a single layer and so no hidden layer; "
                                    << "pass --layer 0 for its output (the logits)");
    layer = layers - 2;
  }
  GAT_CHECK(layer < layers, "--layer " << layer << " is out of range: model " << f.model
                                       << " has layers 0.." << layers - 1);
  std::vector<RowMatrix> hidden;
  RowMatrix logits = run_inference(md.checkpoint.model, md.data, &hidden);
  // Hidden layer l's output after ELU is hidden[l]; the last layer has no ELU: its logits.
  const RowMatrix& emb = layer + 1 == layers ? logits : hidden[layer];

  if (npy) {
    write_output(f.output, npy_bytes(emb));
  } else {
    std::string csv = "node_id";
    for (Eigen::Index c = 0; c < emb.cols(); ++c) csv += ",dim" + std::to_string(c);
    csv += "\n";
    for (NodeId i = 0; i < md.data.num_nodes(); ++i) {
      csv += csv_field(md.data.node_names[i]);
      for (Eigen::Index c = 0; c < emb.cols(); ++c) csv += "," + float_text(emb(i, c));
      csv += "\n";
    }
    write_output(f.output, csv);
  }
  std::fprintf(f.output == "-" ? stderr : report(),
               "wrote %lld x %lld embeddings of layer %d (%s) to %s\n",
               static_cast<long long>(emb.rows()), static_cast<long long>(emb.cols()), layer,
               layer + 1 == layers ? "output logits" : "hidden, after ELU", f.output.c_str());
}

}  // namespace

void register_embed(CLI::App& app) {
  auto flags = std::make_shared<EmbedFlags>();
  auto& f = *flags;
  CLI::App* cmd = app.add_subcommand(
      "embed", "Write node embeddings (a hidden layer's output) of a saved model");
  cmd->add_option("--model", f.model, "Checkpoint written by gat train --save")
      ->required()
      ->check(non_empty_path(false));
  add_data_flags(*cmd, f.data);
  f.data.split_needed = false;  // predictions and embeddings cover every node
  cmd->add_option("--layer", f.layer,
                  "Layer whose output to write, 0-based: hidden layers give their ELU output, the "
                  "last layer its logits (default: the last hidden layer)")
      ->check(CLI::Range(0, 1 << 20));
  cmd->add_option("-o,--output", f.output,
                  "Output file: .csv (node_id, dim0, ...) or .npy (float32, N x width); '-': CSV "
                  "on stdout")
      ->required()
      ->check(non_empty_path());
  cmd->add_option("--threads", f.threads, "OpenMP threads (default: all cores)")
      ->check(CLI::Range(1, 4096));
  cmd->callback([flags] { run_embed(*flags); });
}

}  // namespace gat::app
