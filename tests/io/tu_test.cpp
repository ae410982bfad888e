#include "gat/io/tu.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/data/graph_dataset.hpp"
#include "support/data.hpp"
#include "support/io_fixtures.hpp"
#include "support/temp_dir.hpp"

namespace gat {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Two graphs, five nodes, seven lines in _A.txt (1-based in the files, 0-based below):
//
//   graph 1: nodes 0, 1, 2               graph 2: nodes 3, 4
//
//      0 ⇄ 1 ⇄ 2 ↺                          3 ⇉ 4     (the line "4, 5" twice: a duplicate)
//
// The lines of _A.txt are deliberately out of order, so that slot order differs from line order:
//
//   line  row,col  edge (0-based)  edge label  edge attributes
//     1   3, 3     2 → 2 (loop)    -2          1.5, -1
//     2   2, 3     1 → 2           10          2.5, -2
//     3   4, 5     3 → 4            7          3.5, -3
//     4   3, 2     2 → 1           10          4.5, -4
//     5   1, 2     0 → 1            7          5.5, -5
//     6   2, 1     1 → 0            7          6.5, -6
//     7   4, 5     3 → 4           10          7.5, -7
//
// CSR by destination, sources ascending, equal (dst, src) in line order:
//   row 0: [1]      ← line 6
//   row 1: [0, 2]   ← lines 5, 4
//   row 2: [1, 2]   ← lines 2, 1
//   row 3: []
//   row 4: [3, 3]   ← lines 3, 7   (the duplicate keeps file order)
// so row_ptr = 0 1 3 5 5 7, src = 1 0 2 1 2 3 3, and slot → line = 6 5 4 2 1 3 7.
// Edge label categories, ascending: [-2, 7, 10]; edge features = one-hot(3) then 2 attributes.
// Node labels 3 0 3 1 0 → categories [0, 1, 3]; node features = one-hot(3) then 1 attribute.
// Graph labels 1, -1 → class names ["-1", "1"], labels [1, 0].
constexpr const char* kA = "3, 3\n2, 3\n4, 5\n3, 2\n1, 2\n2, 1\n4, 5\n";
constexpr const char* kIndicator = "1\n1\n1\n2\n2\n";
constexpr const char* kGraphLabels = "1\r\n-1\r\n\r\n\n";  // CRLF and trailing blank lines
constexpr const char* kNodeLabels = "3\n0\n3\n1\n0";       // no final newline
constexpr const char* kNodeAttributes = " 10.0\n 20.0\n 30.0\n 4e1\n+50\n";
constexpr const char* kEdgeLabels = "-2\n10\n7\n10\n7\n7\n10\n";
constexpr const char* kEdgeAttributes =
    "1.5, -1\n 2.5,-2\n3.5, -3\n4.5, -4\n5.5, -5\n6.5, -6\n7.5, -7\n";

// Each test gets its own directory, so tests may run in parallel processes (ctest -j).
class TuReader : public ::testing::Test {
 protected:
  std::string dir() const { return tmp_.dir().string(); }
  std::string path(const std::string& suffix, const std::string& name = "tiny") const {
    return tmp_.path(name + suffix);
  }

  void write(const std::string& suffix, const std::string& text,
             const std::string& name = "tiny") const {
    tmp_.write(name + suffix, text);
  }
  void remove(const std::string& suffix) const { std::filesystem::remove(path(suffix)); }

  // The full example above.
  void write_tiny() const {
    write("_A.txt", kA);
    write("_graph_indicator.txt", kIndicator);
    write("_graph_labels.txt", kGraphLabels);
    write("_node_labels.txt", kNodeLabels);
    write("_node_attributes.txt", kNodeAttributes);
    write("_edge_labels.txt", kEdgeLabels);
    write("_edge_attributes.txt", kEdgeAttributes);
  }

  // The message of the gat::Error that loading throws, or a note saying what happened instead.
  std::string load_error(const TuOptions& options = {}) const {
    return test::error_message([&] { load_tu(dir(), "tiny", options); });
  }

  // Rewrites one file of the full example and returns the load error.
  std::string error_with(const std::string& suffix, const std::string& text) const {
    write_tiny();
    write(suffix, text);
    return load_error();
  }

 private:
  test::TempDir tmp_{"gat_tu_test"};
};

std::vector<float> row(const Matrix<float>& m, Eigen::Index r) {
  return std::vector<float>(m.row(r).data(), m.row(r).data() + m.cols());
}

TEST_F(TuReader, LoadsTwoGraphExample) {
  write_tiny();
  const GraphDataset d = load_tu(dir(), "tiny");

  EXPECT_EQ(d.name, "tiny");
  EXPECT_EQ(d.num_graphs(), 2);
  EXPECT_EQ(d.num_nodes(), 5);
  EXPECT_EQ(d.num_edges(), 7);
  EXPECT_THAT(d.node_offsets, ElementsAre(0, 3, 5));
  EXPECT_EQ(d.graph_size(0), 3);
  EXPECT_EQ(d.graph_size(1), 2);

  EXPECT_THAT(d.graph.row_ptr(), ElementsAre(0, 1, 3, 5, 5, 7));
  EXPECT_THAT(d.graph.src(), ElementsAre(1, 0, 2, 1, 2, 3, 3));
  EXPECT_EQ(d.graph.num_self_loops(), 1);

  EXPECT_THAT(d.class_names, ElementsAre("-1", "1"));
  EXPECT_THAT(d.labels, ElementsAre(1, 0));
  EXPECT_EQ(d.num_classes(), 2);

  EXPECT_THAT(d.node_label_values, ElementsAre(0, 1, 3));
  ASSERT_EQ(d.num_features(), 4);
  EXPECT_THAT(row(d.node_features, 0), ElementsAre(0, 0, 1, 10));
  EXPECT_THAT(row(d.node_features, 1), ElementsAre(1, 0, 0, 20));
  EXPECT_THAT(row(d.node_features, 2), ElementsAre(0, 0, 1, 30));
  EXPECT_THAT(row(d.node_features, 3), ElementsAre(0, 1, 0, 40));
  EXPECT_THAT(row(d.node_features, 4), ElementsAre(1, 0, 0, 50));

  // Slot p holds line slot_to_line[p]: one-hot over [-2, 7, 10], then (line + 0.5, -line).
  EXPECT_THAT(d.edge_label_values, ElementsAre(-2, 7, 10));
  ASSERT_EQ(d.edge_feature_size(), 5);
  EXPECT_THAT(row(d.edge_features, 0), ElementsAre(0, 1, 0, 6.5, -6));
  EXPECT_THAT(row(d.edge_features, 1), ElementsAre(0, 1, 0, 5.5, -5));
  EXPECT_THAT(row(d.edge_features, 2), ElementsAre(0, 0, 1, 4.5, -4));
  EXPECT_THAT(row(d.edge_features, 3), ElementsAre(0, 0, 1, 2.5, -2));
  EXPECT_THAT(row(d.edge_features, 4), ElementsAre(1, 0, 0, 1.5, -1));
  EXPECT_THAT(row(d.edge_features, 5), ElementsAre(0, 1, 0, 3.5, -3));
  EXPECT_THAT(row(d.edge_features, 6), ElementsAre(0, 0, 1, 7.5, -7));
}

TEST_F(TuReader, LoadsWithoutOptionalFiles) {
  write_tiny();
  for (const char* optional :
       {"_node_labels.txt", "_node_attributes.txt", "_edge_labels.txt", "_edge_attributes.txt"}) {
    remove(optional);
  }
  const GraphDataset d = load_tu(dir(), "tiny");
  EXPECT_THAT(d.graph.row_ptr(), ElementsAre(0, 1, 3, 5, 5, 7));
  EXPECT_THAT(d.graph.src(), ElementsAre(1, 0, 2, 1, 2, 3, 3));
  EXPECT_THAT(d.labels, ElementsAre(1, 0));
  // No node data: one constant feature per node. No edge data: D = 0.
  EXPECT_TRUE(d.node_label_values.empty());
  ASSERT_EQ(d.num_features(), 1);
  EXPECT_TRUE((d.node_features.array() == 1.0f).all());
  EXPECT_EQ(d.node_features.rows(), 5);
  // ... a placeholder, not an attribute: standardising leaves it (it would become zeros).
  EXPECT_TRUE(d.constant_node_feature);
  EXPECT_EQ(d.num_node_attributes(), 0);
  GraphDataset s = d;
  standardize_node_attributes(s);
  EXPECT_TRUE(s.node_features == d.node_features);
  EXPECT_EQ(d.edge_feature_size(), 0);
  EXPECT_EQ(d.edge_features.rows(), 7);
}

TEST_F(TuReader, OptionsSelectFiles) {
  write_tiny();
  TuOptions options;
  options.node_labels = false;
  options.edge_attributes = false;
  const GraphDataset d = load_tu(dir(), "tiny", options);
  ASSERT_EQ(d.num_features(), 1);
  EXPECT_THAT(row(d.node_features, 3), ElementsAre(40));
  EXPECT_FALSE(d.constant_node_feature);  // an attribute column, read from its file
  EXPECT_EQ(d.num_node_attributes(), 1);
  ASSERT_EQ(d.edge_feature_size(), 3);
  EXPECT_THAT(row(d.edge_features, 4), ElementsAre(1, 0, 0));

  // A disabled file is not read at all, so a broken one does not matter.
  write("_node_labels.txt", "garbage\n");
  options = TuOptions();
  options.node_labels = false;
  options.node_attributes = false;
  options.edge_labels = false;
  const GraphDataset bare = load_tu(dir(), "tiny", options);
  EXPECT_EQ(bare.num_features(), 1);
  EXPECT_EQ(bare.edge_feature_size(), 2);
}

TEST_F(TuReader, AcceptsCommaWithoutSpaceAndCrlf) {
  write_tiny();
  // NCI1 writes "8,1"; Windows tools write CRLF.
  write("_A.txt", "3,3\r\n2,3\r\n4,5\r\n3,2\r\n1,2\r\n2,1\r\n4,5\r\n\r\n");
  const GraphDataset d = load_tu(dir(), "tiny");
  EXPECT_THAT(d.graph.src(), ElementsAre(1, 0, 2, 1, 2, 3, 3));
}

// ---- Malformed input: every error names the file and the 1-based line. ----

TEST_F(TuReader, MissingRequiredFiles) {
  for (const char* required : {"_A.txt", "_graph_indicator.txt", "_graph_labels.txt"}) {
    write_tiny();
    remove(required);
    EXPECT_THAT(load_error(), AllOf(HasSubstr(path(required)), HasSubstr("cannot open"),
                                    HasSubstr("tiny_graph_indicator.txt")))
        << required;
  }
  EXPECT_THAT(test::error_message([&] { load_tu(dir() + "/no_such_dir", "tiny"); }),
              HasSubstr("not a directory"));
}

TEST_F(TuReader, WrongFieldCount) {
  EXPECT_THAT(error_with("_A.txt", "3, 3\n2, 3, 1\n"),
              AllOf(HasSubstr("tiny_A.txt:2:"), HasSubstr("expected 2 comma-separated values"),
                    HasSubstr("found 3")));
  EXPECT_THAT(error_with("_A.txt", "3 3\n"),
              AllOf(HasSubstr("tiny_A.txt:1:"), HasSubstr("found 1")));
  EXPECT_THAT(error_with("_graph_indicator.txt", "1\n1, 1\n"),
              AllOf(HasSubstr("tiny_graph_indicator.txt:2:"), HasSubstr("expected 1 value"),
                    HasSubstr("found 2")));
  EXPECT_THAT(error_with("_edge_labels.txt", "-2\n10\n7\n10\n7, 1\n7\n10\n"),
              AllOf(HasSubstr("tiny_edge_labels.txt:5:"), HasSubstr("edge label of edge 5")));
  EXPECT_THAT(error_with("_edge_attributes.txt", "1, 2\n1, 2\n1\n1, 2\n1, 2\n1, 2\n1, 2\n"),
              AllOf(HasSubstr("tiny_edge_attributes.txt:3:"), HasSubstr("expected 2"),
                    HasSubstr("found 1")));
}

TEST_F(TuReader, NonNumericValues) {
  EXPECT_THAT(error_with("_graph_indicator.txt", "1\n1\nx\n2\n2\n"),
              AllOf(HasSubstr("tiny_graph_indicator.txt:3:"), HasSubstr("graph id"),
                    HasSubstr("not an integer: 'x'")));
  EXPECT_THAT(error_with("_graph_labels.txt", "1\n1.5\n"),
              AllOf(HasSubstr("tiny_graph_labels.txt:2:"), HasSubstr("not an integer: '1.5'")));
  EXPECT_THAT(error_with("_A.txt", "3, 3\na, 3\n"),
              AllOf(HasSubstr("tiny_A.txt:2:"), HasSubstr("row"), HasSubstr("'a'")));
  EXPECT_THAT(error_with("_A.txt", "3, 3\n2, \n"),
              AllOf(HasSubstr("tiny_A.txt:2:"), HasSubstr("col"), HasSubstr("''")));
  EXPECT_THAT(error_with("_node_labels.txt", "3\n0\n3\nC\n0\n"),
              AllOf(HasSubstr("tiny_node_labels.txt:4:"), HasSubstr("node label")));
  EXPECT_THAT(error_with("_node_attributes.txt", "1\n2\n3\n4\n5x\n"),
              AllOf(HasSubstr("tiny_node_attributes.txt:5:"), HasSubstr("value 1"),
                    HasSubstr("not a number: '5x'")));
  EXPECT_THAT(error_with("_graph_labels.txt", "1\n99999999999999999999\n"),
              AllOf(HasSubstr("tiny_graph_labels.txt:2:"), HasSubstr("64-bit")));
}

TEST_F(TuReader, NonFiniteAttributes) {
  for (const char* bad : {"nan", "NaN", "inf", "-inf", "1e999"}) {
    const std::string attributes =
        std::string("1.5, -1\n2.5, ") + bad + "\n3, 3\n4, 4\n5, 5\n6, 6\n7, 7\n";
    EXPECT_THAT(error_with("_edge_attributes.txt", attributes),
                AllOf(HasSubstr("tiny_edge_attributes.txt:2:"), HasSubstr("value 2"),
                      HasSubstr("not a finite")))
        << bad;
  }
}

TEST_F(TuReader, NodeIdOutOfRange) {
  EXPECT_THAT(error_with("_A.txt", "3, 3\n6, 5\n"),
              AllOf(HasSubstr("tiny_A.txt:2:"), HasSubstr("node id 6 is out of range"),
                    HasSubstr("lists 5 nodes")));
  EXPECT_THAT(error_with("_A.txt", "1, 0\n"),
              AllOf(HasSubstr("tiny_A.txt:1:"), HasSubstr("node id 0 is out of range")));
}

TEST_F(TuReader, GraphIndicatorOrder) {
  EXPECT_THAT(error_with("_graph_indicator.txt", "1\n1\n2\n1\n2\n"),
              AllOf(HasSubstr("tiny_graph_indicator.txt:4:"), HasSubstr("non-decreasing")));
  EXPECT_THAT(error_with("_graph_indicator.txt", "1\n1\n1\n3\n3\n"),
              AllOf(HasSubstr("tiny_graph_indicator.txt:4:"), HasSubstr("skips graph 2")));
  EXPECT_THAT(error_with("_graph_indicator.txt", "2\n2\n2\n3\n3\n"),
              AllOf(HasSubstr("tiny_graph_indicator.txt:1:"), HasSubstr("must be 1")));
}

TEST_F(TuReader, EdgeBetweenGraphs) {
  EXPECT_THAT(error_with("_A.txt", "1, 2\n2, 1\n3, 4\n"),
              AllOf(HasSubstr("tiny_A.txt:3:"), HasSubstr("edge 3, 4 joins graph 1 (nodes 1..3)"),
                    HasSubstr("graph 2 (nodes 4..5)")));
}

TEST_F(TuReader, LineCountsDisagree) {
  // One edge label short, one too many.
  EXPECT_THAT(error_with("_edge_labels.txt", "-2\n10\n7\n10\n7\n7\n"),
              AllOf(HasSubstr("tiny_edge_labels.txt:7:"), HasSubstr("ends after 6 lines"),
                    HasSubstr("tiny_A.txt has 7")));
  EXPECT_THAT(error_with("_edge_labels.txt", "-2\n10\n7\n10\n7\n7\n10\n7\n"),
              AllOf(HasSubstr("tiny_edge_labels.txt:8:"), HasSubstr("one line too many"),
                    HasSubstr("expected 7")));
  EXPECT_THAT(error_with("_edge_attributes.txt", "1\n2\n3\n"),
              AllOf(HasSubstr("tiny_edge_attributes.txt:4:"), HasSubstr("ends after 3 lines")));
  // Node files against the graph indicator.
  EXPECT_THAT(error_with("_node_labels.txt", "3\n0\n3\n1\n0\n2\n"),
              AllOf(HasSubstr("tiny_node_labels.txt:6:"), HasSubstr("one line too many"),
                    HasSubstr("tiny_graph_indicator.txt")));
  EXPECT_THAT(error_with("_node_attributes.txt", "1\n2\n"),
              AllOf(HasSubstr("tiny_node_attributes.txt:3:"), HasSubstr("ends after 2 lines"),
                    HasSubstr("has 5 (one line per node)")));
  // Graph labels against the number of graphs.
  EXPECT_THAT(error_with("_graph_labels.txt", "1\n-1\n1\n"),
              AllOf(HasSubstr("tiny_graph_labels.txt:3:"), HasSubstr("one line too many")));
  EXPECT_THAT(error_with("_graph_labels.txt", "1\n"),
              AllOf(HasSubstr("tiny_graph_labels.txt:2:"), HasSubstr("ends after 1 lines")));
}

TEST_F(TuReader, EmptyFiles) {
  for (const char* suffix :
       {"_A.txt", "_graph_indicator.txt", "_graph_labels.txt", "_node_labels.txt",
        "_node_attributes.txt", "_edge_labels.txt", "_edge_attributes.txt"}) {
    for (const char* empty : {"", "\n\r\n  \n"}) {
      EXPECT_THAT(error_with(suffix, empty),
                  AllOf(HasSubstr("tiny" + std::string(suffix) + ":1:"), HasSubstr("empty file")))
          << suffix;
    }
  }
}

TEST_F(TuReader, BlankLineInsideFile) {
  // Line k describes node k: a blank line in the middle would shift every later node.
  EXPECT_THAT(error_with("_node_labels.txt", "3\n0\n\n3\n1\n0\n"),
              AllOf(HasSubstr("tiny_node_labels.txt:3:"), HasSubstr("blank line")));
}

// Random byte edits of the example: the reader must load it or throw gat::Error, never crash or
// throw anything else (the sanitizer build catches out-of-bounds reads).
TEST_F(TuReader, RandomCorruptionGivesErrorOrDataset) {
  const std::pair<const char*, const char*> files[] = {{"_A.txt", kA},
                                                       {"_graph_indicator.txt", kIndicator},
                                                       {"_graph_labels.txt", kGraphLabels},
                                                       {"_node_labels.txt", kNodeLabels},
                                                       {"_node_attributes.txt", kNodeAttributes},
                                                       {"_edge_labels.txt", kEdgeLabels},
                                                       {"_edge_attributes.txt", kEdgeAttributes}};
  const char alphabet[] = {',', ' ', '\n', '\r', '0', '1', '5', '.', '-', 'e', 'n', '\0', '\xff'};
  std::mt19937 rng(2024);
  int loaded = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const std::size_t target = rng() % 7;
    std::string text = files[target].second;
    test::random_edits(text, rng, alphabet);
    // A fresh name per trial: creating files is much cheaper than truncating them on some file
    // systems.
    const std::string name = "t" + std::to_string(trial);
    for (std::size_t f = 0; f < 7; ++f) {
      write(files[f].first, f == target ? text : files[f].second, name);
    }
    try {
      const GraphDataset d = load_tu(dir(), name);
      EXPECT_EQ(d.node_features.rows(), d.num_nodes());
      EXPECT_EQ(d.edge_features.rows(), d.num_edges());
      EXPECT_EQ(static_cast<std::int64_t>(d.node_offsets.size()), d.num_graphs() + 1);
      ++loaded;
    } catch (const Error&) {
      // Expected for most edits.
    } catch (const std::exception& e) {
      ADD_FAILURE() << "trial " << trial << " threw a non-gat exception: " << e.what();
    }
  }
  EXPECT_GT(loaded, 0);  // some edits (e.g. in an attribute value) leave a valid dataset
}

// ---- Real data from ../shared/datasets, through $GAT_DATA_DIR. ----

// Counts from the files (wc -l) and their PROVENANCE.md.
struct RealStats {
  const char* name;
  std::int64_t graphs;
  NodeId nodes;
  EdgeId edges;
  std::int64_t node_labels;      // one-hot columns
  std::int64_t node_attributes;  // attribute columns
  std::int64_t edge_labels;
  std::vector<std::string> classes;
  std::vector<std::int64_t> class_counts;
};

void check_real(const std::string& root, const RealStats& s) {
  SCOPED_TRACE(s.name);
  const GraphDataset d = load_tu(root + "/" + s.name, s.name);
  EXPECT_EQ(d.num_graphs(), s.graphs);
  EXPECT_EQ(d.num_nodes(), s.nodes);
  EXPECT_EQ(d.num_edges(), s.edges);
  EXPECT_EQ(static_cast<std::int64_t>(d.node_label_values.size()), s.node_labels);
  EXPECT_EQ(d.num_features(), s.node_labels + s.node_attributes);
  EXPECT_EQ(d.edge_feature_size(), s.edge_labels);
  EXPECT_EQ(d.class_names, s.classes);
  std::vector<std::int64_t> counts(d.class_names.size(), 0);
  for (const auto c : d.labels) ++counts[c];
  EXPECT_EQ(counts, s.class_counts);
  EXPECT_EQ(d.graph.num_self_loops(), 0);
  ASSERT_EQ(static_cast<std::int64_t>(d.node_offsets.size()), s.graphs + 1);
  EXPECT_EQ(d.node_offsets.back(), s.nodes);
  // Every slot stays inside its graph (the reader checked it; the CSR must agree).
  const auto dst = d.graph.dst();
  for (std::int64_t g = 0; g < d.num_graphs(); ++g) {
    for (EdgeId p = d.graph.row_ptr()[d.node_offsets[g]];
         p < d.graph.row_ptr()[d.node_offsets[g + 1]]; ++p) {
      ASSERT_GE(d.graph.src()[p], d.node_offsets[g]);
      ASSERT_LT(d.graph.src()[p], d.node_offsets[g + 1]);
      ASSERT_GE(dst[p], d.node_offsets[g]);
    }
  }
}

TEST_F(TuReader, RealMutagAndPtc) {
  GAT_REQUIRE_REAL_DATA(root);
  check_real(root, {"MUTAG", 188, 3371, 7442, 7, 0, 4, {"-1", "1"}, {63, 125}});
  check_real(root, {"PTC_MR", 344, 4915, 10108, 18, 0, 4, {"-1", "1"}, {192, 152}});
}

TEST_F(TuReader, RealLargerSets) {
  GAT_REQUIRE_REAL_DATA(root);
  check_real(root, {"Mutagenicity", 4337, 131488, 266894, 14, 0, 3, {"0", "1"}, {2401, 1936}});
  check_real(root, {"PROTEINS", 1113, 43471, 162088, 3, 1, 0, {"1", "2"}, {663, 450}});
  check_real(root, {"ENZYMES",
                    600,
                    19580,
                    74564,
                    3,
                    18,
                    0,
                    {"1", "2", "3", "4", "5", "6"},
                    {100, 100, 100, 100, 100, 100}});
  check_real(root, {"NCI1", 4110, 122747, 265506, 37, 0, 0, {"0", "1"}, {2053, 2057}});
}

// MUTAG's edge features must follow each line of _A.txt into its slot. An independent reading
// of the two files: for each line "u, v" with bond label b, CSR row v must hold source u in a
// slot whose one-hot is b (MUTAG has no duplicate edges, so the slot is unique).
TEST_F(TuReader, RealMutagEdgeFeaturesFollowEdges) {
  GAT_REQUIRE_REAL_DATA(root);
  const std::string base = root + "/MUTAG/MUTAG";
  const GraphDataset d = load_tu(root + "/MUTAG", "MUTAG");
  ASSERT_THAT(d.edge_label_values, ElementsAre(0, 1, 2, 3));
  std::ifstream a(base + "_A.txt");
  std::ifstream labels(base + "_edge_labels.txt");
  std::string line;
  std::int64_t checked = 0;
  std::vector<std::int64_t> bond_counts(4, 0);
  while (std::getline(a, line)) {
    int u = 0;
    int v = 0;
    char comma = 0;
    std::istringstream(line) >> u >> comma >> v;
    int bond = -1;
    labels >> bond;
    ASSERT_TRUE(bond >= 0 && bond < 4) << line;
    ++bond_counts[bond];
    int found = 0;
    for (EdgeId p = d.graph.row_ptr()[v - 1]; p < d.graph.row_ptr()[v]; ++p) {
      if (d.graph.src()[p] != u - 1) continue;
      ++found;
      for (int b = 0; b < 4; ++b) ASSERT_EQ(d.edge_features(p, b), b == bond ? 1.0f : 0.0f);
    }
    ASSERT_EQ(found, 1) << "line " << checked + 1;
    ++checked;
  }
  EXPECT_EQ(checked, 7442);
  EXPECT_THAT(bond_counts, ElementsAre(4708, 2008, 724, 2));
  // The one-hot column sums agree with the file.
  for (int b = 0; b < 4; ++b) EXPECT_EQ(d.edge_features.col(b).sum(), bond_counts[b]);
}

}  // namespace
}  // namespace gat
