#include "gat/io/node_data.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/core/sparse_matrix.hpp"
#include "gat/io/linqs.hpp"
#include "gat/layers/gat_model.hpp"
#include "gat/train/infer.hpp"
#include "gat/train/trainer.hpp"
#include "support/data.hpp"
#include "support/io_fixtures.hpp"
#include "support/temp_dir.hpp"

namespace gat {
namespace {

using test::write_gz;

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A float32, C-order .npy file of a row-major matrix (format 1.0: header padded with spaces
// and a newline to a multiple of 64 bytes, as numpy writes it).
void write_npy(const std::string& path, const Matrix<float>& m) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" +
                       std::to_string(m.rows()) + ", " + std::to_string(m.cols()) + "), }";
  const std::size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  out.write("\x93NUMPY\x01\x00", 8);
  const auto len = static_cast<std::uint16_t>(header.size());
  const char len_bytes[2] = {static_cast<char>(len & 0xff), static_cast<char>(len >> 8)};
  out.write(len_bytes, 2);
  out << header;
  out.write(reinterpret_cast<const char*>(m.data()),
            static_cast<std::streamsize>(sizeof(float) * static_cast<std::size_t>(m.size())));
  ASSERT_TRUE(out.good()) << path;
}

std::string error_of(const NodeDataFiles& files) {
  return test::error_message([&] { load_node_data(files); });
}

// ---- Cora as a user's own files --------------------------------------------------------------

// Cora written out as a user would hold it: an edge CSV with a header, the (row-normalised)
// features as a float32 .npy, labels as "node,label" CSV and the public split as a split file.
// Loading those must give the LINQS dataset exactly, and training both the same logits.
TEST(NodeData, CoraFromArraysTrainsToTheSameLogits) {
  const Dataset linqs = load_linqs(test::bundled_data_dir() + "/cora", "cora");
  test::TempDir tmp("node_data");

  std::ostringstream edges;
  edges << "source,target\n";
  const CsrGraph& g = linqs.graph;
  for (NodeId i = 0; i < g.num_nodes(); ++i) {
    for (EdgeId k = g.row_ptr()[i]; k < g.row_ptr()[i + 1]; ++k) {
      edges << g.src()[k] << "," << i << "\n";
    }
  }
  tmp.write("cora_edges.csv", edges.str());
  write_npy(tmp.path("features.npy"), to_dense(linqs.features));
  std::ostringstream labels;
  labels << "node,label\n";
  for (NodeId i = 0; i < linqs.num_nodes(); ++i) {
    labels << i << "," << linqs.class_names[linqs.labels[i]] << "\n";
  }
  tmp.write("labels.csv", labels.str());
  std::ostringstream split;
  for (const auto& [name, list] : {std::pair{"train", &linqs.train}, std::pair{"val", &linqs.val},
                                   std::pair{"test", &linqs.test}}) {
    for (const NodeId v : *list) split << v << "\t" << name << "\n";
  }
  tmp.write("cora.split", split.str());

  NodeDataFiles files;
  files.edges = tmp.path("cora_edges.csv");
  files.features = tmp.path("features.npy");
  files.labels = tmp.path("labels.csv");
  files.split = tmp.path("cora.split");
  NodeDataReport report;
  const Dataset mine = load_node_data(files, &report);

  EXPECT_EQ(mine.name, "cora_edges");
  ASSERT_EQ(mine.num_nodes(), linqs.num_nodes());
  EXPECT_EQ(mine.graph.row_ptr(), linqs.graph.row_ptr());
  EXPECT_EQ(mine.graph.src(), linqs.graph.src());
  EXPECT_TRUE(report.sparse_features);  // 1.3 % non-zero: stored sparse, as LINQS stores it
  EXPECT_EQ(mine.features.row_ptr, linqs.features.row_ptr);
  EXPECT_EQ(mine.features.col, linqs.features.col);
  EXPECT_EQ(mine.features.val, linqs.features.val);
  EXPECT_EQ(mine.labels, linqs.labels);
  EXPECT_EQ(mine.class_names, linqs.class_names);
  EXPECT_EQ(mine.train, linqs.train);
  EXPECT_EQ(mine.val, linqs.val);
  EXPECT_EQ(mine.test, linqs.test);
  EXPECT_EQ(report.edges_read, linqs.graph.num_edges());
  EXPECT_EQ(report.duplicates_dropped, 0);

  GatModelOptions options;
  options.in_features = static_cast<int>(linqs.num_features());
  options.num_classes = linqs.num_classes();
  TrainOptions train;
  train.epochs = 5;
  train.seed = 3;
  GatModel<float> a(options, 1);
  GatModel<float> b(options, 1);
  const TrainResult ra = train_node_classifier(a, linqs, train);
  const TrainResult rb = train_node_classifier(b, mine, train);
  ASSERT_EQ(ra.history.size(), rb.history.size());
  for (std::size_t e = 0; e < ra.history.size(); ++e) {
    EXPECT_EQ(ra.history[e].train_loss, rb.history[e].train_loss) << "epoch " << e + 1;
    EXPECT_EQ(ra.history[e].val_loss, rb.history[e].val_loss) << "epoch " << e + 1;
  }
  const Inference ia = infer(a, linqs.graph, linqs.feature_view());
  const Inference ib = infer(b, mine.graph, mine.feature_view());
  EXPECT_TRUE(ia.logits == ib.logits);
  EXPECT_TRUE(ia.embedding == ib.embedding);
}

// ---- Node ids and keys -----------------------------------------------------------------------

TEST(NodeData, StringIdsWithKeyedFiles) {
  test::TempDir tmp("node_data");
  tmp.write("g.tsv", "# a comment\nalice\tbob\nbob\tcarol\ncarol\talice\nalice\tbob\n");
  tmp.write("x.csv", "id,f0,f1\ncarol,0.5,1.5\nalice,1,0\nbob,0,2\n");
  tmp.write("y.csv", "carol,Student\nalice,Professor\nbob,Student\n");
  tmp.write("s.txt", "alice train\nbob val\ncarol test\n");
  NodeDataFiles files;
  files.edges = tmp.path("g.tsv");
  files.features = tmp.path("x.csv");
  files.labels = tmp.path("y.csv");
  files.split = tmp.path("s.txt");
  files.undirected = true;
  NodeDataReport report;
  const Dataset d = load_node_data(files, &report);
  EXPECT_THAT(d.node_names, ElementsAre("alice", "bob", "carol"));  // first appearance
  EXPECT_EQ(d.graph.num_edges(), 6);
  EXPECT_EQ(report.edges_read, 4);
  EXPECT_EQ(report.edges.duplicates, 1);
  EXPECT_EQ(report.duplicates_dropped, 2);  // alice→bob twice, and its reverse twice
  EXPECT_THAT(d.class_names, ElementsAre("Professor", "Student"));
  EXPECT_THAT(d.labels, ElementsAre(0, 1, 1));
  // 3 × 2 with 5 non-zeros: dense (24 B) is smaller than sparse (8·5 + 8·4 = 72 B).
  EXPECT_FALSE(report.sparse_features);
  ASSERT_TRUE(d.has_dense_features());
  EXPECT_EQ(d.dense_features(0, 0), 1.0f);
  EXPECT_EQ(d.dense_features(2, 1), 1.5f);
  EXPECT_THAT(d.train, ElementsAre(0));
  EXPECT_THAT(d.val, ElementsAre(1));
  EXPECT_THAT(d.test, ElementsAre(2));
}

TEST(NodeData, UnkeyedArraysNumberNodesById) {
  test::TempDir tmp("node_data");
  // Ids 0..5 with 1 and 4 never in an edge: the arrays' 6 rows make them isolated nodes.
  tmp.write("g.txt", "5 0\n0 3\n2 5\n");
  Matrix<float> x(6, 2);
  x << 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 1;
  write_npy(tmp.path("x.npy"), x);
  tmp.write("y.txt", "2\n0\n1\n0\n2\nnan\n");
  NodeDataFiles files;
  files.edges = tmp.path("g.txt");
  files.features = tmp.path("x.npy");
  files.labels = tmp.path("y.txt");
  files.split = "random:1,1,1";
  files.seed = 4;
  NodeDataReport report;
  const Dataset d = load_node_data(files, &report);
  ASSERT_EQ(d.num_nodes(), 6);
  EXPECT_EQ(report.isolated, 2);
  EXPECT_EQ(d.graph.in_degree(0), 1);
  EXPECT_EQ(d.graph.in_degree(5), 1);
  EXPECT_THAT(d.node_names, ElementsAre("0", "1", "2", "3", "4", "5"));
  EXPECT_THAT(d.labels, ElementsAre(2, 0, 1, 0, 2, -1));  // "nan": no label
  EXPECT_EQ(report.unlabelled, 1);
  EXPECT_THAT(d.class_names, ElementsAre("0", "1", "2"));
  EXPECT_EQ(d.train.size(), 3u);  // one per class, never node 5
  for (const auto* list : {&d.train, &d.val, &d.test}) {
    for (const NodeId v : *list) EXPECT_NE(v, 5);
  }
  // The same seed draws the same split; another seed may not.
  const Dataset again = load_node_data(files);
  EXPECT_EQ(again.train, d.train);
  EXPECT_EQ(again.val, d.val);
}

TEST(NodeData, IntegerIdsWithKeyedTextAndNormalisation) {
  test::TempDir tmp("node_data");
  tmp.write("g.csv", "u,v\n100,200\n200,300\n300,100\n");
  tmp.write("x.csv", "300,1,3\n100,2,2\n200,0,4\n");
  tmp.write("y.csv", "node,label\n200,1\n300,0\n");
  NodeDataFiles files;
  files.edges = tmp.path("g.csv");
  files.features = tmp.path("x.csv");
  files.keyed_features = true;
  files.labels = tmp.path("y.csv");
  files.normalize_features = true;
  files.split = "random:1,0,0";
  const Dataset d = load_node_data(files);
  EXPECT_THAT(d.node_names, ElementsAre("100", "200", "300"));  // ascending integer ids
  ASSERT_TRUE(d.has_dense_features());
  EXPECT_EQ(d.dense_features(0, 0), 0.5f);
  EXPECT_EQ(d.dense_features(2, 1), 0.75f);
  EXPECT_THAT(d.labels, ElementsAre(-1, 1, 0));
  EXPECT_THAT(d.train, ElementsAre(1, 2));
}

TEST(NodeData, NoFeaturesNoLabels) {
  test::TempDir tmp("node_data");
  tmp.write("g.txt", "0 1\n1 2\n");
  NodeDataFiles files;
  files.edges = tmp.path("g.txt");
  NodeDataReport report;
  const Dataset d = load_node_data(files, &report);
  EXPECT_EQ(d.num_nodes(), 3);
  EXPECT_EQ(d.num_features(), 0);
  EXPECT_EQ(d.features.rows, 3);
  EXPECT_THAT(d.labels, ElementsAre(-1, -1, -1));
  EXPECT_TRUE(d.train.empty() && d.val.empty() && d.test.empty());
  EXPECT_EQ(report.split, "none (no labels)");
}

TEST(NodeData, Errors) {
  test::TempDir tmp("node_data");
  tmp.write("str.txt", "a b\nb c\n");
  tmp.write("int.txt", "0 1\n1 7\n");
  Matrix<float> x = Matrix<float>::Ones(3, 2);
  write_npy(tmp.path("x3.npy"), x);
  tmp.write("y4.txt", "0\n1\n0\n1\n");
  tmp.write("keyed_x.csv", "a,1\nb,2\nz,3\n");
  tmp.write("short_x.csv", "a,1\nb,2\n");
  tmp.write("split.txt", "a train\nq test\n");
  tmp.write("labels.csv", "a,x\nb,y\n");

  NodeDataFiles f;
  f.edges = tmp.path("str.txt");
  f.features = tmp.path("x3.npy");
  EXPECT_THAT(error_of(f), HasSubstr("node ids are strings"));

  f.edges = tmp.path("int.txt");
  EXPECT_THAT(error_of(f), HasSubstr("node id 7 is outside [0, 3)"));

  f.edges = tmp.path("int.txt");
  f.features = tmp.path("x3.npy");
  f.labels = tmp.path("y4.txt");
  EXPECT_THAT(error_of(f), HasSubstr("4 rows, but " + tmp.path("x3.npy") + " has 3"));

  f = {};
  f.edges = tmp.path("str.txt");
  f.features = tmp.path("keyed_x.csv");
  EXPECT_THAT(error_of(f), HasSubstr("keyed_x.csv:3: node 'z' is not in the edge list"));
  f.features = tmp.path("short_x.csv");
  EXPECT_THAT(error_of(f), HasSubstr("node 'c' of the edge list has no feature row"));

  f = {};
  f.edges = tmp.path("str.txt");
  f.labels = tmp.path("labels.csv");
  f.split = tmp.path("split.txt");
  EXPECT_THAT(error_of(f), HasSubstr(tmp.path("split.txt") + ":2: unknown node 'q'"));
  f.split = "random:2,0,0";
  EXPECT_THAT(error_of(f), HasSubstr("class 0 has 1 node, fewer than the 2"));
  f.split = "random:x";
  EXPECT_THAT(error_of(f), HasSubstr("random:x"));

  f = {};
  f.edges = tmp.path("str.txt");
  f.split = "random";
  EXPECT_THAT(error_of(f), HasSubstr("a random split needs labels"));
  f.edges = tmp.path("missing.txt");
  EXPECT_THAT(error_of(f), HasSubstr("missing.txt"));
}

// What the review of the first version found: each was silently wrong or refused a common file.
TEST(NodeData, EdgeCases) {
  test::TempDir tmp("node_data");
  NodeDataFiles f;
  // A NaN in the first row is refused as data, not taken for a header and dropped; the node
  // loader does not read edge values (node models use none), and keeps the edge.
  tmp.write("nan.txt", "1 2 nan\n2 3 0.5\n");
  EXPECT_THAT(test::error_message([&] { read_edge_list(tmp.path("nan.txt")); }),
              HasSubstr("nan.txt:1: column 3"));
  f.edges = tmp.path("nan.txt");
  NodeDataReport nan_report;
  EXPECT_EQ(load_node_data(f, &nan_report).graph.num_edges(), 2);
  EXPECT_EQ(nan_report.value_columns, 1);
  tmp.write("g.txt", "0 1\n1 2\n2 3\n3 0\n");
  tmp.write("x_nan.csv", "0.1,nan\n0.2,0.3\n0.5,0.5\n0.1,0.1\n");
  f.edges = tmp.path("g.txt");
  f.features = tmp.path("x_nan.csv");
  EXPECT_THAT(error_of(f), HasSubstr("x_nan.csv:1: column 2 is not a finite number"));

  // 1-based integer labels: class 0 has no node, and the default-style draw skips it.
  tmp.write("y1.txt", "1\n2\n1\n2\n");
  f = {};
  f.edges = tmp.path("g.txt");
  f.labels = tmp.path("y1.txt");
  f.split = "random:1,1,1";
  Dataset d = load_node_data(f);
  EXPECT_EQ(d.num_classes(), 3);
  EXPECT_EQ(d.train.size(), 2u);
  // The default split is scaled down to a small graph (4 labelled nodes, 2 per class): 1 per
  // class, then a third of the other 2 for validation (0) and the rest for test.
  f.split = "";
  NodeDataReport scaled;
  d = load_node_data(f, &scaled);
  EXPECT_EQ(d.train.size(), 2u);
  EXPECT_EQ(d.val.size(), 0u);
  EXPECT_EQ(d.test.size(), 2u);
  EXPECT_THAT(scaled.split, HasSubstr("random:1,0,2 (seed 0; the default random:20,500,1000 "
                                      "scaled to the labelled nodes)"));
  f.split = "none";
  d = load_node_data(f);
  EXPECT_TRUE(d.train.empty() && d.val.empty() && d.test.empty());
  // A split file whose name starts with "random" is a file.
  tmp.write("random_split.txt", "0 train\n1 val\n2 test\n");
  f.split = tmp.path("random_split.txt");
  EXPECT_THAT(load_node_data(f).train, ElementsAre(0));

  // An index-list folder only when ids are 0..N-1.
  tmp.write("g1.txt", "1 2\n2 3\n");
  std::filesystem::create_directories(tmp.dir() / "idx");
  tmp.write("idx/train.csv", "0\n");
  tmp.write("idx/valid.csv", "1\n");
  tmp.write("idx/test.csv", "2\n");
  f = {};
  f.edges = tmp.path("g1.txt");
  f.labels = tmp.path("y1.txt");
  tmp.write("y_keyed.txt", "1,0\n2,1\n3,0\n");
  f.labels = tmp.path("y_keyed.txt");
  f.split = tmp.path("idx");
  EXPECT_THAT(error_of(f), HasSubstr("the edge list's ids are not 0..N-1"));

  // --normalize refuses negative features (a row summing to about zero would blow up).
  Matrix<float> signed_x(4, 2);
  signed_x << 1, -1, 0.5, 0.5, 1, 1, 2, 2;
  write_npy(tmp.path("signed.npy"), signed_x);
  f = {};
  f.edges = tmp.path("g.txt");
  f.features = tmp.path("signed.npy");
  f.normalize_features = true;
  EXPECT_THAT(error_of(f), HasSubstr("needs non-negative features"));

  // Why ids are strings: the first one that is not an integer, with its line.
  tmp.write("mixed.txt", "0 1\n1 NULL\n");
  f = {};
  f.edges = tmp.path("mixed.txt");
  f.features = tmp.path("signed.npy");
  EXPECT_THAT(error_of(f), HasSubstr("line 2 has the id 'NULL', not an integer"));
}

// ---- OGB -------------------------------------------------------------------------------------

TEST(NodeData, OgbLayout) {
  test::TempDir tmp("node_data");
  std::filesystem::create_directories(tmp.dir() / "ogbn-toy" / "raw");
  std::filesystem::create_directories(tmp.dir() / "ogbn-toy" / "split" / "time");
  const std::string root = tmp.path("ogbn-toy");
  write_gz(root + "/raw/edge.csv.gz", "0,1\n1,2\n3,0\n");
  write_gz(root + "/raw/num-node-list.csv.gz", "5\n");
  write_gz(root + "/raw/node-feat.csv.gz", "0.1,0.2\n0.3,0.4\n0.5,0.6\n0.7,0.8\n0.9,1.0\n");
  write_gz(root + "/raw/node-label.csv.gz", "nan\n3\n1\n0\n2\n");
  write_gz(root + "/split/time/train.csv.gz", "1\n2\n");
  write_gz(root + "/split/time/valid.csv.gz", "3\n");
  write_gz(root + "/split/time/test.csv.gz", "4\n");
  NodeDataReport report;
  OgbOptions undirected;
  undirected.undirected = true;
  const Dataset d = load_ogb(root, undirected, &report);
  EXPECT_EQ(d.name, "ogbn-toy");
  EXPECT_EQ(d.num_nodes(), 5);
  EXPECT_EQ(d.graph.num_edges(), 6);
  EXPECT_EQ(report.isolated, 1);  // node 4
  ASSERT_TRUE(d.has_dense_features());
  EXPECT_FLOAT_EQ(d.dense_features(4, 1), 1.0f);
  EXPECT_THAT(d.labels, ElementsAre(-1, 3, 1, 0, 2));
  EXPECT_EQ(d.num_classes(), 4);
  EXPECT_THAT(d.train, ElementsAre(1, 2));
  EXPECT_THAT(d.val, ElementsAre(3));
  EXPECT_THAT(d.test, ElementsAre(4));

  // A split node without a label, an index out of range, and a missing folder are errors.
  write_gz(root + "/split/time/test.csv.gz", "0\n");
  EXPECT_THAT(test::error_message([&] { load_ogb(root); }), HasSubstr("has no label"));
  write_gz(root + "/split/time/test.csv.gz", "5\n");
  EXPECT_THAT(test::error_message([&] { load_ogb(root); }), HasSubstr("outside [0, 5)"));
  OgbOptions normalized;
  normalized.normalize_features = true;
  write_gz(root + "/split/time/test.csv.gz", "4\n");
  const Dataset n = load_ogb(root, normalized);
  EXPECT_FLOAT_EQ(n.dense_features(4, 0), 0.9f / 1.9f);
  EXPECT_THAT(test::error_message([&] { load_ogb(tmp.path("nothing")); }),
              HasSubstr("not an OGB dataset folder"));
}

}  // namespace
}  // namespace gat
