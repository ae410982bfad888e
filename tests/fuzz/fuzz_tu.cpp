// Fuzz target: gat::load_tu on arbitrary TU Dortmund files.
//
// Input: up to seven files in one buffer, separated by the line "=====\n", in the order
//   _A, _graph_indicator, _graph_labels, _node_labels, _node_attributes, _edge_labels,
//   _edge_attributes
// A required file (the first three) whose part is missing is written empty; an optional one is
// absent. Each input is loaded twice: with every optional file enabled, and with all of them
// disabled. A gat::Error is the expected answer to a malformed input; a crash, a sanitizer
// report, another exception or a GraphDataset that breaks load_tu's promises is a finding.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz/fuzz_support.hpp"
#include "gat/io/tu.hpp"

namespace {

constexpr const char* kFiles[] = {"f_A.txt",
                                  "f_graph_indicator.txt",
                                  "f_graph_labels.txt",
                                  "f_node_labels.txt",
                                  "f_node_attributes.txt",
                                  "f_edge_labels.txt",
                                  "f_edge_attributes.txt"};
constexpr std::size_t kNumFiles = sizeof kFiles / sizeof kFiles[0];
constexpr std::size_t kNumRequired = 3;

// What load_tu promises of a GraphDataset it returns.
void check(const gat::GraphDataset& d) {
  using gat::fuzz::finding;
  const gat::NodeId n = d.num_nodes();
  const gat::EdgeId e = d.num_edges();
  const auto g = d.num_graphs();
  if (g < 1) finding("a TU dataset without graphs was accepted");
  if (d.node_offsets.size() != static_cast<std::size_t>(g) + 1 || d.node_offsets.front() != 0 ||
      d.node_offsets.back() != n) {
    finding("node_offsets do not run from 0 to N over G + 1 entries");
  }
  for (std::int64_t k = 0; k < g; ++k) {
    if (d.node_offsets[k] >= d.node_offsets[k + 1]) finding("an empty graph was accepted");
  }
  if (d.node_features.rows() != n || d.num_features() < 1 || !d.node_features.allFinite()) {
    finding("node features are not (N, in ≥ 1) and finite");
  }
  if ((d.edge_feature_size() > 0 && d.edge_features.rows() != e) || !d.edge_features.allFinite()) {
    finding("edge features are not (E, D) and finite");
  }
  for (const auto label : d.labels) {
    if (label < 0 || label >= d.num_classes()) finding("a graph label outside [0, C)");
  }
  // Every edge stays inside one graph: graph_of is a step function over node_offsets.
  std::vector<std::int64_t> graph_of(static_cast<std::size_t>(n));
  for (std::int64_t k = 0; k < g; ++k) {
    for (auto i = d.node_offsets[k]; i < d.node_offsets[k + 1]; ++i) graph_of[i] = k;
  }
  const auto& rp = d.graph.row_ptr();
  for (gat::NodeId i = 0; i < n; ++i) {
    for (auto s = rp[i]; s < rp[i + 1]; ++s) {
      if (graph_of[d.graph.src()[s]] != graph_of[i]) finding("an edge between two graphs");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto parts = gat::fuzz::split_input(gat::fuzz::as_text(data, size), kNumFiles);
  for (std::size_t k = 0; k < kNumFiles; ++k) {
    if (k < parts.size()) {
      gat::fuzz::write_scratch(kFiles[k], parts[k]);
    } else if (k < kNumRequired) {
      gat::fuzz::write_scratch(kFiles[k], "");
    } else {
      gat::fuzz::remove_scratch(kFiles[k]);  // left by an earlier input
    }
  }
  const std::string dir = gat::fuzz::scratch_dir().string();

  for (const bool optional : {true, false}) {
    gat::TuOptions options;
    options.node_labels = options.node_attributes = optional;
    options.edge_labels = options.edge_attributes = optional;
    gat::GraphDataset d;
    if (gat::fuzz::accepts([&] { d = gat::load_tu(dir, "f", options); })) check(d);
  }
  return 0;
}
