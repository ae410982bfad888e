#include "gat/io/input.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "gat/core/error.hpp"
#include "gat/io/linqs.hpp"
#include "support/data.hpp"
#include "support/io_fixtures.hpp"
#include "support/temp_dir.hpp"

namespace gat {
namespace {

using test::write_gz;

using ::testing::HasSubstr;

std::string error_of(const std::string& path) {
  return test::error_message([&] { read_input(path); });
}

class Input : public ::testing::Test {
 protected:
  test::TempDir tmp_{"gat_input_test"};
};

TEST_F(Input, PlainAndGzipReadAlike) {
  std::string text;
  for (int i = 0; i < 100000; ++i) text += std::to_string(i) + "\t" + std::to_string(i * 7) + "\n";
  tmp_.write("plain.txt", text);
  write_gz(tmp_.path("packed.txt.gz"), text);
  EXPECT_EQ(read_input(tmp_.path("plain.txt")), text);
  EXPECT_EQ(read_input(tmp_.path("packed.txt.gz")), text);
  // Asked for without the suffix, the compressed file is found.
  EXPECT_EQ(read_input(tmp_.path("packed.txt")), text);
  EXPECT_EQ(find_input(tmp_.path("packed.txt")), tmp_.path("packed.txt.gz"));
  EXPECT_TRUE(input_exists(tmp_.path("packed.txt")));
  EXPECT_FALSE(input_exists(tmp_.path("absent.txt")));
  // The plain file wins when both exist.
  tmp_.write("both.txt", "plain");
  write_gz(tmp_.path("both.txt.gz"), "packed");
  EXPECT_EQ(read_input(tmp_.path("both.txt")), "plain");
  // An empty file and an empty gzip stream are empty texts.
  tmp_.write("empty.txt", "");
  write_gz(tmp_.path("empty2.txt.gz"), "");
  EXPECT_EQ(read_input(tmp_.path("empty.txt")), "");
  EXPECT_EQ(read_input(tmp_.path("empty2.txt.gz")), "");
}

TEST_F(Input, MissingFileNamesBothPlaces) {
  const std::string message = error_of(tmp_.path("nothing.cites"));
  EXPECT_THAT(message, HasSubstr("nothing.cites: cannot open file"));
  EXPECT_THAT(message, HasSubstr("nothing.cites.gz"));
}

TEST_F(Input, TruncatedOrCorruptGzipIsAnError) {
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "line " + std::to_string(i * 2654435761u) + "\n";
  write_gz(tmp_.path("whole.gz"), text);
  std::string bytes;
  {
    std::ifstream in(tmp_.path("whole.gz"), std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_GT(bytes.size(), 200u);
  tmp_.write("cut.gz", bytes.substr(0, bytes.size() / 2));
  EXPECT_THAT(error_of(tmp_.path("cut.gz")), HasSubstr("cut.gz: cannot read file"));
  std::string flipped = bytes;
  flipped[flipped.size() / 2] ^= 0x55;
  flipped[flipped.size() / 2 + 1] ^= 0x55;
  tmp_.write("flipped.gz", flipped);
  EXPECT_THAT(error_of(tmp_.path("flipped.gz")), HasSubstr("flipped.gz: cannot read file"));
}

TEST_F(Input, RefusesWhatIsNotARegularFile) {
  // A FIFO with no writer would block a plain open or read forever; /dev/zero never ends.
  ASSERT_EQ(::mkfifo(tmp_.path("fifo").c_str(), 0600), 0);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THAT(error_of(tmp_.path("fifo")), HasSubstr("not a regular file (a FIFO)"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_THAT(error_of("/dev/zero"), HasSubstr("/dev/zero: not a regular file (a device)"));
  EXPECT_THAT(error_of(tmp_.dir().string()), HasSubstr("not a regular file (a folder)"));
  // A symlink loop is a clean error too.
  std::filesystem::create_symlink(tmp_.path("loop_b"), tmp_.path("loop_a"));
  std::filesystem::create_symlink(tmp_.path("loop_a"), tmp_.path("loop_b"));
  EXPECT_THAT(error_of(tmp_.path("loop_a")), HasSubstr("loop_a: cannot open file"));
  // A symlink to a regular file is read through.
  tmp_.write("target.txt", "through the link");
  std::filesystem::create_symlink(tmp_.path("target.txt"), tmp_.path("link.txt"));
  EXPECT_EQ(read_input(tmp_.path("link.txt")), "through the link");
}

// The LINQS reader finds a dataset whose three files are all compressed.
TEST_F(Input, LinqsReadsGzipFiles) {
  const std::string content = "a\t1\t0\tx\nb\t0\t1\ty\nc\t1\t1\tx\n";
  const std::string cites = "a\tb\nb\tc\n";
  const std::string split = "a\ttrain\nb\tval\nc\ttest\n";
  tmp_.write("t.content", content);
  tmp_.write("t.cites", cites);
  tmp_.write("t.split", split);
  std::filesystem::create_directories(tmp_.dir() / "gz");
  write_gz(tmp_.path("gz/t.content.gz"), content);
  write_gz(tmp_.path("gz/t.cites.gz"), cites);
  write_gz(tmp_.path("gz/t.split.gz"), split);
  const Dataset plain = load_linqs(tmp_.dir().string(), "t");
  const Dataset packed = load_linqs(tmp_.path("gz"), "t");
  EXPECT_EQ(packed.num_nodes(), 3);
  EXPECT_EQ(packed.graph.num_edges(), plain.graph.num_edges());
  EXPECT_EQ(packed.features.val, plain.features.val);
  EXPECT_EQ(packed.labels, plain.labels);
}

// The copies bundled in datasets/ decompress to exactly the files in ../shared/datasets.
TEST(BundledData, MatchesSharedCopies) {
  GAT_REQUIRE_REAL_DATA(shared);
  for (const char* name : {"cora", "citeseer", "pubmed"}) {
    for (const char* ext : {".content", ".cites", ".split"}) {
      const std::string file = std::string(name) + "/" + name + ext;
      const std::string bundled = test::bundled_data_dir() + "/" + file + ".gz";
      ASSERT_TRUE(std::filesystem::exists(bundled)) << bundled;
      EXPECT_TRUE(read_input(bundled) == read_input(shared + "/" + file)) << file;
    }
  }
}

}  // namespace
}  // namespace gat
