#include "gat/io/node_data.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/core/sparse_matrix.hpp"
#include "gat/data/split.hpp"
#include "gat/graph/build.hpp"
#include "gat/io/arrays.hpp"
#include "gat/io/input.hpp"
#include "text.hpp"

namespace gat {
namespace {

namespace fs = std::filesystem;
using io_detail::natural_less;
using io_detail::parse_int;
using io_detail::parse_whole;
using io_detail::shown;

// "nan" (any case) or empty: a node without a label, as OGB's float label columns mark them.
bool is_missing_label(std::string_view label) {
  if (label.empty()) return true;
  if (label.size() != 3) return false;
  auto lower = [](char c) { return static_cast<char>(c | 0x20); };
  return lower(label[0]) == 'n' && lower(label[1]) == 'a' && lower(label[2]) == 'n';
}

std::string file_stem(const std::string& path) {
  std::string name = fs::path(path).filename().string();
  for (const char* ext : {".gz", ".csv", ".tsv", ".txt", ".edges", ".el"}) {
    const std::string_view e(ext);
    if (name.size() > e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0) {
      name.resize(name.size() - e.size());
    }
  }
  return name.empty() ? "graph" : name;
}

// The files' node ids → node indices. String ids are looked up in `names` (the Dataset's
// node_names, which hold them), through a table of views built on the first look-up, so that
// the ids are stored once.
class NodeIndex {
 public:
  // by_id: node index = integer id in [0, n) (unkeyed arrays fixed N).
  NodeIndex(const NodeIds& ids, const std::vector<std::string>& names, bool by_id, NodeId n)
      : ids_(ids), names_(names), by_id_(by_id), n_(n) {}

  NodeId operator()(std::string_view id) {
    if (by_id_) {
      std::int64_t v = 0;
      if (!parse_int(io_detail::trim(id), v) || v < 0 || v >= n_) return -1;
      return static_cast<NodeId>(v);
    }
    if (ids_.integer) return ids_.find(id);
    if (map_.empty() && !names_.empty()) {
      map_.reserve(names_.size());
      for (std::size_t i = 0; i < names_.size(); ++i) {
        map_.emplace(names_[i], static_cast<NodeId>(i));
      }
    }
    const auto it = map_.find(id);
    return it == map_.end() ? -1 : it->second;
  }

 private:
  const NodeIds& ids_;
  const std::vector<std::string>& names_;
  bool by_id_;
  NodeId n_;
  std::unordered_map<std::string_view, NodeId> map_;
};

// Sparse storage costs 8 B per non-zero (column + value) and 8 B per row; dense 4 B per entry.
// Bag-of-words features (Cora: 1.3 % non-zero) are far smaller sparse, and the first projection
// is then a sparse × dense product; embeddings and other dense arrays stay dense.
void store_features(Matrix<float>&& dense, Dataset& out, NodeDataReport& report) {
  const auto nnz = static_cast<double>((dense.array() != 0.0f).count());
  const double sparse_bytes = 8.0 * nnz + 8.0 * (static_cast<double>(dense.rows()) + 1.0);
  const double dense_bytes = 4.0 * static_cast<double>(dense.size());
  if (sparse_bytes < dense_bytes) {
    out.features = from_dense(dense);
    report.sparse_features = true;
  } else {
    out.features = SparseMatrix<float>{};
    out.features.rows = dense.rows();
    out.features.row_ptr.assign(static_cast<std::size_t>(dense.rows()) + 1, 0);
    out.dense_features = std::move(dense);
  }
}

// Divides each row by its sum, as row_normalize does for sparse features: summed in double, in
// column order (zeros add nothing, so a dense row gets the bits of its sparse form). Row sums of
// 1 are for counts and frequencies (bag-of-words); a negative value makes a row's sum
// meaningless (it may cancel to near zero and blow the row up), so it is refused.
void normalize(Dataset& data, const std::string& path) {
  const auto refuse_negative = [&path](std::int64_t row, float v) {
    GAT_CHECK(!(v < 0.0f), path << ": --normalize divides each feature row by its sum, which "
                                   "needs non-negative features (counts, frequencies), but row "
                                << row << " holds " << v << "; load without normalising");
  };
  if (!data.has_dense_features()) {
    const auto& f = data.features;
    for (std::int64_t r = 0; r < f.rows; ++r) {
      for (EdgeId k = f.row_ptr[r]; k < f.row_ptr[r + 1]; ++k) refuse_negative(r, f.val[k]);
    }
    row_normalize(data.features);
    return;
  }
  auto& d = data.dense_features;
  for (std::int64_t r = 0; r < d.rows(); ++r) {
    double sum = 0;
    for (std::int64_t c = 0; c < d.cols(); ++c) {
      refuse_negative(r, d(r, c));
      sum += double(d(r, c));
    }
    if (sum == 0.0) continue;  // an all-zero row stays zero
    for (std::int64_t c = 0; c < d.cols(); ++c) d(r, c) = static_cast<float>(double(d(r, c)) / sum);
  }
}

// Labels as read → class indices. Integer labels are the class index itself (C = max + 1, so
// classes absent from the file keep their number); other labels are class names numbered in
// natural order. "nan" and empty labels mark nodes without one (-1).
void assign_labels(const LabelColumn& column, const std::vector<NodeId>& node_of_row,
                   const std::string& path, Dataset& out) {
  const std::size_t rows = column.labels.size();
  bool integer = true;
  std::vector<std::int64_t> value(rows, -1);
  for (std::size_t r = 0; r < rows && integer; ++r) {
    if (is_missing_label(column.labels[r])) continue;
    // A class index, written as an integer or as a float that is one ("3.0").
    integer = parse_whole(column.labels[r], value[r]);
  }
  std::vector<std::int32_t> cls(rows, -1);
  if (integer) {
    std::int64_t max_class = -1;
    for (std::size_t r = 0; r < rows; ++r) {
      if (is_missing_label(column.labels[r])) continue;
      GAT_CHECK(value[r] >= 0 && value[r] < (1 << 24),
                path << (column.lines.empty() ? "" : ":" + std::to_string(column.lines[r]))
                     << ": label " << shown(column.labels[r]) << " of node "
                     << shown(column.keys.empty() ? std::to_string(r) : column.keys[r])
                     << " is not a class index (integer labels must lie in [0, 2^24); write nan, "
                        "or leave the field empty, for a node without a label)");
      cls[r] = static_cast<std::int32_t>(value[r]);
      max_class = std::max(max_class, value[r]);
    }
    for (std::int64_t c = 0; c <= max_class; ++c) out.class_names.push_back(std::to_string(c));
  } else {
    std::vector<std::string_view> names;
    for (const auto& l : column.labels) {
      if (!is_missing_label(l)) names.emplace_back(l);
    }
    std::sort(names.begin(), names.end(), natural_less);
    names.erase(std::unique(names.begin(), names.end()), names.end());
    for (std::size_t r = 0; r < rows; ++r) {
      if (is_missing_label(column.labels[r])) continue;
      const auto it = std::lower_bound(names.begin(), names.end(),
                                       std::string_view(column.labels[r]), natural_less);
      cls[r] = static_cast<std::int32_t>(it - names.begin());
    }
    for (const auto n : names) out.class_names.emplace_back(n);
  }
  out.labels.assign(static_cast<std::size_t>(out.num_nodes()), -1);
  for (std::size_t r = 0; r < rows; ++r) {
    out.labels[static_cast<std::size_t>(node_of_row[r])] = cls[r];
  }
}

// The rows of a keyed file → node indices; every key must name a node of the edge list.
// lines: the file line of each row.
std::vector<NodeId> keyed_rows(const std::vector<std::string>& keys,
                               const std::vector<std::int64_t>& lines, NodeIndex& index,
                               const std::string& path) {
  std::vector<NodeId> node(keys.size());
  for (std::size_t r = 0; r < keys.size(); ++r) {
    node[r] = index(keys[r]);
    GAT_CHECK(node[r] >= 0, path << ":" << lines[r] << ": node " << shown(keys[r])
                                 << " is not in the edge list (a node without edges cannot be "
                                    "keyed; write the arrays unkeyed, one row per node id)");
  }
  return node;
}

bool is_directory(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(path, ec);
}

// train/valid/test index lists in `dir` (OGB's split/<name>/ layout).
Split read_split_dir(const std::string& dir, NodeId n) {
  Split split;
  const std::pair<const char*, std::vector<NodeId>*> parts[] = {
      {"train", &split.train}, {"valid", &split.val}, {"test", &split.test}};
  for (const auto& [name, list] : parts) {
    const std::string base = (fs::path(dir) / name).string();
    std::string path = base + ".csv";
    std::error_code ec;
    if (!fs::exists(path, ec) && !fs::exists(path + ".gz", ec) && fs::exists(base + ".npy", ec)) {
      path = base + ".npy";
    }
    *list = read_index_file(path, n);
  }
  return split;
}

// A stratified random split among the labelled nodes only, mapped back to node indices
// (monotone, so the lists stay ascending). Classes with no labelled node (a gap in integer
// labels, 1-based labels) are left out of the draw rather than failing it. The default
// (is_default: no --split given) is the Planetoid random:20,500,1000 where it fits; on fewer
// labelled nodes it is scaled down, and `spec` says to what: T = min(20, half the smallest
// class, at least 1) per class, then a third of the rest (at most 500) for validation and the
// remainder (at most 1000) for test.
Split random_split_of_labelled(const Dataset& data, RandomSplitSpec& spec, std::uint64_t seed,
                               bool is_default) {
  std::vector<std::int32_t> compact(static_cast<std::size_t>(data.num_classes()), -1);
  for (const std::int32_t y : data.labels) {
    if (y >= 0) compact[static_cast<std::size_t>(y)] = 0;
  }
  int present = 0;
  for (auto& c : compact) {
    if (c == 0) c = present++;
  }
  std::vector<NodeId> labelled;
  std::vector<std::int32_t> their_labels;
  for (NodeId i = 0; i < data.num_nodes(); ++i) {
    const std::int32_t y = data.labels[static_cast<std::size_t>(i)];
    if (y < 0) continue;
    labelled.push_back(i);
    their_labels.push_back(compact[static_cast<std::size_t>(y)]);
  }
  if (is_default && present > 0) {
    std::vector<std::int64_t> count(static_cast<std::size_t>(present), 0);
    for (const std::int32_t y : their_labels) ++count[static_cast<std::size_t>(y)];
    const std::int64_t smallest = *std::min_element(count.begin(), count.end());
    const auto labelled_count = static_cast<std::int64_t>(labelled.size());
    const bool fits = smallest >= spec.train_per_class &&
                      labelled_count - spec.train_per_class * present >= spec.val + spec.test;
    if (!fits) {
      spec.train_per_class = static_cast<int>(
          std::min<std::int64_t>(spec.train_per_class, std::max<std::int64_t>(1, smallest / 2)));
      const std::int64_t rest = labelled_count - std::int64_t{spec.train_per_class} * present;
      spec.val = std::min<std::int64_t>(spec.val, rest / 3);
      spec.test = std::min<std::int64_t>(spec.test, rest - spec.val);
    }
  }
  Split split = random_split(their_labels, present, spec, seed);
  for (auto* list : {&split.train, &split.val, &split.test}) {
    for (NodeId& v : *list) v = labelled[static_cast<std::size_t>(v)];
  }
  return split;
}

// The loader behind load_node_data and load_ogb. fixed_nodes ≥ 0: N is given (OGB's
// num-node-list), and ids are node indices.
Dataset load(const NodeDataFiles& files, NodeId fixed_nodes, const std::string& count_file,
             TextHeader label_header, NodeDataReport& report) {
  GAT_CHECK(!files.edges.empty(), "no edge list given");
  // Node models read no edge values: the reader counts the columns without storing E·D floats.
  EdgeListOptions edge_options = files.edge_options;
  edge_options.read_values = false;
  EdgeList el = read_edge_list(files.edges, edge_options);
  report.edges = el.report;
  report.edges_read = el.num_edges();
  report.value_columns = static_cast<std::int64_t>(el.value_names.size());

  const bool string_ids = !el.ids.integer;
  const bool keyed_features = !files.features.empty() && (string_ids || files.keyed_features);
  // Why the ids are strings, for messages: the first one that is not an integer.
  const std::string why_strings =
      string_ids ? "line " + std::to_string(el.report.first_string_id_line) + " has the id " +
                       shown(el.report.first_string_id) + ", not an integer"
                 : std::string();

  // Features first: an unkeyed array fixes N.
  Matrix<float> features;
  std::vector<std::string> feature_keys;
  std::vector<std::int64_t> feature_lines;
  if (!files.features.empty()) {
    if (keyed_features) {
      try {
        KeyedRows rows = read_keyed_matrix(files.features);
        features = std::move(rows.values);
        feature_keys = std::move(rows.keys);
        feature_lines = std::move(rows.lines);
      } catch (const Error& e) {
        if (!string_ids) throw;
        GAT_FAIL(e.what() << " (the edge list's node ids are strings: " << why_strings
                          << "; so each feature row must start with its node id)");
      }
    } else {
      features = read_matrix(files.features);
    }
  }
  LabelColumn labels;
  if (!files.labels.empty()) labels = read_labels(files.labels, label_header);

  // N and the node numbering.
  NodeId n = el.num_nodes();
  bool by_id = false;
  std::string unkeyed_file;  // the array whose rows fixed N
  std::int64_t unkeyed_rows = -1;
  const auto unkeyed = [&](const std::string& path, std::int64_t rows) {
    if (unkeyed_rows >= 0) {
      GAT_CHECK(rows == unkeyed_rows, path << ": " << rows << " rows, but " << unkeyed_file
                                           << " has " << unkeyed_rows
                                           << " (arrays without node ids hold one row per node)");
      return;
    }
    unkeyed_file = path;
    unkeyed_rows = rows;
  };
  if (fixed_nodes >= 0) unkeyed(count_file, fixed_nodes);
  if (!files.features.empty() && !keyed_features) unkeyed(files.features, features.rows());
  if (!files.labels.empty() && labels.keys.empty()) {
    unkeyed(files.labels, static_cast<std::int64_t>(labels.labels.size()));
  }
  if (unkeyed_rows >= 0) {
    GAT_CHECK(!string_ids, files.edges << ": node ids are strings (" << why_strings << "), but "
                                       << unkeyed_file
                                       << " has no node id column; write the ids in its first "
                                          "column (text), or number the nodes 0..N-1");
    GAT_CHECK(unkeyed_rows <= std::numeric_limits<NodeId>::max(),
              unkeyed_file << ": " << unkeyed_rows << " rows: node ids are 32-bit");
    if (el.num_nodes() > 0) {
      const std::int64_t lo = el.ids.ints.front();
      const std::int64_t hi = el.ids.ints.back();
      GAT_CHECK(lo >= 0 && hi < unkeyed_rows,
                files.edges << ": node id " << (lo < 0 ? lo : hi) << " is outside [0, "
                            << unkeyed_rows << "): " << unkeyed_file << " holds " << unkeyed_rows
                            << " rows, one per node id 0.." << unkeyed_rows - 1);
    }
    // Node index = id: renumber the edges from the reader's compact indices.
    for (NodeId& s : el.src) s = static_cast<NodeId>(el.ids.ints[static_cast<std::size_t>(s)]);
    for (NodeId& d : el.dst) d = static_cast<NodeId>(el.ids.ints[static_cast<std::size_t>(d)]);
    n = static_cast<NodeId>(unkeyed_rows);
    by_id = true;
  }
  Dataset out;
  out.name = files.name.empty() ? file_stem(files.edges) : files.name;
  if (string_ids) {
    out.node_names = std::move(el.ids.strings);  // held once: the index looks them up there
  } else {
    out.node_names.resize(static_cast<std::size_t>(n));
    for (NodeId i = 0; i < n; ++i) {
      out.node_names[static_cast<std::size_t>(i)] = by_id ? std::to_string(i) : el.ids.name(i);
    }
  }
  NodeIndex index(el.ids, out.node_names, by_id, n);

  BuildOptions build;
  build.symmetrize = files.undirected;
  build.duplicates = Duplicates::kDrop;
  build.self_loops = SelfLoops::kKeep;  // the model's policy applies them
  const EdgeId stored = static_cast<EdgeId>(el.src.size()) * (files.undirected ? 2 : 1);
  std::vector<NodeId> src = std::move(el.src);
  std::vector<NodeId> dst = std::move(el.dst);
  out.graph = build_csr(n, std::move(src), std::move(dst), build);
  // `stored` counted each loop i→i twice, but symmetrising adds no reverse of a loop.
  report.duplicates_dropped =
      stored - out.graph.num_edges() - (files.undirected ? el.report.self_loops : 0);
  for (NodeId i = 0; i < n; ++i) {
    report.isolated += out.graph.in_degree(i) == 0 && out.graph.out_degree(i) == 0;
  }

  // Features in node order.
  if (!files.features.empty()) {
    if (keyed_features) {
      const std::vector<NodeId> node =
          keyed_rows(feature_keys, feature_lines, index, files.features);
      Matrix<float> ordered(n, features.cols());
      std::vector<char> seen(static_cast<std::size_t>(n), 0);
      for (std::size_t r = 0; r < node.size(); ++r) {
        ordered.row(node[r]) = features.row(static_cast<Eigen::Index>(r));
        GAT_CHECK(!seen[static_cast<std::size_t>(node[r])],
                  files.features << ":" << feature_lines[r] << ": node " << shown(feature_keys[r])
                                 << " has a second row (ids that are the same number, such as 7 "
                                    "and 007, are one node)");
        seen[static_cast<std::size_t>(node[r])] = 1;
      }
      for (NodeId i = 0; i < n; ++i) {
        GAT_CHECK(seen[static_cast<std::size_t>(i)],
                  files.features << ": node " << shown(out.node_names[static_cast<std::size_t>(i)])
                                 << " of the edge list has no feature row");
      }
      features = std::move(ordered);
    }
    store_features(std::move(features), out, report);
    if (files.normalize_features) normalize(out, files.features);
  } else {
    out.features.rows = n;
    out.features.row_ptr.assign(static_cast<std::size_t>(n) + 1, 0);
  }

  // Labels in node order.
  if (!files.labels.empty()) {
    std::vector<NodeId> node;
    if (labels.keys.empty()) {
      node.resize(labels.labels.size());
      for (std::size_t r = 0; r < node.size(); ++r) node[r] = static_cast<NodeId>(r);
    } else {
      node = keyed_rows(labels.keys, labels.lines, index, files.labels);
      std::vector<char> seen(static_cast<std::size_t>(n), 0);
      for (std::size_t r = 0; r < node.size(); ++r) {
        GAT_CHECK(!seen[static_cast<std::size_t>(node[r])],
                  files.labels << ":" << labels.lines[r] << ": node " << shown(labels.keys[r])
                               << " has a second label (ids that are the same number, such as 7 "
                                  "and 007, are one node)");
        seen[static_cast<std::size_t>(node[r])] = 1;
      }
    }
    assign_labels(labels, node, files.labels, out);
    report.unlabelled = static_cast<NodeId>(std::count(out.labels.begin(), out.labels.end(), -1));
  } else {
    out.labels.assign(static_cast<std::size_t>(n), -1);
    report.unlabelled = n;
  }

  // The split.
  const bool has_labels = !files.labels.empty();
  const std::string& s = files.split;
  const bool random = s == "random" || s.starts_with("random:");
  if (s == "none" || (s.empty() && !has_labels)) {
    report.split = s.empty() ? "none (no labels)" : "none";
  } else if (s.empty() || random) {
    RandomSplitSpec spec = parse_random_split(s.empty() ? "random" : s);
    GAT_CHECK(has_labels, "--split " << s << ": a random split needs labels");
    const RandomSplitSpec asked = spec;
    Split split = random_split_of_labelled(out, spec, files.seed, s.empty());
    out.train = std::move(split.train);
    out.val = std::move(split.val);
    out.test = std::move(split.test);
    const bool scaled = spec.train_per_class != asked.train_per_class || spec.val != asked.val ||
                        spec.test != asked.test;
    report.split =
        "random:" + std::to_string(spec.train_per_class) + "," + std::to_string(spec.val) + "," +
        std::to_string(spec.test) + " (seed " + std::to_string(files.seed) +
        (scaled ? "; the default random:20,500,1000 scaled to the labelled nodes" : "") + ")";
  } else {
    Split split;
    if (is_directory(s)) {
      // Index lists hold node indices: the ids themselves only when nodes are numbered by id.
      const bool ids_are_indices =
          by_id ||
          (!string_ids &&
           (n == 0 || (el.ids.ints.front() == 0 && el.ids.ints.back() == std::int64_t{n} - 1)));
      GAT_CHECK(ids_are_indices,
                s << ": a folder of index lists (train.csv, valid.csv, test.csv) names nodes "
                     "by index 0..N-1, but the edge list's ids are not 0..N-1; write a split "
                     "file of 'node_id train|val|test' lines instead");
      split = read_split_dir(s, n);
    } else {
      split = read_split_file(s, [&index](std::string_view id) { return index(id); });
    }
    validate_split(split, n);
    out.train = std::move(split.train);
    out.val = std::move(split.val);
    out.test = std::move(split.test);
    report.split = "file " + s;
  }
  for (const auto* list : {&out.train, &out.val, &out.test}) {
    for (const NodeId v : *list) {
      GAT_CHECK(out.labels[static_cast<std::size_t>(v)] >= 0,
                (s.empty() ? std::string("the split") : s)
                    << ": node " << shown(out.node_names[static_cast<std::size_t>(v)])
                    << " is in the split but has no label"
                    << (has_labels ? " in " + files.labels : std::string(" (no --labels file)")));
    }
  }
  return out;
}

// The one entry of dir/split, or dir/split/name.
std::string ogb_split_dir(const std::string& dir, const std::string& name) {
  const fs::path root = fs::path(dir) / "split";
  std::error_code ec;
  if (!name.empty()) {
    const fs::path p = root / name;
    GAT_CHECK(fs::is_directory(p, ec), p.string() << ": no such split folder");
    return p.string();
  }
  GAT_CHECK(fs::is_directory(root, ec), root.string() << ": no split folder (OGB layout: "
                                                         "split/<name>/train.csv.gz ...)");
  std::vector<std::string> found;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    if (entry.is_directory()) found.push_back(entry.path().filename().string());
  }
  GAT_CHECK(found.size() == 1, root.string() << ": expected one split folder, found "
                                             << found.size() << "; name the one to use");
  return (root / found[0]).string();
}

}  // namespace

Dataset load_node_data(const NodeDataFiles& files, NodeDataReport* report) {
  NodeDataReport local;
  Dataset out = load(files, -1, "", TextHeader::kAuto, local);
  if (report) *report = std::move(local);
  return out;
}

Dataset load_ogb(const std::string& dir, const OgbOptions& options, NodeDataReport* report) {
  const fs::path raw = fs::path(dir) / "raw";
  std::error_code ec;
  GAT_CHECK(fs::is_directory(raw, ec),
            raw.string() << ": not an OGB dataset folder (expected raw/edge.csv.gz, "
                            "raw/node-feat.csv.gz, raw/node-label.csv.gz, split/<name>/)");
  const auto file = [&raw](const char* name) { return (raw / name).string(); };
  const std::vector<std::int64_t> counts = read_integers(file("num-node-list.csv"));
  GAT_CHECK(counts.size() == 1, file("num-node-list.csv")
                                    << ": " << counts.size()
                                    << " node counts; a node-property dataset is one graph");
  GAT_CHECK(counts[0] >= 0 && counts[0] <= std::numeric_limits<NodeId>::max(),
            file("num-node-list.csv") << ": node count " << counts[0] << " out of range");

  NodeDataFiles files;
  files.edges = file("edge.csv");
  files.edge_options.format = EdgeListFormat::kCsv;
  files.edge_options.header = Header::kNo;
  const auto present = [](const std::string& path) {
    std::error_code e;
    return fs::exists(path, e) || fs::exists(path + ".gz", e);
  };
  if (present(file("node-feat.csv"))) files.features = file("node-feat.csv");
  if (present(file("node-label.csv"))) files.labels = file("node-label.csv");
  files.split = ogb_split_dir(dir, options.split_name);
  files.undirected = options.undirected;
  files.normalize_features = options.normalize_features;
  std::string name = fs::path(dir).filename().string();
  if (name.empty()) name = fs::path(dir).parent_path().filename().string();
  files.name = name;

  NodeDataReport local;
  Dataset out = load(files, static_cast<NodeId>(counts[0]), file("num-node-list.csv"),
                     TextHeader::kAbsent, local);
  if (report) *report = std::move(local);
  return out;
}

}  // namespace gat
