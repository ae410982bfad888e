#include "attention_report.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "common.hpp"
#include "results.hpp"

namespace gat::app {
namespace {

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

// The shortest text that reads back to the same double: the CSV files are for further
// analysis, so they lose nothing the statistics computed.
std::string double_text(double v) {
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
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

}  // namespace

std::string node_name(const Dataset& data, NodeId i) {
  return data.node_names.empty() ? std::to_string(i) : data.node_names[i];
}

std::vector<std::string> csv_node_names(const Dataset& data) {
  std::vector<std::string> names(data.num_nodes());
  for (NodeId i = 0; i < data.num_nodes(); ++i) names[i] = csv_field(node_name(data, i));
  return names;
}

void print_attention_header(const Dataset& data, const ModelAttention& att,
                            const GatModelOptions& options, const std::string& model_text,
                            const std::string& preset_line) {
  std::fprintf(report(),
               "dataset %s: %d nodes, %lld edge slots per layer (self loops: %s), %d classes\n",
               data.name.c_str(), data.num_nodes(), static_cast<long long>(att.graph.num_edges()),
               self_loops_text(options.self_loops), data.num_classes());
  std::fprintf(report(), "model: %s; %d layers, %s score, %s alignment%s\n", model_text.c_str(),
               static_cast<int>(att.alpha.size()), to_string(options.score),
               to_string(options.align), options.multi_dim ? ", multi-dimensional" : "");
  if (!preset_line.empty()) std::fprintf(report(), "%s\n", preset_line.c_str());
}

void report_attention_summary(const ModelAttention& att,
                              const std::vector<NodeAttentionStats>& stats,
                              const std::vector<NodeId>* subset, const std::string& split,
                              nlohmann::json& out) {
  const AttentionSummary overall = summarize_attention(stats[0], 0, 1, subset);
  std::fprintf(
      report(),
      "\nattention over %s nodes (%lld averaged, %lld without in-edges skipped): mean entropy of "
      "each node's weights and mean weight on same-class neighbours, learned vs uniform 1/deg\n",
      split.c_str(), static_cast<long long>(overall.nodes),
      static_cast<long long>(overall.skipped));
  std::fprintf(report(), "%-11s   %-25s   %s\n", "", "---------- entropy ----------",
               "-- same-label weight --");
  std::fprintf(report(), "%5s %5s   %9s %9s %7s   %10s %10s\n", "layer", "head", "learned",
               "uniform", "ratio", "learned", "uniform");
  auto print_row = [](int l, const std::string& head, const AttentionSummary& s) {
    std::fprintf(report(), "%5d %5s   %9.4f %9.4f %7.4f   %10.4f %10.4f\n", l, head.c_str(),
                 s.entropy, s.uniform_entropy, s.entropy_ratio, s.same_label, s.uniform_share);
  };
  const int layers = static_cast<int>(att.alpha.size());
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
}

void report_ablation(const AttentionAblation& ab, std::size_t test_nodes, int permutations,
                     nlohmann::json& out) {
  std::fprintf(report(), "\nablation: test accuracy (%zu nodes), inference mode\n", test_nodes);
  std::fprintf(report(), "  learned attention   %.4f\n", ab.learned);
  std::fprintf(report(), "  uniform attention   %.4f\n", ab.uniform);
  std::fprintf(report(),
               "  permuted attention  %.4f ± %.4f  (mean ± std over %d permutations, seeds "
               "%llu..%llu)\n",
               ab.permuted_mean, ab.permuted_std, permutations,
               static_cast<unsigned long long>(ab.first_seed),
               static_cast<unsigned long long>(ab.first_seed + permutations - 1));
  out["ablation"] = {{"test_nodes", test_nodes},
                     {"learned", ab.learned},
                     {"uniform", ab.uniform},
                     {"permuted", ab.permuted},
                     {"permuted_mean", ab.permuted_mean},
                     {"permuted_std", ab.permuted_std},
                     {"first_seed", ab.first_seed}};
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

std::string neighbourhood_title(const Dataset& data, NodeId centre, int layer, int head) {
  return "node " + node_name(data, centre) + ", layer " + std::to_string(layer) + ", " +
         (head >= 0 ? "head " + std::to_string(head) : "heads averaged");
}

std::string neighbourhood_dot(const Dataset& data, NodeId centre,
                              const std::vector<NeighbourAttention>& nb, const std::string& title) {
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
  std::string dot = "// gat attention: in-neighbourhood of " + title +
                    ".\n// Edge width is proportional to the attention weight (printed on the "
                    "edge); fill colour is the class.\n";
  dot += "digraph attention {\n";
  dot += "  graph [layout=twopi, root=n" + std::to_string(centre) +
         ", overlap=false, ranksep=2, fontname=\"Helvetica\", labelloc=t, label=" +
         dot_quoted("attention into " + title + baseline) + "];\n";
  dot += "  node [shape=ellipse, style=filled, fontname=\"Helvetica\", fontsize=10];\n";
  dot += "  edge [color=\"#444444\", arrowsize=0.6, fontname=\"Helvetica\", fontsize=9];\n";
  dot += node_line(centre);
  // A neighbour reached by several edges (duplicates, or a self loop of the centre) is one node.
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

nlohmann::json neighbourhood_json(const Dataset& data, NodeId centre, int layer, int head,
                                  const std::vector<NeighbourAttention>& nb) {
  nlohmann::json in_edges = nlohmann::json::array();
  for (const auto& e : nb) {
    in_edges.push_back({{"source", node_name(data, e.source)},
                        {"label", data.class_names[data.labels[e.source]]},
                        {"weight", e.weight}});
  }
  return {{"id", node_name(data, centre)},
          {"label", data.class_names[data.labels[centre]]},
          {"layer", layer},
          {"head", head >= 0 ? nlohmann::json(head) : nlohmann::json("mean")},
          {"in_edges", in_edges}};
}

}  // namespace gat::app
