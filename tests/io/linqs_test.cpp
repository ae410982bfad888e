#include "gat/io/linqs.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/core/sparse_matrix.hpp"
#include "support/data.hpp"
#include "support/io_fixtures.hpp"
#include "support/temp_dir.hpp"

namespace gat::detail {
// Defined in lib/src/io/linqs.cpp without a public header; see NodeCountBeyond32Bits.
void check_linqs_node_count(std::int64_t count, const std::string& path, std::int64_t line);
}  // namespace gat::detail

namespace gat {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A tiny dataset exercising what real LINQS files do: string ids, neither contiguous nor sorted,
// string labels, real values written in several ways, tabs and spaces, a CRLF line, blank lines.
// Node index = order of appearance:
//   0 "p31"      Neural_Networks   [1    0    0.5  0.5]
//   1 "1107041"  Theory            [0    0    0    2  ]
//   2 "p7"       class10           [0.25 0.25 0    0  ]
//   3 "42"       class2            [0    3    0    1  ]
//   4 "zz"       Theory            [0    0    0    0  ]
// Natural class order: Neural_Networks < Theory < class2 < class10 (upper case sorts first,
// and 2 < 10 numerically), so the labels are 0, 1, 3, 2, 1.
constexpr const char* kTinyContent =
    "p31\t1\t0\t0.5\t5e-1\tNeural_Networks\n"
    "1107041\t0\t-0\t0.0\t+2\tTheory\r\n"
    "\n"
    "p7 0.25  .25 0 0 class10\n"
    "  \t \n"
    "42\t0\t3\t0\t1.0\tclass2\n"
    "zz\t0\t0\t0\t0\tTheory";  // no final newline

// Citations "cited citing". Undirected edges after dedupe:
//
//    p31(0) --- 1107041(1)       p7(2) (+ a self citation)
//      |                           |
//     42(3) -----------------------+          zz(4): no edges
//
// Slots: 2 per undirected edge (3 edges) + 1 for the self loop = 7.
constexpr const char* kTinyCites =
    "1107041\tp31\n"
    "p31\t1107041\n"  // the same edge, reversed
    "1107041\tp31\n"  // the same edge again
    "p7\t42\n"
    "p7\tp7\n"      // self citation, kept once
    "99999\tp31\n"  // line 6: cites a paper absent from .content
    "\n"
    "42 p31\r\n";

constexpr const char* kTinySplit =
    "42\ttrain\n"
    "p31\ttrain\n"
    "zz\ttest\n"
    "1107041\tval\n";

// Each test gets its own directory, so tests may run in parallel processes (ctest -j).
class LinqsReader : public ::testing::Test {
 protected:
  std::string dir() const { return tmp_.dir().string(); }

  // Writes name.content, name.cites and name.split.
  void write_dataset(const std::string& name, const std::string& content, const std::string& cites,
                     const std::string& split) const {
    tmp_.write(name + ".content", content);
    tmp_.write(name + ".cites", cites);
    tmp_.write(name + ".split", split);
  }
  void write_tiny(const std::string& content = kTinyContent, const std::string& cites = kTinyCites,
                  const std::string& split = kTinySplit) const {
    write_dataset("tiny", content, cites, split);
  }

  // The message of the gat::Error that loading throws, or a note saying what happened instead.
  std::string load_error(const LinqsOptions& options = {}) const {
    return test::error_message([&] { load_linqs(dir(), "tiny", options); });
  }

 private:
  test::TempDir tmp_{"gat_linqs_test"};
};

TEST_F(LinqsReader, LoadsTinyDatasetWithStringIds) {
  write_tiny();
  LinqsOptions options;
  options.normalize_features = false;
  LinqsReport report;
  const Dataset d = load_linqs(dir(), "tiny", options, &report);

  EXPECT_EQ(d.name, "tiny");
  EXPECT_EQ(d.num_nodes(), 5);
  EXPECT_THAT(d.node_names, ElementsAre("p31", "1107041", "p7", "42", "zz"));
  EXPECT_THAT(d.class_names, ElementsAre("Neural_Networks", "Theory", "class2", "class10"));
  EXPECT_THAT(d.labels, ElementsAre(0, 1, 3, 2, 1));
  EXPECT_EQ(d.num_classes(), 4);

  // Graph, keyed by destination, sources ascending within each row.
  EXPECT_EQ(d.graph.num_edges(), 7);
  EXPECT_EQ(d.graph.num_self_loops(), 1);
  EXPECT_EQ(report.skipped_citations, 1);  // the citation of unknown node 99999
  EXPECT_THAT(d.graph.row_ptr(), ElementsAre(0, 2, 3, 5, 7, 7));
  EXPECT_THAT(d.graph.src(), ElementsAre(1, 3, 0, 2, 3, 0, 2));

  // Raw features: only non-zeros ("-0" and "0.0" are zeros), ascending columns.
  EXPECT_EQ(d.num_features(), 4);
  EXPECT_EQ(d.features.rows, 5);
  EXPECT_THAT(d.features.row_ptr, ElementsAre(0, 3, 4, 6, 8, 8));
  EXPECT_THAT(d.features.col, ElementsAre(0, 2, 3, 3, 0, 1, 1, 3));
  EXPECT_THAT(d.features.val, ElementsAre(1.0f, 0.5f, 0.5f, 2.0f, 0.25f, 0.25f, 3.0f, 1.0f));
  EXPECT_NO_THROW(validate(d.features));

  EXPECT_THAT(d.train, ElementsAre(0, 3));
  EXPECT_THAT(d.val, ElementsAre(1));
  EXPECT_THAT(d.test, ElementsAre(4));
}

TEST_F(LinqsReader, NormalizesFeatureRowsByDefault) {
  write_tiny();
  const Dataset d = load_linqs(dir(), "tiny");
  // Row sums 2, 2, 0.5, 4 and 0; the all-zero row stays empty rather than becoming NaN.
  EXPECT_THAT(d.features.row_ptr, ElementsAre(0, 3, 4, 6, 8, 8));
  EXPECT_THAT(d.features.col, ElementsAre(0, 2, 3, 3, 0, 1, 1, 3));
  EXPECT_THAT(d.features.val, ElementsAre(0.5f, 0.25f, 0.25f, 1.0f, 0.5f, 0.5f, 0.75f, 0.25f));
}

TEST_F(LinqsReader, StrictModeRejectsUnknownCitation) {
  write_tiny();
  LinqsOptions options;
  options.strict = true;
  EXPECT_THAT(load_error(options),
              AllOf(HasSubstr("tiny.cites:6:"), HasSubstr("unknown node id '99999'")));
  // A report passed in is reset, not left holding a previous load's count, when loading throws.
  LinqsReport report;
  report.skipped_citations = 7;
  EXPECT_THROW(load_linqs(dir(), "tiny", options, &report), Error);
  EXPECT_EQ(report.skipped_citations, 0);
}

TEST_F(LinqsReader, ClassNamesInNaturalOrder) {
  write_tiny(
      "a 1 class10\n"
      "b 1 class2\n"
      "c 1 class0\n"
      "d 1 class1\n"
      "e 1 item007\n"
      "f 1 item7\n"
      "g 1 Alpha\n"
      "h 1 beta\n",
      "", "");
  const Dataset d = load_linqs(dir(), "tiny");
  // "item007" and "item7" are equal numerically and fall back to byte order ('0' < '7').
  EXPECT_THAT(d.class_names, ElementsAre("Alpha", "beta", "class0", "class1", "class2", "class10",
                                         "item007", "item7"));
  EXPECT_THAT(d.labels, ElementsAre(5, 4, 2, 3, 6, 7, 0, 1));
  EXPECT_EQ(d.graph.num_edges(), 0);
  EXPECT_TRUE(d.train.empty() && d.val.empty() && d.test.empty());
}

TEST_F(LinqsReader, ReadsScientificAndTinyValues) {
  write_tiny("n 1e-3 -2.5E+1 1e-50 7 c\n", "", "");
  LinqsOptions options;
  options.normalize_features = false;
  const Dataset d = load_linqs(dir(), "tiny", options);
  // 1e-50 is below float range: it rounds to zero and is not stored, rather than being an error.
  EXPECT_THAT(d.features.col, ElementsAre(0, 1, 3));
  EXPECT_THAT(d.features.val, ElementsAre(1e-3f, -25.0f, 7.0f));
}

// ---- Malformed input: every error names the file and the 1-based line. ----

TEST_F(LinqsReader, ContentTooFewColumns) {
  write_tiny("a 1 0 x\nb 1 0 x\n\nc 1 x\n", "", "");
  EXPECT_THAT(load_error(),
              AllOf(HasSubstr("tiny.content:4:"), HasSubstr("expected 4 columns, found 3")));
}

TEST_F(LinqsReader, ContentTooManyColumns) {
  write_tiny("a 1 0 x\nb 1 0 1 1 x\n", "", "");
  EXPECT_THAT(load_error(),
              AllOf(HasSubstr("tiny.content:2:"), HasSubstr("expected 4 columns, found 6")));
}

TEST_F(LinqsReader, ContentLineWithOnlyAnId) {
  write_tiny("a 1 0 x\nb\n", "", "");
  EXPECT_THAT(load_error(),
              AllOf(HasSubstr("tiny.content:2:"), HasSubstr("expected 4 columns, found 1")));
  write_tiny("a\n", "", "");
  EXPECT_THAT(load_error(), AllOf(HasSubstr("tiny.content:1:"), HasSubstr("found 1 column")));
}

TEST_F(LinqsReader, ContentNonNumericValues) {
  // Each bad token sits on line 2, as feature 1 (column 3).
  for (const char* bad :
       {"abc", "1.5x", "0x1A", "nan", "inf", "-inf", "1e999", "--1", "+", "1,5"}) {
    write_tiny(std::string("a 0 0 x\nb 1 ") + bad + " x\n", "", "");
    EXPECT_THAT(load_error(), AllOf(HasSubstr("tiny.content:2:"), HasSubstr("column 3"),
                                    HasSubstr("not a finite number")))
        << "token " << bad;
  }
}

TEST_F(LinqsReader, ContentDuplicateNodeId) {
  write_tiny("p1 1 x\np2 1 x\r\np1 1 y\n", "", "");
  EXPECT_THAT(load_error(), AllOf(HasSubstr("tiny.content:3:"), HasSubstr("duplicate node id 'p1'"),
                                  HasSubstr("line 1")));
}

TEST_F(LinqsReader, ContentEmpty) {
  write_tiny("", "", "");
  EXPECT_THAT(load_error(), AllOf(HasSubstr("tiny.content:1:"), HasSubstr("no nodes")));
  write_tiny("\n \t\r\n\n", "", "");
  EXPECT_THAT(load_error(), AllOf(HasSubstr("tiny.content:1:"), HasSubstr("no nodes")));
}

TEST_F(LinqsReader, CitesWrongColumnCount) {
  write_tiny(kTinyContent, "p31 p7\np31 p7 42\n", "");
  EXPECT_THAT(load_error(), AllOf(HasSubstr("tiny.cites:2:"), HasSubstr("expected 2 columns"),
                                  HasSubstr("found 3")));
  write_tiny(kTinyContent, "\np31\n", "");
  EXPECT_THAT(load_error(), AllOf(HasSubstr("tiny.cites:2:"), HasSubstr("expected 2 columns"),
                                  HasSubstr("found 1")));
}

TEST_F(LinqsReader, SplitUnknownWord) {
  write_tiny(kTinyContent, kTinyCites, "p31 train\np7 training\n");
  EXPECT_THAT(load_error(),
              AllOf(HasSubstr("tiny.split:2:"), HasSubstr("unknown split 'training'")));
}

TEST_F(LinqsReader, SplitUnknownNode) {
  write_tiny(kTinyContent, kTinyCites, "p31 train\n\np8 val\n");
  EXPECT_THAT(load_error(), AllOf(HasSubstr("tiny.split:3:"), HasSubstr("unknown node id 'p8'")));
}

TEST_F(LinqsReader, SplitNodeListedTwice) {
  write_tiny(kTinyContent, kTinyCites, "p31 train\np7 val\np31 test\n");
  EXPECT_THAT(load_error(), AllOf(HasSubstr("tiny.split:3:"), HasSubstr("'p31'"),
                                  HasSubstr("already in a split (line 1)")));
  // Twice in the same split is refused as well.
  write_tiny(kTinyContent, kTinyCites, "p31 train\np31 train\n");
  EXPECT_THAT(load_error(), HasSubstr("tiny.split:2:"));
}

TEST_F(LinqsReader, SplitWrongColumnCount) {
  write_tiny(kTinyContent, kTinyCites, "p31 train\np7\n");
  EXPECT_THAT(load_error(), AllOf(HasSubstr("tiny.split:2:"), HasSubstr("found 1")));
  write_tiny(kTinyContent, kTinyCites, "p31 train extra\n");
  EXPECT_THAT(load_error(), AllOf(HasSubstr("tiny.split:1:"), HasSubstr("found 3")));
}

TEST_F(LinqsReader, MissingFiles) {
  for (const char* missing : {"tiny.content", "tiny.cites", "tiny.split"}) {
    write_tiny();
    std::filesystem::remove(std::filesystem::path(dir()) / missing);
    const std::string path = (std::filesystem::path(dir()) / missing).string();
    EXPECT_THAT(load_error(), AllOf(HasSubstr(path), HasSubstr("cannot open")));
  }
  EXPECT_THROW(load_linqs(dir() + "/no_such_dir", "tiny"), Error);
}

TEST_F(LinqsReader, NodeCountBeyond32Bits) {
  // 2^31 node lines would need a multi-gigabyte file, so the limit check is exercised directly.
  const std::int64_t limit = std::numeric_limits<NodeId>::max();
  EXPECT_NO_THROW(detail::check_linqs_node_count(limit, "big.content", 7));
  try {
    detail::check_linqs_node_count(limit + 1, "big.content", 2147483648LL);
    ADD_FAILURE() << "no error for " << limit + 1 << " nodes";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("big.content:2147483648:"), HasSubstr("32-bit")));
  }
}

// Random byte edits of the tiny dataset: the reader must load it or throw gat::Error, never crash
// or throw anything else (run this under the sanitizer build to catch out-of-bounds reads).
TEST_F(LinqsReader, RandomCorruptionGivesErrorOrDataset) {
  const std::string files[3] = {kTinyContent, kTinyCites, kTinySplit};
  const char alphabet[] = {'\t', ' ', '\n', '\r', '0', '1', '.', '-', 'e', 'x', 'p', '\0', '\xff'};
  std::mt19937 rng(12345);
  int loaded = 0;
  for (int trial = 0; trial < 300; ++trial) {
    std::string edited[3] = {files[0], files[1], files[2]};
    test::random_edits(edited[rng() % 3], rng, alphabet);
    // A fresh name per trial: creating files is much cheaper than truncating them on some
    // file systems.
    const std::string name = "t" + std::to_string(trial);
    write_dataset(name, edited[0], edited[1], edited[2]);
    try {
      const Dataset d = load_linqs(dir(), name);
      EXPECT_NO_THROW(validate(d.features));
      EXPECT_EQ(d.labels.size(), static_cast<std::size_t>(d.num_nodes()));
      ++loaded;
    } catch (const Error&) {
      // Expected for most edits.
    } catch (const std::exception& e) {
      ADD_FAILURE() << "trial " << trial << " threw a non-gat exception: " << e.what();
    }
  }
  EXPECT_GT(loaded, 0);  // some edits (e.g. in whitespace) leave a valid dataset
}

// ---- Real data: the copies bundled in the project's datasets/ (gzip). ----

struct RealStats {
  const char* name;
  NodeId nodes;
  std::int64_t features;
  std::int64_t nonzeros;
  int classes;
  EdgeId undirected_edges;  // none of the Planetoid sets has self loops
  std::size_t train, val, test;
  NodeId isolated;   // nodes without any edge
  NodeId zero_rows;  // nodes whose feature row is all zero
  bool binary;       // bag-of-words 0/1 rather than TF-IDF
};

void check_real(const std::string& root, const RealStats& s) {
  LinqsOptions raw_options;
  raw_options.normalize_features = false;
  raw_options.strict = true;  // the Planetoid exports cite only papers they contain
  LinqsReport report;
  const Dataset d = load_linqs(root + "/" + s.name, s.name, raw_options, &report);

  EXPECT_EQ(d.num_nodes(), s.nodes);
  EXPECT_EQ(d.num_features(), s.features);
  EXPECT_EQ(d.features.nnz(), s.nonzeros);
  EXPECT_EQ(d.num_classes(), s.classes);
  for (int c = 0; c < s.classes; ++c) EXPECT_EQ(d.class_names[c], "class" + std::to_string(c));
  EXPECT_EQ(d.graph.num_self_loops(), 0);
  EXPECT_EQ(d.graph.num_edges(), 2 * s.undirected_edges);
  EXPECT_EQ(report.skipped_citations, 0);
  EXPECT_EQ(d.train.size(), s.train);
  EXPECT_EQ(d.val.size(), s.val);
  EXPECT_EQ(d.test.size(), s.test);
  EXPECT_NO_THROW(validate(d.features));
  // Ids are 0..N-1 in file order in these exports.
  ASSERT_EQ(d.node_names.size(), static_cast<std::size_t>(s.nodes));
  EXPECT_EQ(d.node_names.front(), "0");
  EXPECT_EQ(d.node_names.back(), std::to_string(s.nodes - 1));

  NodeId isolated = 0;
  NodeId zero_rows = 0;
  for (NodeId i = 0; i < d.num_nodes(); ++i) {
    isolated += d.graph.in_degree(i) == 0;
    zero_rows += d.features.row_ptr[i] == d.features.row_ptr[i + 1];
    ASSERT_GE(d.labels[i], 0);
    ASSERT_LT(d.labels[i], s.classes);
  }
  EXPECT_EQ(isolated, s.isolated);
  EXPECT_EQ(zero_rows, s.zero_rows);
  if (s.binary) {
    for (float v : d.features.val) ASSERT_EQ(v, 1.0f);
  }

  // Default options: each non-empty row sums to one.
  const Dataset n = load_linqs(root + "/" + s.name, s.name);
  for (NodeId i = 0; i < n.num_nodes(); ++i) {
    if (n.features.row_ptr[i] == n.features.row_ptr[i + 1]) continue;
    double sum = 0;
    for (EdgeId k = n.features.row_ptr[i]; k < n.features.row_ptr[i + 1]; ++k) {
      sum += n.features.val[k];
    }
    ASSERT_NEAR(sum, 1.0, 1e-5) << s.name << " row " << i;
  }
}

TEST_F(LinqsReader, RealCora) {
  const std::string root = test::bundled_data_dir();
  check_real(root, {"cora", 2708, 1433, 49216, 7, 5278, 140, 500, 1000, 0, 0, true});
}

TEST_F(LinqsReader, RealCiteseer) {
  const std::string root = test::bundled_data_dir();
  check_real(root, {"citeseer", 3327, 3703, 105165, 6, 4552, 120, 500, 1000, 48, 15, true});
}

TEST_F(LinqsReader, RealPubmed) {
  const std::string root = test::bundled_data_dir();
  check_real(root, {"pubmed", 19717, 500, 988031, 3, 44324, 60, 500, 1000, 0, 0, false});
}

}  // namespace
}  // namespace gat
