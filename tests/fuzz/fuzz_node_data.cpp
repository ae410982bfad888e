// Fuzz target: gat::load_node_data, the edge list, features, labels and split put together.
//
// Input: one option byte, then up to four files separated by a line of five '=' (see
// fuzz_support.hpp): the edge list, the features (text), the labels, the split file. An empty
// features or labels part means no such file. The option byte's bits: 0 undirected,
// 1 keyed features, 2 normalise, 3-4 the split (0: default, 1: the split file, 2:
// random:1,1,1, 3: none), 5 the edge list named .csv instead of .txt. A gat::Error is the
// expected answer to inputs that do not fit together; a crash, a sanitizer report, another
// exception, or a Dataset that breaks load_node_data's promises is a finding.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz/fuzz_support.hpp"
#include "gat/core/sparse_matrix.hpp"
#include "gat/data/split.hpp"
#include "gat/io/node_data.hpp"

namespace {

using gat::fuzz::finding;

// What load_node_data promises of the Dataset it returns.
void check(const gat::Dataset& d) {
  const gat::NodeId n = d.num_nodes();
  const auto size_n = static_cast<std::size_t>(n);
  if (d.labels.size() != size_n || d.node_names.size() != size_n) {
    finding("labels or node names are not one per node");
  }
  if (d.has_dense_features()) {
    if (d.dense_features.rows() != n) finding("dense features are not one row per node");
    if (!d.dense_features.allFinite()) finding("a dense feature is not finite");
  } else {
    if (d.features.rows != n) finding("features are not one row per node");
    try {
      gat::validate(d.features);
    } catch (const gat::Error& e) {
      finding(std::string("invalid sparse features: ") + e.what());
    }
  }
  for (const auto y : d.labels) {
    if (y < -1 || y >= d.num_classes()) finding("a label outside [-1, C)");
  }
  try {
    gat::validate_split(gat::Split{d.train, d.val, d.test}, n);
  } catch (const gat::Error& e) {
    finding(std::string("invalid split: ") + e.what());
  }
  for (const auto* list : {&d.train, &d.val, &d.test}) {
    for (const gat::NodeId v : *list) {
      if (d.labels[static_cast<std::size_t>(v)] < 0) finding("a split node without a label");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t options = data[0];
  const auto parts = gat::fuzz::split_input(gat::fuzz::as_text(data + 1, size - 1), 4);
  const auto part = [&parts](std::size_t k) {
    return k < parts.size() ? parts[k] : std::string_view();
  };

  gat::NodeDataFiles files;
  const std::string edges_name = (options & 32) ? "e.csv" : "e.txt";
  gat::fuzz::remove_scratch(edges_name == "e.csv" ? "e.txt" : "e.csv");
  files.edges = gat::fuzz::write_scratch(edges_name, part(0)).string();
  if (!part(1).empty()) files.features = gat::fuzz::write_scratch("x.csv", part(1)).string();
  if (!part(2).empty()) files.labels = gat::fuzz::write_scratch("y.csv", part(2)).string();
  const std::string split_file = gat::fuzz::write_scratch("s.txt", part(3)).string();
  files.undirected = (options & 1) != 0;
  files.keyed_features = (options & 2) != 0;
  files.normalize_features = (options & 4) != 0;
  switch ((options >> 3) & 3) {
    case 1:
      files.split = split_file;
      break;
    case 2:
      files.split = "random:1,1,1";
      break;
    case 3:
      files.split = "none";
      break;
    default:
      break;
  }

  gat::Dataset d;
  if (gat::fuzz::accepts([&] { d = gat::load_node_data(files); })) check(d);
  return 0;
}
