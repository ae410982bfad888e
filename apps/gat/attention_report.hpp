#pragma once
// What gat attention reports, apart from the command that computes it: the table on stdout
// (report()), the --edges and --nodes CSV files, the --dot drawing, and the matching parts of
// the --json object. Each writer takes results the library already computed, so the command
// file keeps only its flags and the library calls, and a format can change here alone.

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gat/data/dataset.hpp"
#include "gat/layers/gat_model.hpp"
#include "gat/train/attention_stats.hpp"

namespace gat::app {

/// @brief A node as the user knows it: its id in the dataset files, or its index when the
/// dataset has no names.
std::string node_name(const Dataset& data, NodeId i);

/// @brief Every node's name as a CSV field, indexed by node.
std::vector<std::string> csv_node_names(const Dataset& data);

/// @brief The lines that open the report: the dataset and its prepared graph, then the model
/// (`model_text`: where it came from) and, when a preset applied, `preset_line`.
void print_attention_header(const Dataset& data, const ModelAttention& att,
                            const GatModelOptions& options, const std::string& model_text,
                            const std::string& preset_line);

/// @brief The summary table: per layer and head (a multi-dimensional head: its channels
/// averaged) and per layer (all columns, printed when the layer has several heads), over the
/// nodes of `subset` (nullptr: all), which `split` names. Adds the same rows to `out` as
/// "heads" and "layers".
void report_attention_summary(const ModelAttention& att,
                              const std::vector<NodeAttentionStats>& stats,
                              const std::vector<NodeId>* subset, const std::string& split,
                              nlohmann::json& out);

/// @brief The ablation's lines on the report, and `out`["ablation"].
void report_ablation(const AttentionAblation& ab, std::size_t test_nodes, int permutations,
                     nlohmann::json& out);

/// @brief The --edges CSV: layer,head,source,destination,weight,self_loop, one row per layer,
/// column and slot. `names`: csv_node_names.
std::string edges_csv(const ModelAttention& att, const std::vector<std::string>& names);

/// @brief The --nodes CSV: per layer, column and node with in-edges, its statistics against
/// uniform attention. `names`: csv_node_names.
std::string nodes_csv(const std::vector<NodeAttentionStats>& stats, const Dataset& data,
                      const std::vector<std::string>& names);

/// @brief How the drawing and its title name one view: "node <id>, layer <l>, head <h>" (or
/// "heads averaged" for head < 0).
std::string neighbourhood_title(const Dataset& data, NodeId centre, int layer, int head);

/// @brief The in-neighbourhood `nb` of `centre` as a Graphviz DOT graph (twopi layout, edge
/// width proportional to the weight, fill colour by class, the centre outlined in red);
/// `title`: neighbourhood_title.
std::string neighbourhood_dot(const Dataset& data, NodeId centre,
                              const std::vector<NeighbourAttention>& nb, const std::string& title);

/// @brief The same neighbourhood as `out`["node"] of --json: the centre, the view (head < 0:
/// "mean") and every in-edge's source, class and weight.
nlohmann::json neighbourhood_json(const Dataset& data, NodeId centre, int layer, int head,
                                  const std::vector<NeighbourAttention>& nb);

}  // namespace gat::app
