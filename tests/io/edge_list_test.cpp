#include "gat/io/edge_list.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/graph/build.hpp"
#include "support/data.hpp"
#include "support/io_fixtures.hpp"
#include "support/temp_dir.hpp"

namespace gat::detail {
// Defined in lib/src/io/edge_list.cpp without a public header; see NodeCountBeyond32Bits.
void check_edge_list_node_count(std::int64_t count, const std::string& path, std::int64_t line);
}  // namespace gat::detail

namespace gat {
namespace {

using test::write_gz;

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Each test gets its own directory, so tests may run in parallel processes (ctest -j).
class EdgeListReader : public ::testing::Test {
 protected:
  // Writes `text` to `name` and reads it back.
  EdgeList read(const std::string& name, const std::string& text,
                const EdgeListOptions& options = {}) const {
    tmp_.write(name, text);
    return read_edge_list(tmp_.path(name), options);
  }
  // The message of the gat::Error that reading `text` as `name` throws.
  std::string error(const std::string& name, const std::string& text,
                    const EdgeListOptions& options = {}) const {
    tmp_.write(name, text);
    return test::error_message([&] { read_edge_list(tmp_.path(name), options); });
  }
  std::string path(const std::string& name) const { return tmp_.path(name); }

  test::TempDir tmp_{"gat_edge_list_test"};
};

EdgeListOptions with_header(Header header) {
  EdgeListOptions options;
  options.header = header;
  return options;
}

// ---------------------------------------------------------------------------------------------
// Formats

// SNAP style: '#' and '%' comments, tabs or spaces, ids 0..N-1 (kept), a self loop, a repeat.
//
//   0 → 1 → 2      2 → 2 (loop)      0 → 1 again (duplicate)      1 → 0 (not a duplicate)
TEST_F(EdgeListReader, ReadsSnapStyleWhitespace) {
  const EdgeList e = read("g.txt",
                          "# Directed graph: g.txt\n"
                          "# FromNodeId\tToNodeId\n"
                          "0\t1\n"
                          "1 2\n"
                          "%  MatrixMarket-ish comment\n"
                          "2   \t 2\n"
                          "\n"
                          "0\t1\n"
                          "1\t0");  // no final newline
  EXPECT_TRUE(e.ids.integer);
  EXPECT_THAT(e.ids.ints, ElementsAre(0, 1, 2));
  EXPECT_EQ(e.num_nodes(), 3);
  EXPECT_EQ(e.num_edges(), 5);
  EXPECT_THAT(e.src, ElementsAre(0, 1, 2, 0, 1));
  EXPECT_THAT(e.dst, ElementsAre(1, 2, 2, 1, 0));
  EXPECT_EQ(e.values.rows(), 0);
  EXPECT_EQ(e.values.cols(), 0);
  EXPECT_THAT(e.value_names, IsEmpty());
  EXPECT_EQ(e.report.lines, 9);
  EXPECT_EQ(e.report.comments, 3);
  EXPECT_EQ(e.report.blank, 1);
  EXPECT_EQ(e.report.self_loops, 1);
  EXPECT_EQ(e.report.duplicates, 1);
}

TEST_F(EdgeListReader, ReadsCsvWithHeaderAndWeights) {
  const EdgeList e = read("g.csv",
                          "source, target ,weight,time\n"
                          "1,2,0.5,10\n"
                          " 2 , 3 , +2 ,-1e-50\n"
                          "3,1,1e3,-0\n");
  EXPECT_THAT(e.ids.ints, ElementsAre(1, 2, 3));
  EXPECT_THAT(e.src, ElementsAre(0, 1, 2));
  EXPECT_THAT(e.dst, ElementsAre(1, 2, 0));
  EXPECT_THAT(e.value_names, ElementsAre("weight", "time"));
  ASSERT_EQ(e.values.rows(), 3);
  ASSERT_EQ(e.values.cols(), 2);
  EXPECT_FLOAT_EQ(e.values(0, 0), 0.5f);
  EXPECT_FLOAT_EQ(e.values(0, 1), 10.0f);
  EXPECT_FLOAT_EQ(e.values(1, 0), 2.0f);
  EXPECT_FLOAT_EQ(e.values(1, 1), 0.0f);  // below float's range: rounds to (negative) zero
  EXPECT_FLOAT_EQ(e.values(2, 0), 1000.0f);
  EXPECT_EQ(e.report.lines, 4);
}

TEST_F(EdgeListReader, ReadsTsvWhoseIdsHoldSpaces) {
  const EdgeList e = read("cities.tsv",
                          "New York\tBoston\t306\r\n"
                          "Boston\tSan Francisco\t4345\r\n");
  EXPECT_FALSE(e.ids.integer);
  EXPECT_THAT(e.ids.strings, ElementsAre("New York", "Boston", "San Francisco"));
  EXPECT_THAT(e.src, ElementsAre(0, 1));
  EXPECT_THAT(e.dst, ElementsAre(1, 2));
  EXPECT_THAT(e.value_names, ElementsAre("value0"));
  EXPECT_FLOAT_EQ(e.values(1, 0), 4345.0f);
}

TEST_F(EdgeListReader, CsvQuotedFieldsHoldCommasAndQuotes) {
  const EdgeList e = read("q.csv",
                          "\"Smith, J.\",\"say \"\"hi\"\"\", \"1.5\" \n"
                          "plain,\"Smith, J.\",2\n");
  EXPECT_THAT(e.ids.strings, ElementsAre("Smith, J.", "say \"hi\"", "plain"));
  EXPECT_THAT(e.src, ElementsAre(0, 2));
  EXPECT_THAT(e.dst, ElementsAre(1, 0));
  EXPECT_FLOAT_EQ(e.values(0, 0), 1.5f);
}

TEST_F(EdgeListReader, FormatByExtensionOrOption) {
  // ".CSV.gz": the case of the extension does not matter, nor the ".gz".
  write_gz(path("upper.CSV.gz"), "a b,c d\n");
  const EdgeList csv = read_edge_list(path("upper.CSV.gz"));
  EXPECT_THAT(csv.ids.strings, ElementsAre("a b", "c d"));

  // A ".txt" file is whitespace-separated unless the option says otherwise.
  EXPECT_THAT(error("commas.txt", "1,2\n"),
              HasSubstr("commas.txt:1: expected at least 2 columns (source and destination), "
                        "found 1 (comma-separated?"));
  EdgeListOptions options;
  options.format = EdgeListFormat::kCsv;
  EXPECT_EQ(read_edge_list(path("commas.txt"), options).num_edges(), 1);

  // kWhitespace reads a .tsv file's tabs like spaces.
  options.format = EdgeListFormat::kWhitespace;
  EXPECT_THAT(read("sp.tsv", "a b\n", options).ids.strings, ElementsAre("a", "b"));
}

// ---------------------------------------------------------------------------------------------
// Header

TEST_F(EdgeListReader, HeaderAutoDetection) {
  struct Case {
    const char* text;
    bool header;
  };
  const Case cases[] = {
      {"src dst\n1 2\n", true},       // (a) column names
      {"FROM To\n", true},            // (a) alone, any case
      {"u v\nx y\n", true},           // (a) even with string ids: use Header::kNo
      {"a b\n1 2\n", true},           // (b) names over integers
      {"a b\nc d\n", false},          // string ids
      {"a 1\n2 3\n", false},          // (b) needs both of L1's fields non-integers
      {"1 2\n3 4\n", false},          // integers
      {"x y w\nx z 1.5\n", true},     // (c) a value column that is not a number
      {"x y 2.5\nx z 1.5\n", false},  // all values numbers
      {"p q\n", false},               // one line, no column names: an edge
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    const EdgeList e = read("h.txt", c.text);
    const std::string text = c.text;
    const auto lines = std::count(text.begin(), text.end(), '\n');
    EXPECT_EQ(e.num_edges(), c.header ? lines - 1 : lines);
  }
  // (c) only when L2 has as many columns: L1 is then an edge, whose value 'w' is refused.
  EXPECT_THAT(error("h.txt", "name1 name2 w\nx y\n"),
              HasSubstr("h.txt:1: column 3 (value0) is not a finite number: 'w'"));
}

TEST_F(EdgeListReader, HeaderOptionOverridesDetection) {
  // kNo: "u v" is an edge between nodes u and v.
  EdgeList e = read("h.txt", "u v\nv w\n", with_header(Header::kNo));
  EXPECT_THAT(e.ids.strings, ElementsAre("u", "v", "w"));
  EXPECT_EQ(e.num_edges(), 2);
  // kYes: the first line names the columns whatever it holds.
  e = read("h.txt", "% comment\n1 2 3\n4 5 6\n", with_header(Header::kYes));
  EXPECT_THAT(e.ids.ints, ElementsAre(4, 5));
  EXPECT_THAT(e.value_names, ElementsAre("3"));
  EXPECT_EQ(e.num_edges(), 1);
  // kYes on a file of one header line: no edges, but the value columns are named.
  e = read("h.csv", "a,b,w1,w2\n", with_header(Header::kYes));
  EXPECT_EQ(e.num_edges(), 0);
  EXPECT_EQ(e.values.rows(), 0);
  EXPECT_EQ(e.values.cols(), 2);
  EXPECT_THAT(e.value_names, ElementsAre("w1", "w2"));
}

// ---------------------------------------------------------------------------------------------
// Ids

TEST_F(EdgeListReader, IntegerIdsAreNumberedAscending) {
  // 10, 5, 1000, -3: indices by value, whatever the order of appearance; "+5" and "005" are 5.
  const EdgeList e = read("ids.txt",
                          "10 5\n"
                          "1000 10\n"
                          "+5 -3\n"
                          "005 1000\n");
  EXPECT_TRUE(e.ids.integer);
  EXPECT_THAT(e.ids.ints, ElementsAre(-3, 5, 10, 1000));
  EXPECT_THAT(e.src, ElementsAre(2, 3, 1, 1));
  EXPECT_THAT(e.dst, ElementsAre(1, 2, 0, 3));
  EXPECT_EQ(e.ids.name(0), "-3");
  EXPECT_EQ(e.ids.name(3), "1000");
  EXPECT_EQ(e.ids.find("1000"), 3);
  EXPECT_EQ(e.ids.find("0010"), 2);
  EXPECT_EQ(e.ids.find("+5"), 1);
  EXPECT_EQ(e.ids.find("6"), -1);
  EXPECT_EQ(e.ids.find("x"), -1);
  EXPECT_THAT(test::error_message([&] { e.ids.name(4); }),
              HasSubstr("node index 4 is outside [0, 4)"));
}

TEST_F(EdgeListReader, LargeAndSparseIntegerIds) {
  // Ids beyond the direct table (2^20) and near the 64-bit limits go through the hash table.
  const EdgeList e = read("big.txt",
                          "9223372036854775807 -9223372036854775808\n"
                          "3 5000000000\n"
                          "5000000000 9223372036854775807\n"
                          "1048576 1048575\n");
  EXPECT_THAT(e.ids.ints, ElementsAre(std::numeric_limits<std::int64_t>::min(), 3, 1048575, 1048576,
                                      5000000000LL, std::numeric_limits<std::int64_t>::max()));
  EXPECT_THAT(e.src, ElementsAre(5, 1, 4, 3));
  EXPECT_THAT(e.dst, ElementsAre(0, 4, 5, 2));
}

TEST_F(EdgeListReader, StringIdsInOrderOfFirstAppearance) {
  const EdgeList e = read("s.txt", "b a\na c\nc b\n");
  EXPECT_FALSE(e.ids.integer);
  EXPECT_THAT(e.ids.strings, ElementsAre("b", "a", "c"));
  EXPECT_THAT(e.src, ElementsAre(0, 1, 2));
  EXPECT_THAT(e.dst, ElementsAre(1, 2, 0));
  EXPECT_EQ(e.ids.find("c"), 2);
  EXPECT_EQ(e.ids.find("d"), -1);
  EXPECT_EQ(e.ids.name(1), "a");
}

TEST_F(EdgeListReader, OneStringIdMakesEveryIdAString) {
  // Integers first, then a string on the last line: every id is then a string, spelled as
  // written, so "007" and "7" are two nodes, and numbering is by first appearance.
  const EdgeList e = read("mixed.txt", "10 007\n7 10\n007 x\n");
  EXPECT_FALSE(e.ids.integer);
  EXPECT_THAT(e.ids.strings, ElementsAre("10", "007", "7", "x"));
  EXPECT_THAT(e.src, ElementsAre(0, 2, 1));
  EXPECT_THAT(e.dst, ElementsAre(1, 0, 3));
  EXPECT_EQ(e.ids.find("7"), 2);
  EXPECT_EQ(e.report.lines, 3);  // the reread does not count twice
  EXPECT_EQ(e.report.duplicates, 0);
}

TEST_F(EdgeListReader, NodeCountBeyond32Bits) {
  EXPECT_NO_THROW(detail::check_edge_list_node_count(2147483647, "g.txt", 7));
  EXPECT_THAT(
      test::error_message([] { detail::check_edge_list_node_count(2147483648LL, "g.txt", 7); }),
      HasSubstr("g.txt:7: too many nodes"));
}

// ---------------------------------------------------------------------------------------------
// Lines, compression, counts

TEST_F(EdgeListReader, CommentsBlankLinesCrlfAndBom) {
  const EdgeList e = read("bom.csv",
                          "\xEF\xBB\xBF# made by a spreadsheet\r\n"
                          "\r\n"
                          "src,dst\r\n"
                          "  \t \r\n"
                          "a,b\r\n"
                          "   % indented comment\r\n"
                          "b,a\r\n");
  EXPECT_THAT(e.ids.strings, ElementsAre("a", "b"));
  EXPECT_EQ(e.num_edges(), 2);
  EXPECT_EQ(e.report.lines, 7);
  EXPECT_EQ(e.report.comments, 2);
  EXPECT_EQ(e.report.blank, 2);
  // A byte-order mark before a first edge is not part of its id.
  const EdgeList f = read("bom.txt",
                          "\xEF\xBB\xBF"
                          "12 13\n");
  EXPECT_THAT(f.ids.ints, ElementsAre(12, 13));
}

TEST_F(EdgeListReader, ReadsGzipLikePlain) {
  std::string text = "# gzip\n";
  for (int i = 0; i < 1000; ++i) {
    text += std::to_string(i) + "\t" + std::to_string((i * 7) % 1000) + "\t0.25\n";
  }
  tmp_.write("plain.txt", text);
  write_gz(path("packed.txt.gz"), text);
  const EdgeList plain = read_edge_list(path("plain.txt"));
  const EdgeList packed = read_edge_list(path("packed.txt"));  // finds packed.txt.gz
  EXPECT_EQ(packed.num_nodes(), 1000);
  EXPECT_EQ(packed.num_edges(), 1000);
  EXPECT_EQ(packed.src, plain.src);
  EXPECT_EQ(packed.dst, plain.dst);
  EXPECT_EQ(packed.values, plain.values);
  EXPECT_EQ(packed.report.self_loops, 2);  // 0 → 0 and 500 → 500
  // gzip is recognised by its magic bytes, whatever the name.
  write_gz(path("no_suffix.txt"), "1 2\n");
  EXPECT_EQ(read_edge_list(path("no_suffix.txt")).num_edges(), 1);
}

TEST_F(EdgeListReader, LinesAcrossChunkBoundaries) {
  // Several MiB of lines of varied lengths, and one 3 MiB id: lines cut by the 1 MiB reads
  // must come out whole.
  std::string text;
  std::vector<std::int64_t> src;
  for (std::int64_t i = 0; i < 300000; ++i) {
    const std::int64_t s = (i * 7919) % 100003;
    text += std::to_string(s) + std::string(static_cast<std::size_t>(i % 5 + 1), ' ') +
            std::to_string(i % 17) + "\n";
    src.push_back(s);
  }
  tmp_.write("long.txt", text);
  const EdgeList e = read_edge_list(path("long.txt"));
  ASSERT_EQ(e.num_edges(), 300000);
  for (std::size_t k = 0; k < src.size(); k += 997) {
    ASSERT_EQ(e.ids.ints[static_cast<std::size_t>(e.src[k])], src[k]) << "edge " << k;
    ASSERT_EQ(e.ids.ints[static_cast<std::size_t>(e.dst[k])], static_cast<std::int64_t>(k % 17));
  }

  const std::string long_id(3 << 20, 'x');
  const EdgeList f = read("long_id.txt", "a b\n" + long_id + " a\nb " + long_id + "\n");
  EXPECT_THAT(f.ids.strings, ElementsAre("a", "b", long_id));
  EXPECT_THAT(f.src, ElementsAre(0, 2, 1));
}

TEST_F(EdgeListReader, CountsSelfLoopsAndDuplicatePairs) {
  // (1,2) three times: 2 duplicates; (2,1) once: not one; (3,3) twice: 2 loops, 1 duplicate.
  const EdgeList e = read("d.txt", "1 2\n2 1\n1 2\n3 3\n1 2\n3 3\n");
  EXPECT_EQ(e.num_edges(), 6);
  EXPECT_EQ(e.report.self_loops, 2);
  EXPECT_EQ(e.report.duplicates, 3);
}

TEST_F(EdgeListReader, EmptyFilesAreEmptyEdgeLists) {
  for (const char* text : {"", "\n\n", "# only comments\n% and more\n", "\xEF\xBB\xBF"}) {
    const EdgeList e = read("empty.txt", text);
    EXPECT_EQ(e.num_nodes(), 0);
    EXPECT_EQ(e.num_edges(), 0);
    EXPECT_EQ(e.values.size(), 0);
    EXPECT_NO_THROW(build_csr(e.num_nodes(), e.src, e.dst));
  }
  const EdgeList h = read("header_only.csv", "src,dst,weight\n");
  EXPECT_EQ(h.num_edges(), 0);
  EXPECT_EQ(h.values.cols(), 1);
  EXPECT_THAT(h.value_names, ElementsAre("weight"));
}

TEST_F(EdgeListReader, BuildsTheGraph) {
  // 10 → 20, 30 → 20, 20 → 10: indices 0, 1, 2; row 1 (node 20) lists sources 0 and 2.
  const EdgeList e = read("g.txt", "10 20\n30 20\n20 10\n");
  const CsrGraph g = build_csr(e.num_nodes(), e.src, e.dst);
  EXPECT_THAT(g.row_ptr(), ElementsAre(0, 1, 3, 3));
  EXPECT_THAT(g.src(), ElementsAre(1, 0, 2));
}

// ---------------------------------------------------------------------------------------------
// Errors, each with file:line

TEST_F(EdgeListReader, ColumnCountErrors) {
  EXPECT_THAT(error("c.txt", "# c\n1 2\n3 4 5\n"),
              HasSubstr("c.txt:3: expected 2 columns, found 3 (line 2 has 2)"));
  EXPECT_THAT(error("c.txt", "1 2 0.5\n\n3 4\n"),
              HasSubstr("c.txt:3: expected 3 columns, found 2"));
  EXPECT_THAT(error("c.txt", "7\n"),
              HasSubstr("c.txt:1: expected at least 2 columns (source and destination), found 1"));
  EXPECT_THAT(error("c.csv", "src,dst,w\n1,2\n"),
              HasSubstr("c.csv:2: expected 3 columns, found 2"));
  EXPECT_THAT(error("c.csv", "src\n"), HasSubstr("c.csv:1: expected at least 2 columns"));
  EXPECT_THAT(error("c.txt", "a b\n1 2\n7\n"), HasSubstr("c.txt:3: expected 2 columns, found 1"));
}

TEST_F(EdgeListReader, ValuesMustBeFiniteNumbers) {
  for (const char* bad : {"nan", "inf", "-inf", "1e39", "abc", "1.5x", "--1", "+"}) {
    SCOPED_TRACE(bad);
    EXPECT_THAT(
        error("v.txt", std::string("1 2 0.5\n2 3 ") + bad + "\n"),
        HasSubstr("v.txt:2: column 3 (value0) is not a finite number: '" + std::string(bad) + "'"));
  }
  EXPECT_THAT(error("v.csv", "from,to,w\n1,2,NaN\n"),
              HasSubstr("v.csv:2: column 3 (w) is not a finite number: 'NaN'"));
}

TEST_F(EdgeListReader, CsvFieldErrors) {
  EXPECT_THAT(error("e.csv", "1,2\n3,\n"), HasSubstr("e.csv:2: column 2 is empty"));
  EXPECT_THAT(error("e.csv", ",2\n"), HasSubstr("e.csv:1: column 1 is empty"));
  EXPECT_THAT(error("e.csv", "1,\"\"\n"), HasSubstr("e.csv:1: column 2 is empty"));
  EXPECT_THAT(error("e.tsv", "1\t2\n3\t\t4\n"), HasSubstr("e.tsv:2: column 2 is empty"));
  EXPECT_THAT(error("e.csv", "1,2\n\"a,b\n"),
              HasSubstr("e.csv:2: column 1: quoted field not closed"));
  EXPECT_THAT(error("e.csv", "\"a\"b,c\n"),
              HasSubstr("e.csv:1: column 1: text after the closing quote: 'b,c'"));
}

TEST_F(EdgeListReader, FileErrors) {
  EXPECT_THAT(test::error_message([&] { read_edge_list(path("missing.txt")); }),
              HasSubstr("missing.txt: cannot open file"));
  std::filesystem::create_directories(tmp_.dir() / "folder");
  EXPECT_THAT(test::error_message([&] { read_edge_list(path("folder")); }),
              HasSubstr("folder: not a regular file (a folder)"));
  // A gzip stream cut short.
  std::string text;
  for (int i = 0; i < 5000; ++i) text += std::to_string(i) + " " + std::to_string(i + 1) + "\n";
  write_gz(path("whole.txt.gz"), text);
  std::string bytes;
  {
    std::ifstream in(path("whole.txt.gz"), std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  EXPECT_THAT(error("cut.txt.gz", bytes.substr(0, bytes.size() / 2)),
              HasSubstr("cut.txt.gz: cannot read file"));
}

// ---------------------------------------------------------------------------------------------
// Real data

TEST(EdgeListRealData, WebNotreDame) {
  GAT_REQUIRE_REAL_DATA(dir);
  const EdgeList e = read_edge_list(dir + "/web-NotreDame/web-NotreDame.txt.gz");
  // Figures of datasets/web-NotreDame/PROVENANCE.md: ids 0..325728, all pairs distinct.
  EXPECT_TRUE(e.ids.integer);
  EXPECT_EQ(e.num_nodes(), 325729);
  EXPECT_EQ(e.num_edges(), 1497134);
  EXPECT_EQ(e.ids.ints.front(), 0);
  EXPECT_EQ(e.ids.ints.back(), 325728);
  EXPECT_EQ(e.report.comments, 4);
  EXPECT_EQ(e.report.self_loops, 27455);
  EXPECT_EQ(e.report.duplicates, 0);
}

}  // namespace
}  // namespace gat
