#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/graph/build.hpp"
#include "gat/io/linqs.hpp"
#include "gat/io/partition.hpp"
#include "gat/io/safetensors.hpp"
#include "support/data.hpp"
#include "support/io_fixtures.hpp"
#include "support/temp_dir.hpp"

namespace gat {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

// A small dataset with dense features, drawn (both directions stored):
//
//   0 ── 1 ↺     3 ── 4        6 (isolated, no edges)
//    \  /   2─3   \  /         1→1 and 4→4: self loops
//     2            5
//
// labels: node 5 has none (-1); split: train {0, 3}, val {1, 5}, test {2, 4, 6}.
Dataset small_dense() {
  std::vector<NodeId> src, dst;
  const NodeId pairs[][2] = {{0, 1}, {1, 2}, {0, 2}, {3, 4}, {4, 5}, {3, 5}, {2, 3}};
  for (const auto& p : pairs) {
    src.push_back(p[0]), dst.push_back(p[1]);
    src.push_back(p[1]), dst.push_back(p[0]);
  }
  src.push_back(1), dst.push_back(1);
  src.push_back(4), dst.push_back(4);
  Dataset d;
  d.name = "small";
  d.graph = build_csr(7, src, dst);
  d.dense_features.resize(7, 3);
  for (Eigen::Index i = 0; i < d.dense_features.size(); ++i) {
    d.dense_features.data()[i] = 0.5f * float(i) - 3.0f;
  }
  d.labels = {0, 1, 0, 1, 0, -1, 1};
  d.class_names = {"a", "b"};
  d.train = {0, 3};
  d.val = {1, 5};
  d.test = {2, 4, 6};
  return d;
}

const Dataset& cora() {
  static const Dataset d = load_linqs(test::bundled_data_dir() + "/cora", "cora");
  return d;
}

// The nodes of `split` that lie in part k, as rows of that part.
std::vector<NodeId> rows_in(const std::vector<NodeId>& split, const GraphPart& p) {
  std::vector<NodeId> rows;
  for (const NodeId v : split) {
    const auto it = std::lower_bound(p.owned.begin(), p.owned.end(), v);
    if (it != p.owned.end() && *it == v) rows.push_back(static_cast<NodeId>(it - p.owned.begin()));
  }
  return rows;
}

// Checks the parts read back against the whole dataset they were cut from.
void expect_parts_match(const Dataset& d, const std::vector<std::int32_t>& assignment,
                        const std::vector<GraphPart>& parts) {
  const CsrGraph& g = d.graph;
  const auto& row_ptr = g.row_ptr();
  const auto& src = g.src();
  const NodeId n = g.num_nodes();
  const int P = static_cast<int>(parts.size());
  // loops_before from the destinations, computed another way than the writer does.
  const std::vector<NodeId> dst = g.dst();
  std::vector<EdgeId> loops_at(static_cast<std::size_t>(g.num_edges()) + 1, 0);
  for (EdgeId s = 0; s < g.num_edges(); ++s) loops_at[s + 1] = loops_at[s] + (src[s] == dst[s]);

  std::vector<int> rows_seen(static_cast<std::size_t>(n), 0);
  std::vector<int> slots_seen(static_cast<std::size_t>(g.num_edges()), 0);
  std::vector<NodeId> train, val, test;
  for (int k = 0; k < P; ++k) {
    SCOPED_TRACE("part " + std::to_string(k));
    const GraphPart& p = parts[k];
    EXPECT_EQ(p.part, k);
    EXPECT_EQ(p.parts, P);
    EXPECT_EQ(p.name, d.name);
    EXPECT_EQ(p.total_nodes, n);
    EXPECT_EQ(p.total_edges, g.num_edges());
    EXPECT_EQ(p.num_classes, d.num_classes());
    EXPECT_EQ(p.num_features, d.num_features());
    EXPECT_EQ(p.train_total, static_cast<NodeId>(d.train.size()));
    EXPECT_EQ(p.val_total, static_cast<NodeId>(d.val.size()));
    EXPECT_EQ(p.test_total, static_cast<NodeId>(d.test.size()));
    std::vector<NodeId> expected_owned;
    for (NodeId i = 0; i < n; ++i) {
      if (assignment[i] == k) expected_owned.push_back(i);
    }
    ASSERT_EQ(p.owned, expected_owned);
    const auto rows = static_cast<std::size_t>(p.num_owned());
    ASSERT_EQ(p.row_ptr.size(), rows + 1);
    std::set<NodeId> remote;
    for (std::size_t r = 0; r < rows; ++r) {
      const NodeId i = p.owned[r];
      ++rows_seen[i];
      // The row's sources are the whole graph's row, in its order.
      ASSERT_EQ(p.row_ptr[r + 1] - p.row_ptr[r], row_ptr[i + 1] - row_ptr[i]) << "row " << i;
      for (EdgeId s = 0; s < row_ptr[i + 1] - row_ptr[i]; ++s) {
        ASSERT_EQ(p.src[p.row_ptr[r] + s], src[row_ptr[i] + s]) << "row " << i;
        ++slots_seen[row_ptr[i] + s];
        if (assignment[src[row_ptr[i] + s]] != k) remote.insert(src[row_ptr[i] + s]);
      }
      EXPECT_EQ(p.row_start[r], row_ptr[i]);
      EXPECT_EQ(p.loops_before[r], loops_at[row_ptr[i]]);
      EXPECT_EQ(p.labels[r], d.labels[i]);
      if (d.has_dense_features()) {
        ASSERT_TRUE(p.has_dense_features());
        EXPECT_EQ(p.dense_features.row(Eigen::Index(r)), d.dense_features.row(i));
      } else {
        ASSERT_FALSE(p.has_dense_features());
        const auto& f = d.features;
        EXPECT_EQ(p.feature_start[r], f.row_ptr[i]);
        const EdgeId b = p.features.row_ptr[r];
        ASSERT_EQ(p.features.row_ptr[r + 1] - b, f.row_ptr[i + 1] - f.row_ptr[i]);
        for (EdgeId e = 0; e < f.row_ptr[i + 1] - f.row_ptr[i]; ++e) {
          EXPECT_EQ(p.features.col[b + e], f.col[f.row_ptr[i] + e]);
          EXPECT_EQ(p.features.val[b + e], f.val[f.row_ptr[i] + e]);
        }
      }
    }
    // The halo: exactly the remote sources, with their owner and their row there.
    EXPECT_EQ(p.halo, std::vector<NodeId>(remote.begin(), remote.end()));
    ASSERT_EQ(p.halo_part.size(), p.halo.size());
    ASSERT_EQ(p.halo_index.size(), p.halo.size());
    for (std::size_t h = 0; h < p.halo.size(); ++h) {
      ASSERT_EQ(p.halo_part[h], assignment[p.halo[h]]);
      EXPECT_EQ(parts[p.halo_part[h]].owned[p.halo_index[h]], p.halo[h]);
    }
    EXPECT_EQ(p.train, rows_in(d.train, p));
    EXPECT_EQ(p.val, rows_in(d.val, p));
    EXPECT_EQ(p.test, rows_in(d.test, p));
    for (const NodeId r : p.train) train.push_back(p.owned[r]);
    for (const NodeId r : p.val) val.push_back(p.owned[r]);
    for (const NodeId r : p.test) test.push_back(p.owned[r]);
  }
  // Every node is a row of exactly one part, every edge a slot of exactly one part's rows.
  EXPECT_EQ(std::count(rows_seen.begin(), rows_seen.end(), 1), n);
  EXPECT_EQ(std::count(slots_seen.begin(), slots_seen.end(), 1), g.num_edges());
  std::sort(train.begin(), train.end());
  std::sort(val.begin(), val.end());
  std::sort(test.begin(), test.end());
  EXPECT_EQ(train, d.train);
  EXPECT_EQ(val, d.val);
  EXPECT_EQ(test, d.test);
}

class PartitionIo : public ::testing::Test {
 protected:
  test::TempDir tmp_{"gat_partition_io_test"};

  // Partitions `d`, writes it into a new folder, reads every part back and checks it.
  void round_trip(const Dataset& d, int parts, PartitionMethod method) {
    SCOPED_TRACE(d.name + " " + to_string(method) + " P=" + std::to_string(parts));
    const auto assignment = partition_nodes(d.graph, parts, method, 5);
    const std::string dir =
        tmp_.path(d.name + "_" + to_string(method) + "_" + std::to_string(parts));
    write_partitions(dir, d, assignment, parts, method, 5);
    const PartitionManifest m = read_manifest(dir);
    EXPECT_EQ(m.parts, parts);
    EXPECT_EQ(read_partition_count(dir), parts);
    EXPECT_EQ(m.method, method);
    EXPECT_EQ(m.seed, 5u);
    EXPECT_EQ(m.dataset, d.name);
    EXPECT_EQ(m.nodes, d.num_nodes());
    EXPECT_EQ(m.edges, d.graph.num_edges());
    EXPECT_EQ(m.class_names, d.class_names);
    EXPECT_EQ(m.dense_features, d.has_dense_features());
    std::vector<GraphPart> read;
    for (int k = 0; k < parts; ++k) {
      read.push_back(read_partition(dir, k));
      EXPECT_EQ(m.part_files[k].file, "part-" + std::to_string(k) + ".safetensors");
      EXPECT_EQ(m.part_files[k].owned, read.back().num_owned());
      EXPECT_EQ(m.part_files[k].halo, static_cast<NodeId>(read.back().halo.size()));
      // make_part builds the same part that was written.
      const GraphPart made = make_part(d, assignment, parts, k);
      EXPECT_EQ(made.owned, read.back().owned);
      EXPECT_EQ(made.src, read.back().src);
      EXPECT_EQ(made.halo_index, read.back().halo_index);
    }
    expect_parts_match(d, assignment, read);
  }
};

TEST_F(PartitionIo, SmallDenseDatasetRoundTrips) {
  const Dataset d = small_dense();
  for (const PartitionMethod m : {PartitionMethod::kMetis, PartitionMethod::kRandom}) {
    for (int parts : {1, 2, 3}) round_trip(d, parts, m);
  }
}

TEST_F(PartitionIo, CoraRoundTrips) {
  for (const PartitionMethod m : {PartitionMethod::kMetis, PartitionMethod::kRandom}) {
    for (int parts : {1, 2, 3}) round_trip(cora(), parts, m);
  }
}

TEST_F(PartitionIo, MakePartRefusesAnAssignmentThatDoesNotFit) {
  const Dataset d = small_dense();
  EXPECT_THAT(test::error_message([&] {
                make_part(d, {0, 0, 1}, 2, 0);
              }),
              HasSubstr("the partition has 3 entries for dataset 'small' of 7 nodes"));
  EXPECT_THAT(test::error_message([&] {
                make_part(d, {0, 0, 1, 1, 0, 1, 2}, 2, 0);
              }),
              HasSubstr("node 6 is in part 2, outside [0, 2)"));
  EXPECT_THAT(test::error_message([&] { make_part(d, std::vector<std::int32_t>(7, 0), 1, 1); }),
              HasSubstr("part 1 is outside [0, 1)"));
}

// A written partition of the small dataset in 3 parts, for the corruption tests.
class PartitionIoCorrupt : public PartitionIo {
 protected:
  void SetUp() override {
    data_ = small_dense();
    assignment_ = partition_nodes(data_.graph, 3, PartitionMethod::kRandom, 1);
    dir_ = tmp_.path("p");
    write_partitions(dir_, data_, assignment_, 3, PartitionMethod::kRandom, 1);
  }
  std::string file(const std::string& name) const { return dir_ + "/" + name; }
  std::string read_error(int part) const {
    return test::error_message([&] { read_partition(dir_, part); });
  }
  // Rewrites one tensor of part k's file through `edit`, keeping the file well-formed.
  template <typename Edit>
  void edit_part(int k, Edit edit) {
    const std::string path = file("part-" + std::to_string(k) + ".safetensors");
    SafetensorsFile f = read_safetensors(path);
    edit(f);
    write_safetensors(path, f);
  }
  std::string manifest() const {
    std::ifstream in(file("manifest.json"));
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  Dataset data_;
  std::vector<std::int32_t> assignment_;
  std::string dir_;
};

TEST_F(PartitionIoCorrupt, TruncatedPartFileIsNamed) {
  const std::string path = file("part-1.safetensors");
  fs::resize_file(path, fs::file_size(path) - 5);
  EXPECT_THAT(read_error(1), HasSubstr(path));
  EXPECT_NO_THROW(read_partition(dir_, 0));  // a reader of another part is not affected
}

TEST_F(PartitionIoCorrupt, MissingPartFileIsNamed) {
  fs::remove(file("part-2.safetensors"));
  EXPECT_THAT(read_error(2), HasSubstr(file("part-2.safetensors")));
}

TEST_F(PartitionIoCorrupt, BadValuesInAPartAreNamed) {
  const std::string path = file("part-0.safetensors");
  // A halo entry owned by the part itself.
  edit_part(0, [](SafetensorsFile& f) {
    auto& t = f.tensors.at("halo_part");
    ASSERT_GE(t.data.size(), 4u);
    std::fill(t.data.begin(), t.data.begin() + 4, 0);
  });
  EXPECT_THAT(read_error(0), HasSubstr(path + ": halo_part[0] = 0, not another part"));
}

TEST_F(PartitionIoCorrupt, SourceOutsideTheGraphIsNamed) {
  edit_part(1, [](SafetensorsFile& f) {
    auto& t = f.tensors.at("src");
    ASSERT_GE(t.data.size(), 4u);
    const std::int32_t big = 1000;
    std::memcpy(t.data.data(), &big, 4);
  });
  EXPECT_THAT(read_error(1), HasSubstr("src[0] = 1000, outside [0, 7)"));
}

TEST_F(PartitionIoCorrupt, OwnedNotAscendingIsNamed) {
  edit_part(2, [](SafetensorsFile& f) {
    auto& t = f.tensors.at("owned");
    ASSERT_GE(t.data.size(), 8u);
    std::swap_ranges(t.data.begin(), t.data.begin() + 4, t.data.begin() + 4);
  });
  EXPECT_THAT(read_error(2), HasSubstr("owned is not strictly ascending"));
}

TEST_F(PartitionIoCorrupt, MissingTensorIsNamed) {
  edit_part(0, [](SafetensorsFile& f) { f.tensors.erase("loops_before"); });
  EXPECT_THAT(read_error(0),
              HasSubstr(file("part-0.safetensors") + ": missing tensor 'loops_before'"));
}

TEST_F(PartitionIoCorrupt, ManifestErrorsAreNamed) {
  const std::string path = file("manifest.json");
  std::string text = manifest();
  tmp_.write("p/manifest.json", text.substr(0, text.size() / 2));
  EXPECT_THAT(read_error(0), HasSubstr(path + ": not valid JSON"));
  EXPECT_THAT(test::error_message([&] { read_partition_count(dir_); }), HasSubstr(path));
  // Counts that do not add up.
  std::string changed = text;
  const auto at = changed.find("\"owned\": ");
  ASSERT_NE(at, std::string::npos);
  changed.insert(at + 9, "1");
  tmp_.write("p/manifest.json", changed);
  EXPECT_THAT(read_error(0), HasSubstr(path + ": the parts own"));
  // A part file that the manifest sends outside the folder.
  changed = text;
  const auto name = changed.find("part-1.safetensors");
  changed.replace(name, 18, "../x.safetensors");
  tmp_.write("p/manifest.json", changed);
  EXPECT_THAT(read_error(1), HasSubstr("not a file name inside the folder"));
  tmp_.write("p/manifest.json", text);
  EXPECT_THAT(read_error(9), HasSubstr(path + ": has 3 parts, no part 9"));
}

TEST_F(PartitionIoCorrupt, PartOfAnotherPartitionIsRefused) {
  // Another partition of the same data with the same part sizes: only the hash tells them apart.
  const std::string other = tmp_.path("other");
  write_partitions(other, data_, partition_nodes(data_.graph, 3, PartitionMethod::kRandom, 2), 3,
                   PartitionMethod::kRandom, 2);
  fs::copy_file(other + "/part-1.safetensors", file("part-1.safetensors"),
                fs::copy_options::overwrite_existing);
  EXPECT_THAT(read_error(1), HasSubstr("assignment_hash"));
}

TEST_F(PartitionIoCorrupt, ReplacingAPreviousPartitionWorks) {
  // Fewer parts over the 3: the new manifest lists 2; part-2 of the old one stays, unread.
  const auto two = partition_nodes(data_.graph, 2, PartitionMethod::kMetis, 0);
  write_partitions(dir_, data_, two, 2, PartitionMethod::kMetis, 0);
  EXPECT_EQ(read_partition_count(dir_), 2);
  expect_parts_match(data_, two, {read_partition(dir_, 0), read_partition(dir_, 1)});
  EXPECT_TRUE(fs::exists(file("part-2.safetensors")));
}

// A replacement that fails midway (here: part 1's temporary name is taken by a folder, as a
// full disk would fail a write) leaves the previous partition whole and readable, and no
// temporary file behind.
TEST_F(PartitionIoCorrupt, AFailedReplacementLeavesThePreviousPartition) {
  const std::vector<GraphPart> before = {read_partition(dir_, 0), read_partition(dir_, 1),
                                         read_partition(dir_, 2)};
  fs::create_directories(file(".part-1.safetensors.tmp/blocked"));
  const auto other = partition_nodes(data_.graph, 3, PartitionMethod::kMetis, 0);
  EXPECT_THROW(write_partitions(dir_, data_, other, 3, PartitionMethod::kMetis, 0), Error);
  EXPECT_EQ(read_partition_count(dir_), 3);
  expect_parts_match(data_, assignment_,
                     {read_partition(dir_, 0), read_partition(dir_, 1), read_partition(dir_, 2)});
  EXPECT_FALSE(fs::exists(file(".part-0.safetensors.tmp")));
  EXPECT_EQ(read_partition(dir_, 1).owned, before[1].owned);
}

TEST_F(PartitionIo, UnrelatedFolderIsRefusedAndLeftIntact) {
  const Dataset d = small_dense();
  const auto assignment = partition_nodes(d.graph, 2, PartitionMethod::kRandom, 0);
  fs::create_directories(tmp_.path("mine"));
  tmp_.write("mine/notes.txt", "precious");
  const std::string msg = test::error_message(
      [&] { write_partitions(tmp_.path("mine"), d, assignment, 2, PartitionMethod::kRandom, 0); });
  EXPECT_THAT(msg, HasSubstr(tmp_.path("mine") + ": the folder holds files that are not a gat "
                                                 "partition"));
  EXPECT_THAT(test::error_message([&] { check_partition_folder(tmp_.path("mine")); }),
              HasSubstr("not a gat partition"));
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(tmp_.path("mine"))) {
    names.push_back(e.path().filename().string());
  }
  EXPECT_EQ(names, std::vector<std::string>{"notes.txt"});
  std::ifstream in(tmp_.path("mine/notes.txt"));
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "precious");
  // A file where the folder should be.
  EXPECT_THAT(test::error_message([&] {
                write_partitions(tmp_.path("mine/notes.txt"), d, assignment, 2,
                                 PartitionMethod::kRandom, 0);
              }),
              HasSubstr("exists and is not a folder"));
  // A new folder, parents included, is created; an empty one is used.
  EXPECT_NO_THROW(check_partition_folder(tmp_.path("new/deeper")));
  write_partitions(tmp_.path("new/deeper"), d, assignment, 2, PartitionMethod::kRandom, 0);
  EXPECT_EQ(read_partition_count(tmp_.path("new/deeper")), 2);
  fs::create_directories(tmp_.path("empty"));
  write_partitions(tmp_.path("empty"), d, assignment, 2, PartitionMethod::kRandom, 0);
  EXPECT_EQ(read_partition_count(tmp_.path("empty")), 2);
}

}  // namespace
}  // namespace gat
