// gat attention: where a node-classification GAT's attention goes. For a saved model (--model)
// or one trained here with the flags of gat train: every edge's weight per layer and head
// (--edges CSV), per-node entropy and same-label weight against uniform attention (--nodes CSV),
// a summary table per layer and head, an ablation (test accuracy with learned, uniform and
// permuted attention), and one node's neighbourhood drawn with Graphviz (--node, --dot, --png).
//
// This file holds the command: its flags, their checks, and the library calls. What it writes is
// formatted in attention_report.cpp, Graphviz runs from graphviz.cpp, and the model is trained,
// saved and loaded through model_io.hpp, as gat train does.

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "attention_report.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "gat/core/error.hpp"
#include "gat/core/threads.hpp"
#include "gat/io/output.hpp"
#include "gat/train/attention_stats.hpp"
#include "graphviz.hpp"
#include "model_flags.hpp"
#include "model_io.hpp"
#include "presets.hpp"

namespace gat::app {
namespace {

struct AttentionFlags {
  DataFlags data;
  ModelFlags m;
  std::vector<CLI::Option*> model_options;  // the model and training flags, refused with --model
  std::string model;                        // checkpoint; empty: train first
  std::string save;
  std::string edges, nodes, json, dot, png;
  std::string node;
  std::string split = "all";
  int layer = 0;
  int head = -1;  // -1: heads averaged
  int permutations = 10;
  int threads = 0;
};

// The model analysed and the data it runs on: a checkpoint's (--model) or one trained here.
struct Subject {
  Dataset data;
  std::optional<GatModel<float>> model;  // empty until loaded or trained
  std::string model_text;                // how the report's "model:" line names it
  std::string preset_line;               // the preset gat train would apply, when one did
};

// Heads of layer `layer` of a model built from `o` (the last layer has out_heads).
int heads_of(const GatModelOptions& o, int layer) {
  return layer + 1 == o.layers ? o.out_heads : o.heads;
}

// --layer and --head against the model's shape; checked before any training or output.
void check_view(const AttentionFlags& f, const GatModelOptions& o, const std::string& model) {
  GAT_CHECK(f.layer < o.layers, "--layer " << f.layer << " is out of range: " << model
                                           << " has layers 0.." << o.layers - 1);
  const int heads = heads_of(o, f.layer);
  GAT_CHECK(f.head < heads, "--head " << f.head << " is out of range: layer " << f.layer << " of "
                                      << model << " has heads 0.." << heads - 1);
}

// The node named `id` in the files, or index `id` when the dataset has no names.
NodeId find_node(const Dataset& data, const std::string& id) {
  if (data.node_names.empty()) {
    NodeId i = -1;
    const auto res = std::from_chars(id.data(), id.data() + id.size(), i);
    GAT_CHECK(
        res.ec == std::errc() && res.ptr == id.data() + id.size() && 0 <= i && i < data.num_nodes(),
        "--node " << id << ": dataset '" << data.name << "' has nodes 0.." << data.num_nodes() - 1);
    return i;
  }
  for (NodeId i = 0; i < data.num_nodes(); ++i) {
    if (data.node_names[i] == id) return i;
  }
  GAT_FAIL("--node " << id << ": dataset '" << data.name << "' has no node with that id");
}

// The nodes of --split (nullptr: all).
const std::vector<NodeId>* split_nodes(const Dataset& data, const std::string& split) {
  if (split == "train") return &data.train;
  if (split == "val") return &data.val;
  if (split == "test") return &data.test;
  return nullptr;
}

// The flags that only go together, and every output path, checked before any data is read so
// that a mistake fails at once rather than after training. Returns Graphviz's dot for --png.
std::string check_flags(const AttentionFlags& f) {
  GAT_USAGE_CHECK(f.node.empty() || !f.dot.empty(),
                  "--node draws into a DOT file: give --dot FILE");
  GAT_USAGE_CHECK(f.dot.empty() || !f.node.empty(),
                  "--dot draws one node's neighbourhood: give --node");
  GAT_USAGE_CHECK(f.png.empty() || !f.dot.empty(), "--png renders the --dot file: give --dot too");
  check_outputs({{f.edges, "--edges"},
                 {f.nodes, "--nodes"},
                 {f.json, "--json"},
                 {f.dot, "--dot"},
                 {f.png, "--png"},
                 {f.save, "--save"}});
  if (f.png.empty()) return {};
  std::string dot_exe = find_on_path("dot");
  GAT_CHECK(!dot_exe.empty(),
            "--png needs Graphviz's dot, which is not on PATH (Debian: "
            "apt-get install graphviz); --dot alone writes the graph");
  return dot_exe;
}

// --model: the checkpoint and the dataset it applies to. Its own options describe the model, so
// a model or training flag would be silently ignored: it is refused instead.
Subject load_subject(const AttentionFlags& f, nlohmann::json& out) {
  GAT_USAGE_CHECK(f.save.empty(),
                  "--save writes the model trained here; with --model there is none");
  for (const CLI::Option* opt : f.model_options) {
    GAT_USAGE_CHECK(opt->count() == 0, opt->get_name()
                                           << " describes a model to train; with --model "
                                           << "the checkpoint's own options apply");
  }
  ModelAndData md = load_model_and_data(f.model, f.data);
  check_view(f, md.checkpoint.model.options(), "model " + f.model);
  Subject s;
  s.data = std::move(md.data);
  s.model.emplace(std::move(md.checkpoint.model));
  s.model_text = "checkpoint " + f.model;
  out["model"] = f.model;
  out["checkpoint_metadata"] = md.checkpoint.metadata;
  return s;
}

// No --model: the dataset and the options of gat train's run 1, presets included. The model is
// not trained yet, so that --node is checked against the data first.
Subject prepare_training(AttentionFlags& f, const CLI::App& cmd, nlohmann::json& out) {
  check_view(f, f.m.model, "the model");  // before the data is read, which may take a while
  Subject s;
  s.data = load_dataset(f.data);
  // The analysis compares the labels of neighbours: every node needs one.
  const auto unlabelled = std::count(s.data.labels.begin(), s.data.labels.end(), -1);
  GAT_CHECK(unlabelled == 0, "gat attention compares the labels of neighbours, but "
                                 << unlabelled << " of the " << s.data.num_nodes()
                                 << " nodes of dataset '" << s.data.name << "' have no label");
  const std::string preset = apply_preset(s.data.name, cmd, f.m, s.preset_line);
  out["preset"] = preset.empty() ? nlohmann::json() : nlohmann::json(preset);
  check_view(f, f.m.model, "the model");  // again: a preset may have changed the shape
  finish_model_options(f.m, s.data);
  check_training_memory(f.m, s.data);
  return s;
}

// Run 1 of gat train with the same flags and --seed: the same model, saved the same way.
void train_subject(const AttentionFlags& f, Subject& s, nlohmann::json& out) {
  TrainedModel run = train_model(f.m, s.data, f.m.seed);
  const TrainResult& res = run.result;
  char buf[160];
  std::snprintf(buf, sizeof buf, "trained (seed %llu): best epoch %d of %d, val acc %.4f",
                static_cast<unsigned long long>(f.m.seed), res.best_epoch, res.epochs_run,
                res.val_acc);
  s.model_text = buf;
  out["options"] = model_flags_json(f.m);
  out["training"] = {{"seed", f.m.seed},
                     {"best_epoch", res.best_epoch},
                     {"epochs", res.epochs_run},
                     {"val_acc", res.val_acc},
                     {"test_acc", res.test_acc}};
  if (!f.save.empty()) {
    save_trained_model(f.save, run, s.data, f.data);
    s.model_text += ", saved to " + f.save;
  }
  s.model.emplace(std::move(run.model));
}

// --edges and --nodes.
void write_tables(const AttentionFlags& f, const Dataset& data, const ModelAttention& att,
                  const std::vector<NodeAttentionStats>& stats) {
  const std::vector<std::string> names = csv_node_names(data);
  if (!f.edges.empty()) {
    write_output(f.edges, edges_csv(att, names));
    std::fprintf(report(), "wrote the weights of every edge, layer and head to %s\n",
                 f.edges.c_str());
  }
  if (!f.nodes.empty()) {
    write_output(f.nodes, nodes_csv(stats, data, names));
    std::fprintf(report(), "wrote per-node statistics to %s\n", f.nodes.c_str());
  }
}

// --node with --dot (and --png): one head's columns of --layer, or all of them (heads averaged).
void draw_node(const AttentionFlags& f, const Dataset& data, const ModelAttention& att,
               NodeId centre, const std::string& dot_exe, nlohmann::json& out) {
  const auto cols = f.head >= 0
                        ? head_columns(att, f.layer, f.head)
                        : std::pair<Eigen::Index, Eigen::Index>{0, att.alpha[f.layer].cols()};
  const auto nb =
      node_neighbourhood<float>(att.graph, att.alpha[f.layer], centre, cols.first, cols.second);
  out["node"] = neighbourhood_json(data, centre, f.layer, f.head, nb);
  const std::string dot_text =
      neighbourhood_dot(data, centre, nb, neighbourhood_title(data, centre, f.layer, f.head));
  write_output(f.dot, dot_text);
  std::fprintf(report(), "wrote the neighbourhood of node %s (%zu in-edges, layer %d) to %s\n",
               f.node.c_str(), nb.size(), f.layer, f.dot.c_str());
  if (!f.png.empty()) {
    render_png(dot_exe, dot_text, f.png);
    std::fprintf(report(), "rendered it to %s\n", f.png.c_str());
  }
}

void run_attention(AttentionFlags& f, const CLI::App& cmd) {
  apply_threads(f.threads);
  const std::string dot_exe = check_flags(f);
  nlohmann::json out;
  Subject s = f.model.empty() ? prepare_training(f, cmd, out) : load_subject(f, out);
  const Dataset& data = s.data;
  const NodeId centre = f.node.empty() ? -1 : find_node(data, f.node);
  if (!s.model) train_subject(f, s, out);
  const GatModel<float>& model = *s.model;

  const ModelAttention att = model_attention(model, data);
  print_attention_header(data, att, model.options(), s.model_text, s.preset_line);
  out["dataset"] = data.name;
  out["threads"] = num_threads();
  out["split"] = f.split;
  // Statistics per layer, summarised per head and per layer over the nodes of --split.
  std::vector<NodeAttentionStats> stats;
  for (std::size_t l = 0; l < att.alpha.size(); ++l) {
    stats.push_back(node_attention_stats<float>(att.graph, att.alpha[l], data.labels));
  }
  report_attention_summary(att, stats, split_nodes(data, f.split), f.split, out);
  const AttentionAblation ab = attention_ablation(model, data, f.permutations, f.m.seed);
  report_ablation(ab, data.test.size(), f.permutations, out);
  write_tables(f, data, att, stats);
  if (centre >= 0) draw_node(f, data, att, centre, dot_exe, out);
  if (!f.json.empty()) write_json(f.json, out);
}

}  // namespace

void register_attention(CLI::App& app) {
  auto flags = std::make_shared<AttentionFlags>();
  auto& f = *flags;
  CLI::App* cmd = app.add_subcommand(
      "attention",
      "Analyse a GAT's attention: edge weights, entropy and same-label weight against uniform "
      "attention, an ablation, and one node's neighbourhood as a Graphviz drawing");
  add_data_flags(*cmd, f.data, /*own_graph=*/false);  // --edges is this command's output
  cmd->add_option("--model", f.model,
                  "Checkpoint written by gat train --save (default: train one first, with the "
                  "model and training flags below)")
      ->check(non_empty_path(false));
  f.model_options = add_model_flags(*cmd, f.m);
  for (CLI::Option* opt : add_training_flags(*cmd, f.m)) f.model_options.push_back(opt);
  cmd->add_option("--seed", f.m.seed,
                  "Seed of the model and its training (as gat train's run 1), and of the first "
                  "permutation of the ablation")
      ->capture_default_str()
      ->check(seed_value());
  cmd->add_option("--save", f.save, "Save the model trained here as a safetensors checkpoint")
      ->check(non_empty_path());
  cmd->add_option("--edges", f.edges,
                  "CSV of every weight: layer,head,source,destination,weight,self_loop (head is "
                  "the channel h*F+f with --multi-dim)")
      ->check(non_empty_path());
  cmd->add_option("--nodes", f.nodes,
                  "CSV of per-node statistics per layer and head (nodes with in-edges)")
      ->check(non_empty_path());
  cmd->add_option("--split", f.split, "Nodes the summary averages over: all, train, val, test")
      ->capture_default_str()
      ->check(CLI::IsMember({"all", "train", "val", "test"}));
  cmd->add_option("--permutations", f.permutations,
                  "Permutation seeds of the ablation (mean ± std reported)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--node", f.node,
                  "Node (its id in the dataset files) whose in-neighbourhood "
                  "to draw with --dot");
  cmd->add_option("--layer", f.layer, "Layer drawn with --node, 0-based")
      ->capture_default_str()
      ->check(CLI::Range(0, 1 << 20));
  cmd->add_option("--head", f.head, "Head drawn with --node (default: heads averaged)")
      ->check(CLI::Range(0, 1 << 20));
  cmd->add_option("--dot", f.dot, "Write --node's in-neighbourhood as a Graphviz DOT file")
      ->check(non_empty_path());
  cmd->add_option("--png", f.png, "Also render the DOT file to PNG with Graphviz's dot")
      ->check(non_empty_path());
  cmd->add_option("--json", f.json, "Write the summary, ablation and node as JSON")
      ->check(non_empty_path());
  cmd->add_option("--threads", f.threads, "OpenMP threads (default: all cores)")
      ->check(CLI::Range(1, 4096));
  cmd->callback([flags, cmd] {
    keep_freed_memory();
    run_attention(*flags, *cmd);
  });
}

}  // namespace gat::app
