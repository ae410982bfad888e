// Fuzz target: gat::read_edge_list on an arbitrary file.
//
// Input: the whole file. It is written three times, as f.txt, f.csv and f.tsv, so that one
// input runs through the three separators (the format follows the extension), each read with
// Header::kAuto; the CSV copy is also read with Header::kYes and Header::kNo. An input starting
// with gzip's magic bytes is read as gzip. A gat::Error is the expected answer to a malformed
// input; a crash, a sanitizer report, another exception or an EdgeList that breaks the
// reader's promises is a finding.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_set>

#include "fuzz/fuzz_support.hpp"
#include "gat/graph/build.hpp"
#include "gat/io/edge_list.hpp"

namespace {

// What read_edge_list promises of the EdgeList it returns.
void check_edge_list(const gat::EdgeList& e) {
  using gat::fuzz::finding;
  const gat::NodeId n = e.num_nodes();
  const gat::EdgeId m = e.num_edges();
  if (e.src.size() != e.dst.size()) finding("src and dst differ in length");
  for (std::size_t k = 0; k < e.src.size(); ++k) {
    if (e.src[k] < 0 || e.src[k] >= n || e.dst[k] < 0 || e.dst[k] >= n) {
      finding("an edge names a node outside [0, N)");
    }
  }
  if (e.ids.integer) {
    if (!e.ids.strings.empty()) finding("integer ids with strings");
    if (!std::is_sorted(e.ids.ints.begin(), e.ids.ints.end()) ||
        std::adjacent_find(e.ids.ints.begin(), e.ids.ints.end()) != e.ids.ints.end()) {
      finding("integer ids not strictly ascending");
    }
  } else {
    if (!e.ids.ints.empty()) finding("string ids with integers");
    const std::unordered_set<std::string> distinct(e.ids.strings.begin(), e.ids.strings.end());
    if (distinct.size() != e.ids.strings.size()) finding("a string id twice");
  }
  // Every node is used by some edge, and finds itself by its name.
  std::vector<bool> used(static_cast<std::size_t>(n), false);
  for (std::size_t k = 0; k < e.src.size(); ++k) {
    used[static_cast<std::size_t>(e.src[k])] = used[static_cast<std::size_t>(e.dst[k])] = true;
  }
  if (std::find(used.begin(), used.end(), false) != used.end()) finding("a node without edges");
  for (gat::NodeId i = 0; i < n; ++i) {
    if (e.ids.find(e.ids.name(i)) != i) finding("find(name(i)) is not i");
  }
  if (static_cast<std::size_t>(e.values.cols()) != e.value_names.size()) {
    finding("value names and value columns differ in number");
  }
  if (e.values.cols() > 0 && e.values.rows() != m) finding("values do not have E rows");
  if (e.values.cols() == 0 && e.values.rows() != 0) finding("values without columns have rows");
  if (!e.values.allFinite()) finding("a value that is not finite");
  const auto& r = e.report;
  if (r.self_loops < 0 || r.self_loops > m || r.duplicates < 0 ||
      r.duplicates >= std::max(m, gat::EdgeId{1})) {
    finding("self-loop or duplicate count out of range");
  }
  if (r.comments < 0 || r.blank < 0 || r.lines < r.comments + r.blank + m) {
    finding("line counts do not add up");
  }
  const gat::CsrGraph g = gat::build_csr(n, e.src, e.dst);
  if (g.num_self_loops() != r.self_loops) finding("self loops differ from the graph's");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto bytes = gat::fuzz::as_text(data, size);
  for (const char* name : {"f.txt", "f.csv", "f.tsv"}) {
    const std::string path = gat::fuzz::write_scratch(name, bytes).string();
    for (const gat::Header header : {gat::Header::kAuto, gat::Header::kYes, gat::Header::kNo}) {
      if (header != gat::Header::kAuto && std::string(name) != "f.csv") continue;
      gat::EdgeListOptions options;
      options.header = header;
      gat::EdgeList e;
      if (gat::fuzz::accepts([&] { e = gat::read_edge_list(path, options); })) check_edge_list(e);
    }
  }
  return 0;
}
