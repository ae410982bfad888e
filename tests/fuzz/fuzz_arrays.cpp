// Fuzz target: the node-array readers of gat/io/arrays.hpp (read_matrix, read_integers,
// read_labels, read_keyed_matrix, read_index_file, read_split_file) on an arbitrary file.
//
// Input: the whole file, written once and read by every reader, so one input reaches the .npy
// header parser, the .npz (zip) member reader, the gzip layer and the delimited-text parser,
// whichever its first bytes select. A gat::Error is the expected answer to a malformed input; a
// crash, a sanitizer report, another exception, or a result that breaks a reader's promise
// (a value that is not finite, an index outside [0, N), an index list not ascending) is a
// finding.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "fuzz/fuzz_support.hpp"
#include "gat/io/arrays.hpp"

namespace {

constexpr gat::NodeId kNodes = 64;  // the node count read_index_file checks against

void check_finite(const gat::Matrix<float>& m, const char* what) {
  for (Eigen::Index i = 0; i < m.size(); ++i) {
    if (!std::isfinite(m.data()[i]))
      gat::fuzz::finding(std::string(what) + ": a value is not finite");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using gat::fuzz::accepts;
  using gat::fuzz::finding;
  const std::string path = gat::fuzz::write_scratch("a", gat::fuzz::as_text(data, size)).string();

  gat::Matrix<float> m;
  if (accepts([&] { m = gat::read_matrix(path); })) check_finite(m, "read_matrix");

  std::vector<std::int64_t> ints;
  accepts([&] { ints = gat::read_integers(path); });

  gat::LabelColumn labels;
  for (const auto header : {gat::TextHeader::kAuto, gat::TextHeader::kAbsent}) {
    if (accepts([&] { labels = gat::read_labels(path, header); })) {
      if (!labels.keys.empty() && labels.keys.size() != labels.labels.size()) {
        finding("read_labels: keys and labels differ in length");
      }
      if (!labels.lines.empty() && labels.lines.size() != labels.labels.size()) {
        finding("read_labels: lines and labels differ in length");
      }
    }
  }

  gat::KeyedRows keyed;
  if (accepts([&] { keyed = gat::read_keyed_matrix(path); })) {
    check_finite(keyed.values, "read_keyed_matrix");
    if (static_cast<Eigen::Index>(keyed.keys.size()) != keyed.values.rows()) {
      finding("read_keyed_matrix: keys and rows differ in number");
    }
  }

  std::vector<gat::NodeId> index;
  if (accepts([&] { index = gat::read_index_file(path, kNodes); })) {
    for (std::size_t k = 0; k < index.size(); ++k) {
      if (index[k] < 0 || index[k] >= kNodes) finding("read_index_file: index outside [0, N)");
      if (k > 0 && index[k] <= index[k - 1]) finding("read_index_file: not strictly ascending");
    }
  }
  // Split files name nodes by id; here the ids "0".."63" are the nodes.
  gat::Split split;
  const auto lookup = [](std::string_view id) -> gat::NodeId {
    int v = -1;
    const auto [ptr, ec] = std::from_chars(id.data(), id.data() + id.size(), v);
    return ec == std::errc() && ptr == id.data() + id.size() && v >= 0 && v < kNodes ? v : -1;
  };
  if (accepts([&] { split = gat::read_split_file(path, lookup); })) {
    std::vector<char> seen(kNodes, 0);
    for (const auto* list : {&split.train, &split.val, &split.test}) {
      for (std::size_t k = 0; k < list->size(); ++k) {
        const gat::NodeId v = (*list)[k];
        if (v < 0 || v >= kNodes) finding("read_split_file: node outside [0, N)");
        if (seen[v]) finding("read_split_file: a node listed twice");
        seen[v] = 1;
        if (k > 0 && v <= (*list)[k - 1]) finding("read_split_file: not strictly ascending");
      }
    }
  }
  return 0;
}
