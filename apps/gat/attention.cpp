// gat attention: where a node-classification GAT's attention goes. For a saved model (--model)
// or one trained here with the flags of gat train: every edge's weight per layer and head
// (--edges CSV), per-node entropy and same-label weight against uniform attention (--nodes CSV),
// a summary table per layer and head, an ablation (test accuracy with learned, uniform and
// permuted attention), and one node's neighbourhood drawn with Graphviz (--node, --dot, --png).

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "common.hpp"
#include "gat/core/error.hpp"
#include "gat/core/threads.hpp"
#include "gat/io/checkpoint.hpp"
#include "gat/train/attention_stats.hpp"
#include "gat/train/trainer.hpp"
#include "model_flags.hpp"
#include "presets.hpp"
#include "results.hpp"

extern char** environ;

namespace gat::app {
namespace {

namespace fs = std::filesystem;

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

const char* self_loops_text(SelfLoops policy) {
  switch (policy) {
    case SelfLoops::kAdd:
      return "one added per node";
    case SelfLoops::kKeep:
      return "as in the data";
    case SelfLoops::kRemove:
      return "removed";
  }
  return "?";
}

std::string node_name(const Dataset& data, NodeId i) {
  return data.node_names.empty() ? std::to_string(i) : data.node_names[i];
}

// The full path of an executable named `name` on $PATH, or empty (what `command -v` finds).
std::string find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const fs::path candidate = fs::path(dir.empty() ? "." : dir) / name;
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec) && access(candidate.c_str(), X_OK) == 0) {
      return candidate.string();
    }
  }
  return {};
}

std::string double_text(double v) {
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

// The nodes of --split (nullptr: all).
const std::vector<NodeId>* split_nodes(const Dataset& data, const std::string& split) {
  if (split == "train") return &data.train;
  if (split == "val") return &data.val;
  if (split == "test") return &data.test;
  return nullptr;
}

std::string edges_csv(const ModelAttention& att, const std::vector<std::string>& names) {
  std::string csv = "layer,head,source,destination,weight,self_loop\n";
  std::size_t rows = 0;
  for (const auto& a : att.alpha) rows += static_cast<std::size_t>(a.size());
  csv.reserve(rows * 32);
  for_each_edge_attention(att, [&](const EdgeAttention& e) {
    csv += std::to_string(e.layer);
    csv += ',';
    csv += std::to_string(e.column);
    csv += ',';
    csv += names[e.source];
    csv += ',';
    csv += names[e.destination];
    csv += ',';
    csv += float_text(e.weight);
    csv += e.self_loop ? ",1\n" : ",0\n";
  });
  return csv;
}

std::string nodes_csv(const std::vector<NodeAttentionStats>& stats, const Dataset& data,
                      const std::vector<std::string>& names) {
  std::vector<std::string> classes;
  for (const auto& c : data.class_names) classes.push_back(csv_field(c));
  std::string csv =
      "layer,head,node,label,degree,entropy,uniform_entropy,same_label_weight,uniform_share\n";
  for (std::size_t l = 0; l < stats.size(); ++l) {
    const NodeAttentionStats& s = stats[l];
    for (Eigen::Index c = 0; c < s.entropy.cols(); ++c) {
      for (NodeId i = 0; i < data.num_nodes(); ++i) {
        if (s.degree[i] == 0) continue;  // no in-edges: no statistics
        csv += std::to_string(l) + ',' + std::to_string(c) + ',' + names[i] + ',' +
               classes[data.labels[i]] + ',' + std::to_string(s.degree[i]) + ',' +
               double_text(s.entropy(i, c)) + ',' + double_text(s.uniform_entropy[i]) + ',' +
               double_text(s.same_label(i, c)) + ',' + double_text(s.uniform_share[i]) + '\n';
      }
    }
  }
  return csv;
}

// A string as a DOT quoted string.
std::string dot_quoted(const std::string& s) {
  std::string out = "\"";
  for (const char ch : s) {
    if (ch == '\n') {
      out += "\\n";  // DOT's centred line break
      continue;
    }
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + "\"";
}

// The in-neighbourhood `nb` of `centre` as a DOT graph: neighbours around the centre (twopi
// layout), edge width proportional to the weight, fill colour by class, the centre outlined in
// red. `what` names the node, layer and head in the title.
std::string neighbourhood_dot(const Dataset& data, NodeId centre,
                              const std::vector<NeighbourAttention>& nb, const std::string& what) {
  // ColorBrewer Set3: light enough for black labels; classes beyond 12 reuse colours.
  static const char* const kPalette[] = {"#8dd3c7", "#ffffb3", "#bebada", "#fb8072",
                                         "#80b1d3", "#fdb462", "#b3de69", "#fccde5",
                                         "#d9d9d9", "#bc80bd", "#ccebc5", "#ffed6f"};
  // What every weight would be with uniform attention, for scale.
  std::string baseline = " (no in-edges)";
  if (!nb.empty()) {
    char buf[64];
    std::snprintf(buf, sizeof buf, " (uniform 1/%zu = %.3f)", nb.size(), 1.0 / double(nb.size()));
    baseline = buf;
  }
  auto node_line = [&](NodeId i) {
    const int label = data.labels[i];
    std::string line = "  n" + std::to_string(i) + " [label=" +
                       dot_quoted(node_name(data, i) + "\n" + data.class_names[label]) +
                       ", fillcolor=\"" + kPalette[label % 12] + "\"";
    if (i == centre) line += ", color=\"#d62728\", penwidth=3, peripheries=2";
    return line + "];\n";
  };
  std::string dot = "// gat attention: in-neighbourhood of " + what +
                    ".\n// Edge width is proportional to the attention weight (printed on the "
                    "edge); fill colour is the class.\n";
  dot += "digraph attention {\n";
  dot += "  graph [layout=twopi, root=n" + std::to_string(centre) +
         ", overlap=false, ranksep=2, fontname=\"Helvetica\", labelloc=t, label=" +
         dot_quoted("attention into " + what + baseline) + "];\n";
  dot += "  node [shape=ellipse, style=filled, fontname=\"Helvetica\", fontsize=10];\n";
  dot += "  edge [color=\"#444444\", arrowsize=0.6, fontname=\"Helvetica\", fontsize=9];\n";
  dot += node_line(centre);
  std::vector<bool> drawn(data.num_nodes(), false);
  drawn[centre] = true;
  for (const auto& e : nb) {
    if (!drawn[e.source]) dot += node_line(e.source);
    drawn[e.source] = true;
  }
  char buf[96];
  for (const auto& e : nb) {
    std::snprintf(buf, sizeof buf, " [penwidth=%.2f, label=\"%.3f\"];\n",
                  std::max(0.3, 12.0 * e.weight), e.weight);
    dot += "  n" + std::to_string(e.source) + " -> n" + std::to_string(centre) + buf;
  }
  return dot + "}\n";
}

// A folder of our own for the files of one dot run, removed with everything in it. mkdtemp
// makes it with a unique random name and mode 0700, so no other user can guess a name in it or
// plant a link there (a fixed /tmp/gat-dot-<pid>.log could be a link to any file).
class PrivateFolder {
 public:
  PrivateFolder() {
    std::string pattern = (fs::temp_directory_path() / "gat-dot-XXXXXX").string();
    GAT_CHECK(mkdtemp(pattern.data()) != nullptr,
              "cannot create a temporary folder " << pattern << ": " << std::strerror(errno));
    path_ = pattern;
  }
  ~PrivateFolder() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  PrivateFolder(const PrivateFolder&) = delete;
  PrivateFolder& operator=(const PrivateFolder&) = delete;
  std::string operator/(const char* name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

// The whole content of a file we created in a PrivateFolder.
std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// Renders `dot_text` with `dot -Tpng` and writes the PNG to `png` through gat::write_output
// (atomic replace, a device or "-" written directly): dot itself writes only into a private
// folder. Its messages are kept there and the first one is reported when it fails.
void render_png(const std::string& dot_exe, const std::string& dot_text, const std::string& png) {
  const PrivateFolder dir;
  const std::string input = dir / "in.dot", output = dir / "out.png", log = dir / "dot.log";
  write_output(input, dot_text);
  std::vector<std::string> args = {dot_exe, "-Tpng", input, "-o", output};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, log.c_str(),
                                   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
  pid_t child = 0;
  const int rc = posix_spawn(&child, dot_exe.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  GAT_CHECK(rc == 0, "cannot run " << dot_exe << ": " << std::strerror(rc));
  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
    GAT_CHECK(errno == EINTR, "waiting for " << dot_exe << ": " << std::strerror(errno));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string first = read_all(log);
    first = first.substr(0, first.find('\n'));
    GAT_FAIL("dot -Tpng failed" << (first.empty() ? std::string() : ": " + first));
  }
  write_output(png, read_all(output));
}

nlohmann::json summary_json(const AttentionSummary& s) {
  return {{"nodes", s.nodes},
          {"skipped", s.skipped},
          {"entropy", s.entropy},
          {"uniform_entropy", s.uniform_entropy},
          {"entropy_ratio", s.entropy_ratio},
          {"same_label_weight", s.same_label},
          {"uniform_share", s.uniform_share}};
}

void run_attention(AttentionFlags& f, const CLI::App& cmd) {
  apply_threads(f.threads);
  GAT_USAGE_CHECK(f.node.empty() || !f.dot.empty(),
                  "--node draws into a DOT file: give --dot FILE");
  GAT_USAGE_CHECK(f.dot.empty() || !f.node.empty(),
                  "--dot draws one node's neighbourhood: give --node");
  GAT_USAGE_CHECK(f.png.empty() || !f.dot.empty(), "--png renders the --dot file: give --dot too");
  // Every output before any training, so that a path that cannot be written fails at once.
  check_outputs({{f.edges, "--edges"},
                 {f.nodes, "--nodes"},
                 {f.json, "--json"},
                 {f.dot, "--dot"},
                 {f.png, "--png"},
                 {f.save, "--save"}});
  std::string dot_exe;
  if (!f.png.empty()) {
    dot_exe = find_on_path("dot");
    GAT_CHECK(!dot_exe.empty(),
              "--png needs Graphviz's dot, which is not on PATH (Debian: "
              "apt-get install graphviz); --dot alone writes the graph");
  }

  nlohmann::json out;
  std::optional<GatModel<float>> model;
  Dataset data;
  std::string model_text;
  std::string preset_line;
  if (!f.model.empty()) {
    GAT_USAGE_CHECK(f.save.empty(),
                    "--save writes the model trained here; with --model there is none");
    for (const CLI::Option* opt : f.model_options) {
      GAT_USAGE_CHECK(opt->count() == 0, opt->get_name()
                                             << " describes a model to train; with --model "
                                             << "the checkpoint's own options apply");
    }
    ModelAndData md = load_model_and_data(f.model, f.data);
    check_view(f, md.checkpoint.model.options(), "model " + f.model);
    data = std::move(md.data);
    model.emplace(std::move(md.checkpoint.model));
    model_text = "checkpoint " + f.model;
    out["model"] = f.model;
    out["checkpoint_metadata"] = md.checkpoint.metadata;
  } else {
    check_view(f, f.m.model, "the model");
    data = load_dataset(f.data);
    // The model trained here is gat train's run 1, presets included.
    const std::string preset = apply_preset(data.name, cmd, f.m, preset_line);
    out["preset"] = preset.empty() ? nlohmann::json() : nlohmann::json(preset);
    check_view(f, f.m.model, "the model");
    finish_model_options(f.m, data);
    check_training_memory(f.m, data);
  }
  const NodeId centre = f.node.empty() ? -1 : find_node(data, f.node);
  if (!model) {
    // Run 1 of gat train with the same flags and --seed: the same model.
    model.emplace(f.m.model, f.m.seed);
    TrainOptions t = f.m.train;
    t.seed = f.m.seed;
    const TrainResult res = train_node_classifier(*model, data, t);
    char buf[160];
    std::snprintf(buf, sizeof buf, "trained (seed %llu): best epoch %d of %d, val acc %.4f",
                  static_cast<unsigned long long>(f.m.seed), res.best_epoch, res.epochs_run,
                  res.val_acc);
    model_text = buf;
    out["options"] = model_flags_json(f.m);
    out["training"] = {{"seed", f.m.seed},
                       {"best_epoch", res.best_epoch},
                       {"epochs", res.epochs_run},
                       {"val_acc", res.val_acc},
                       {"test_acc", res.test_acc}};
    if (!f.save.empty()) {
      save_checkpoint(f.save, *model, training_metadata(data, f.data, f.m.seed, res));
      model_text += ", saved to " + f.save;
    }
  }

  const ModelAttention att = model_attention(*model, data);
  const int layers = static_cast<int>(att.alpha.size());
  std::fprintf(report(),
               "dataset %s: %d nodes, %lld edge slots per layer (self loops: %s), %d classes\n",
               data.name.c_str(), data.num_nodes(), static_cast<long long>(att.graph.num_edges()),
               self_loops_text(model->options().self_loops), data.num_classes());
  std::fprintf(report(), "model: %s; %d layers, %s score, %s alignment%s\n", model_text.c_str(),
               layers, to_string(model->options().score), to_string(model->options().align),
               model->options().multi_dim ? ", multi-dimensional" : "");
  if (!preset_line.empty()) std::fprintf(report(), "%s\n", preset_line.c_str());
  out["dataset"] = data.name;
  out["threads"] = num_threads();
  out["split"] = f.split;

  // Statistics per layer; the table per head (a multi-dimensional head: its channels averaged)
  // and per layer (all columns).
  const std::vector<NodeId>* subset = split_nodes(data, f.split);
  std::vector<NodeAttentionStats> stats;
  for (int l = 0; l < layers; ++l) {
    stats.push_back(node_attention_stats<float>(att.graph, att.alpha[l], data.labels));
  }
  const AttentionSummary overall = summarize_attention(stats[0], 0, 1, subset);
  std::fprintf(
      report(),
      "\nattention over %s nodes (%lld averaged, %lld without in-edges skipped): mean entropy of "
      "each node's weights and mean weight on same-class neighbours, learned vs uniform 1/deg\n",
      f.split.c_str(), static_cast<long long>(overall.nodes),
      static_cast<long long>(overall.skipped));
  std::fprintf(report(), "%-11s   %-25s   %s\n", "", "---------- entropy ----------",
               "-- same-label weight --");
  std::fprintf(report(), "%5s %5s   %9s %9s %7s   %10s %10s\n", "layer", "head", "learned",
               "uniform", "ratio", "learned", "uniform");
  auto print_row = [](int l, const std::string& head, const AttentionSummary& s) {
    std::fprintf(report(), "%5d %5s   %9.4f %9.4f %7.4f   %10.4f %10.4f\n", l, head.c_str(),
                 s.entropy, s.uniform_entropy, s.entropy_ratio, s.same_label, s.uniform_share);
  };
  for (int l = 0; l < layers; ++l) {
    for (int h = 0; h < att.heads[l]; ++h) {
      const auto [b, e] = head_columns(att, l, h);
      const AttentionSummary s = summarize_attention(stats[l], b, e, subset);
      print_row(l, std::to_string(h), s);
      nlohmann::json row = summary_json(s);
      row["layer"] = l;
      row["head"] = h;
      out["heads"].push_back(row);
    }
    const AttentionSummary s = summarize_attention(stats[l], 0, att.alpha[l].cols(), subset);
    if (att.heads[l] > 1) print_row(l, "mean", s);
    nlohmann::json row = summary_json(s);
    row["layer"] = l;
    out["layers"].push_back(row);
  }

  const AttentionAblation ab = attention_ablation(*model, data, f.permutations, f.m.seed);
  std::fprintf(report(), "\nablation: test accuracy (%zu nodes), inference mode\n",
               data.test.size());
  std::fprintf(report(), "  learned attention   %.4f\n", ab.learned);
  std::fprintf(report(), "  uniform attention   %.4f\n", ab.uniform);
  std::fprintf(report(),
               "  permuted attention  %.4f ± %.4f  (mean ± std over %d permutations, seeds "
               "%llu..%llu)\n",
               ab.permuted_mean, ab.permuted_std, f.permutations,
               static_cast<unsigned long long>(ab.first_seed),
               static_cast<unsigned long long>(ab.first_seed + f.permutations - 1));
  out["ablation"] = {{"test_nodes", data.test.size()},
                     {"learned", ab.learned},
                     {"uniform", ab.uniform},
                     {"permuted", ab.permuted},
                     {"permuted_mean", ab.permuted_mean},
                     {"permuted_std", ab.permuted_std},
                     {"first_seed", ab.first_seed}};

  std::vector<std::string> names(data.num_nodes());
  for (NodeId i = 0; i < data.num_nodes(); ++i) names[i] = csv_field(node_name(data, i));
  if (!f.edges.empty()) {
    write_output(f.edges, edges_csv(att, names));
    std::fprintf(report(), "wrote the weights of every edge, layer and head to %s\n",
                 f.edges.c_str());
  }
  if (!f.nodes.empty()) {
    write_output(f.nodes, nodes_csv(stats, data, names));
    std::fprintf(report(), "wrote per-node statistics to %s\n", f.nodes.c_str());
  }
  if (centre >= 0) {
    // One head's columns, or all of them (heads averaged).
    const auto cols = f.head >= 0
                          ? head_columns(att, f.layer, f.head)
                          : std::pair<Eigen::Index, Eigen::Index>{0, att.alpha[f.layer].cols()};
    const auto nb =
        node_neighbourhood<float>(att.graph, att.alpha[f.layer], centre, cols.first, cols.second);
    nlohmann::json in_edges = nlohmann::json::array();
    for (const auto& e : nb) {
      in_edges.push_back({{"source", node_name(data, e.source)},
                          {"label", data.class_names[data.labels[e.source]]},
                          {"weight", e.weight}});
    }
    out["node"] = {{"id", node_name(data, centre)},
                   {"label", data.class_names[data.labels[centre]]},
                   {"layer", f.layer},
                   {"head", f.head >= 0 ? nlohmann::json(f.head) : nlohmann::json("mean")},
                   {"in_edges", in_edges}};
    const std::string what = "node " + node_name(data, centre) + ", layer " +
                             std::to_string(f.layer) + ", " +
                             (f.head >= 0 ? "head " + std::to_string(f.head) : "heads averaged");
    const std::string dot_text = neighbourhood_dot(data, centre, nb, what);
    write_output(f.dot, dot_text);
    std::fprintf(report(), "wrote the neighbourhood of node %s (%zu in-edges, layer %d) to %s\n",
                 f.node.c_str(), nb.size(), f.layer, f.dot.c_str());
    if (!f.png.empty()) {
      render_png(dot_exe, dot_text, f.png);
      std::fprintf(report(), "rendered it to %s\n", f.png.c_str());
    }
  }
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
  add_data_flags(*cmd, f.data);
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
  cmd->callback([flags, cmd] { run_attention(*flags, *cmd); });
}

}  // namespace gat::app
