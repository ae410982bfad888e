#include "gat/io/tu.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/io/input.hpp"
#include "text.hpp"

namespace gat {
namespace {

// The text helpers (whole file in memory, no per-line allocation, every message "path:line: what
// is wrong") are shared with the LINQS reader.
using io_detail::LineReader;
using io_detail::read_file;
using io_detail::shown;
using io_detail::skip_plus;
using io_detail::trim;

// One TU file: its path, what each of its lines describes, and how many lines it must have.
// In the TU format line k describes node, edge or graph k, so the line count is fixed by another
// file (`reference`), and a blank line can only be trailing: one in the middle would shift every
// later line onto the wrong node.
struct TuFile {
  std::string path;
  const char* item;       // "node", "edge" or "graph"
  std::int64_t expected;  // required number of lines; -1 when this file fixes the count
  std::string reference;  // the file that fixed `expected`, for messages
};

// Calls fn(line, line_no, k) for the k-th non-blank line (k from 0) and returns the count.
template <typename Fn>
std::int64_t for_each_line(const TuFile& file, std::string_view text, Fn&& fn) {
  LineReader lines(text);
  std::string_view line;
  std::int64_t count = 0;
  std::int64_t first_blank = 0;  // line number of the first blank line seen, 0 = none
  std::int64_t last_line = 0;    // line number of the last non-blank line
  while (lines.next(line)) {
    const std::int64_t line_no = lines.line_number();
    if (line.empty()) {
      if (first_blank == 0) first_blank = line_no;
      continue;
    }
    GAT_CHECK(first_blank == 0, file.path << ":" << first_blank << ": blank line before the end of "
                                          << "the file; line k must describe " << file.item
                                          << " k, so only trailing blank lines are allowed");
    if (count == file.expected) {
      GAT_FAIL(file.path << ":" << line_no << ": one line too many: expected " << file.expected
                         << " lines, one per " << file.item << " of " << file.reference);
    }
    fn(line, line_no, count);
    ++count;
    last_line = line_no;
  }
  if (count == 0) {
    if (file.expected >= 0) {
      GAT_FAIL(file.path << ":1: empty file: expected " << file.expected << " lines, one per "
                         << file.item << " of " << file.reference);
    }
    GAT_FAIL(file.path << ":1: empty file: expected one line per " << file.item);
  }
  if (file.expected >= 0 && count < file.expected) {
    GAT_FAIL(file.path << ":" << last_line + 1 << ": the file ends after " << count
                       << " lines, but " << file.reference << " has " << file.expected
                       << " (one line per " << file.item << ")");
  }
  return count;
}

// Splits a line at commas into trimmed fields; returns the field count.
std::size_t split_fields(std::string_view line, std::vector<std::string_view>& fields) {
  fields.clear();
  while (true) {
    const std::size_t comma = line.find(',');
    fields.push_back(trim(line.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    line.remove_prefix(comma + 1);
  }
  return fields.size();
}

// Parses a whole field as a 64-bit integer, else fails naming `what` ("the graph id").
std::int64_t parse_int(std::string_view field, const std::string& path, std::int64_t line_no,
                       const char* what) {
  const char* last = field.data() + field.size();
  std::int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(skip_plus(field.data(), last), last, value);
  if (ec == std::errc::result_out_of_range && ptr == last) {
    GAT_FAIL(path << ":" << line_no << ": " << what << " " << shown(field)
                  << " does not fit a 64-bit integer");
  }
  if (ec != std::errc() || ptr != last) {
    GAT_FAIL(path << ":" << line_no << ": " << what << " is not an integer: " << shown(field));
  }
  return value;
}

// Parses a whole field as a finite float: an attribute must be a real number, so "nan", "inf"
// and values beyond float range are refused (they would poison every layer they reach).
float parse_float(std::string_view field, const std::string& path, std::int64_t line_no,
                  std::size_t column) {
  const char* last = field.data() + field.size();
  double value = 0;
  const auto [ptr, ec] = std::from_chars(skip_plus(field.data(), last), last, value);
  if ((ec != std::errc() && ec != std::errc::result_out_of_range) || ptr != last) {
    GAT_FAIL(path << ":" << line_no << ": value " << column
                  << " is not a number: " << shown(field));
  }
  if (ec == std::errc::result_out_of_range || !std::isfinite(value) ||
      std::fabs(value) > static_cast<double>(std::numeric_limits<float>::max())) {
    GAT_FAIL(path << ":" << line_no << ": value " << column << " is not a finite 32-bit float: "
                  << shown(field) << " (attributes must be real numbers)");
  }
  return static_cast<float>(value);
}

// ---- The files. ----

// Graph id per node: 1 on the first line, then each line equal to the previous or one more, so
// the nodes of each graph are contiguous and no graph is empty. Fills node_offsets (G + 1).
std::vector<std::int32_t> parse_indicator(const TuFile& file, std::string_view text,
                                          std::vector<EdgeId>& node_offsets) {
  std::vector<std::int32_t> graph_of;  // (N) 0-based graph of each node
  std::vector<std::string_view> fields;
  node_offsets.clear();
  std::int64_t previous = 0;
  for_each_line(file, text, [&](std::string_view line, std::int64_t line_no, std::int64_t node) {
    io_detail::check_node_count(node + 1, file.path, line_no);
    if (split_fields(line, fields) != 1) {
      GAT_FAIL(file.path << ":" << line_no << ": expected 1 value (the graph id of node "
                         << node + 1 << "), found " << fields.size() << " comma-separated values");
    }
    const std::int64_t g = parse_int(fields[0], file.path, line_no, "the graph id");
    if (node == 0) {
      GAT_CHECK(g == 1, file.path << ":" << line_no << ": the first graph id must be 1, found " << g
                                  << " (graph ids are 1-based and start with graph 1)");
    } else if (g < previous) {
      GAT_FAIL(file.path << ":" << line_no << ": graph id " << g << " after " << previous
                         << ": graph ids must be non-decreasing, since the nodes of a graph are "
                         << "contiguous");
    } else if (g > previous + 1) {
      GAT_FAIL(file.path << ":" << line_no << ": graph id " << g << " after " << previous
                         << " skips graph " << previous + 1 << "; every graph needs a node");
    }
    if (g != previous) node_offsets.push_back(node);  // node starts graph g
    graph_of.push_back(static_cast<std::int32_t>(g - 1));
    previous = g;
  });
  node_offsets.push_back(static_cast<EdgeId>(graph_of.size()));
  return graph_of;
}

// One integer per line (graph, node or edge labels).
std::vector<std::int64_t> parse_ints(const TuFile& file, std::string_view text, const char* what) {
  std::vector<std::int64_t> values;
  if (file.expected > 0) values.reserve(static_cast<std::size_t>(file.expected));
  std::vector<std::string_view> fields;
  for_each_line(file, text, [&](std::string_view line, std::int64_t line_no, std::int64_t k) {
    if (split_fields(line, fields) != 1) {
      GAT_FAIL(file.path << ":" << line_no << ": expected 1 value (" << what << " of " << file.item
                         << " " << k + 1 << "), found " << fields.size()
                         << " comma-separated values");
    }
    values.push_back(parse_int(fields[0], file.path, line_no, what));
  });
  return values;
}

// Comma-separated reals, as many per line as on the first line; returns them row-major and sets
// `width` to the count per line.
std::vector<float> parse_attributes(const TuFile& file, std::string_view text,
                                    std::int64_t& width) {
  std::vector<float> values;
  std::vector<std::string_view> fields;
  width = -1;
  for_each_line(file, text, [&](std::string_view line, std::int64_t line_no, std::int64_t) {
    const auto n = static_cast<std::int64_t>(split_fields(line, fields));
    if (width < 0) {
      width = n;
      if (file.expected > 0) values.reserve(static_cast<std::size_t>(file.expected * width));
    }
    GAT_CHECK(n == width, file.path << ":" << line_no << ": expected " << width
                                    << " comma-separated values (as on the first line), found "
                                    << n);
    for (std::size_t c = 0; c < fields.size(); ++c) {
      values.push_back(parse_float(fields[c], file.path, line_no, c + 1));
    }
  });
  return values;
}

// _A.txt: "row, col" per line, 1-based, each the directed edge row → col inside one graph.
void parse_edges(const TuFile& file, std::string_view text, const std::string& indicator_path,
                 const std::vector<std::int32_t>& graph_of, const std::vector<EdgeId>& node_offsets,
                 std::vector<NodeId>& src, std::vector<NodeId>& dst) {
  const auto n = static_cast<std::int64_t>(graph_of.size());
  std::vector<std::string_view> fields;
  auto node_id = [&](std::string_view field, std::int64_t line_no, const char* what) {
    const std::int64_t id = parse_int(field, file.path, line_no, what);
    GAT_CHECK(id >= 1 && id <= n, file.path << ":" << line_no << ": node id " << id
                                            << " is out of range: " << indicator_path << " lists "
                                            << n << " nodes, so ids run from 1 to " << n);
    return static_cast<NodeId>(id - 1);
  };
  for_each_line(file, text, [&](std::string_view line, std::int64_t line_no, std::int64_t) {
    if (split_fields(line, fields) != 2) {
      GAT_FAIL(file.path << ":" << line_no << ": expected 2 comma-separated values (row, col), "
                         << "found " << fields.size());
    }
    const NodeId u = node_id(fields[0], line_no, "the row (source node id)");
    const NodeId v = node_id(fields[1], line_no, "the col (target node id)");
    const std::int32_t gu = graph_of[u];
    const std::int32_t gv = graph_of[v];
    if (gu != gv) {
      GAT_FAIL(file.path << ":" << line_no << ": edge " << u + 1 << ", " << v + 1 << " joins graph "
                         << gu + 1 << " (nodes " << node_offsets[gu] + 1 << ".."
                         << node_offsets[gu + 1] << ") and graph " << gv + 1 << " (nodes "
                         << node_offsets[gv] + 1 << ".." << node_offsets[gv + 1]
                         << "); the graphs of a dataset must be disjoint");
    }
    src.push_back(u);
    dst.push_back(v);
  });
}

// The ascending distinct values of `values`, and each value's index among them.
std::vector<std::int64_t> categories(const std::vector<std::int64_t>& values,
                                     std::vector<std::int32_t>& index) {
  std::vector<std::int64_t> distinct = values;
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  index.resize(values.size());
  for (std::size_t k = 0; k < values.size(); ++k) {
    index[k] = static_cast<std::int32_t>(
        std::lower_bound(distinct.begin(), distinct.end(), values[k]) - distinct.begin());
  }
  return distinct;
}

std::string in_dir(const std::filesystem::path& dir, const std::string& name,
                   const std::string& suffix) {
  return (dir / (name + suffix)).string();
}

// Plain or gzip-compressed (".gz"), as read_file reads them.
bool exists(const std::string& path) { return input_exists(path); }

// The feature rows of one kind of item ("node" or "edge") from its optional files: one-hot
// columns over the distinct values of <name>_<item>_labels.txt, then the columns of
// <name>_<item>_attributes.txt. A file is read only when enabled and present; each has one line
// per item, `rows` lines as `reference` fixes. `order` maps each output row to its line (null:
// the identity, for nodes; slot → line for edges). Sets `label_values` to the distinct labels,
// ascending, and leaves it empty without labels. (rows, 0) when neither file is read.
Matrix<float> read_item_features(const std::filesystem::path& base, const std::string& name,
                                 const std::string& item, std::int64_t rows,
                                 const std::string& reference, bool use_labels, bool use_attributes,
                                 const std::vector<EdgeId>* order,
                                 std::vector<std::int64_t>& label_values) {
  const std::string labels_path = in_dir(base, name, "_" + item + "_labels.txt");
  const std::string attributes_path = in_dir(base, name, "_" + item + "_attributes.txt");
  std::vector<std::int32_t> label_index;
  label_values.clear();
  if (use_labels && exists(labels_path)) {
    label_values =
        categories(parse_ints({labels_path, item.c_str(), rows, reference}, read_file(labels_path),
                              ("the " + item + " label").c_str()),
                   label_index);
  }
  std::vector<float> attributes;
  std::int64_t width = 0;
  if (use_attributes && exists(attributes_path)) {
    attributes = parse_attributes({attributes_path, item.c_str(), rows, reference},
                                  read_file(attributes_path), width);
  }
  const auto num_categories = static_cast<std::int64_t>(label_values.size());
  Matrix<float> out = Matrix<float>::Zero(rows, num_categories + width);
  for (std::int64_t r = 0; r < rows; ++r) {
    const std::int64_t line = order ? (*order)[r] : r;
    if (num_categories > 0) out(r, label_index[line]) = 1.0f;
    for (std::int64_t c = 0; c < width; ++c) {
      out(r, num_categories + c) = attributes[line * width + c];
    }
  }
  return out;
}

}  // namespace

GraphDataset load_tu(const std::string& dir, const std::string& name, const TuOptions& options) {
  const std::filesystem::path base(dir);
  {
    std::error_code ec;
    GAT_CHECK(std::filesystem::is_directory(base, ec),
              dir << ": not a directory; expected the folder holding " << name << "_A.txt");
  }
  const std::string a_path = in_dir(base, name, "_A.txt");
  const std::string indicator_path = in_dir(base, name, "_graph_indicator.txt");
  const std::string graph_labels_path = in_dir(base, name, "_graph_labels.txt");

  for (const std::string* required : {&a_path, &indicator_path, &graph_labels_path}) {
    GAT_CHECK(exists(*required), *required << ": cannot open file (no such file); a TU dataset "
                                           << "needs " << name << "_A.txt, " << name
                                           << "_graph_indicator.txt and " << name
                                           << "_graph_labels.txt in " << dir);
  }

  GraphDataset data;
  data.name = name;

  // Nodes and graphs, from the indicator: every other file's line count follows from it.
  const std::vector<std::int32_t> graph_of = parse_indicator(
      {indicator_path, "node", -1, ""}, read_file(indicator_path), data.node_offsets);
  const auto n = static_cast<std::int64_t>(graph_of.size());
  const auto g = static_cast<std::int64_t>(data.node_offsets.size()) - 1;

  // Graph labels → class indices in ascending numeric order; the values become class names.
  {
    const std::vector<std::int64_t> values =
        parse_ints({graph_labels_path, "graph", g, indicator_path}, read_file(graph_labels_path),
                   "the graph label");
    const std::vector<std::int64_t> classes = categories(values, data.labels);
    for (const std::int64_t c : classes) data.class_names.push_back(std::to_string(c));
  }

  // Node features. With no node data (or all of it disabled), one constant feature, so that a
  // model has an input and can still learn from structure alone.
  data.node_features =
      read_item_features(base, name, "node", n, indicator_path, options.node_labels,
                         options.node_attributes, nullptr, data.node_label_values);
  if (data.node_features.cols() == 0) {
    data.node_features = Matrix<float>::Ones(n, 1);
    data.constant_node_feature = true;
  }

  // Edges, in file order.
  std::vector<NodeId> src;
  std::vector<NodeId> dst;
  parse_edges({a_path, "edge", -1, ""}, read_file(a_path), indicator_path, graph_of,
              data.node_offsets, src, dst);
  const auto e = static_cast<std::int64_t>(src.size());

  // Destination-keyed CSR by a stable two-pass counting sort (LSD radix): first by source, then
  // by destination, so slots are ordered by (dst, src) and lines with equal (dst, src) keep file
  // order. Duplicate lines and self loops are kept: the file is taken as it is. O(N + E).
  std::vector<EdgeId> order(static_cast<std::size_t>(e));  // slot → line of _A.txt
  {
    std::vector<EdgeId> by_src(static_cast<std::size_t>(e));
    std::vector<EdgeId> next(static_cast<std::size_t>(n) + 1, 0);
    for (const NodeId u : src) ++next[u + 1];
    for (std::int64_t i = 0; i < n; ++i) next[i + 1] += next[i];
    for (std::int64_t k = 0; k < e; ++k) by_src[next[src[k]]++] = k;

    std::vector<EdgeId> row_ptr(static_cast<std::size_t>(n) + 1, 0);
    for (const NodeId v : dst) ++row_ptr[v + 1];
    for (std::int64_t i = 0; i < n; ++i) row_ptr[i + 1] += row_ptr[i];
    next.assign(row_ptr.begin(), row_ptr.end() - 1);
    for (const EdgeId k : by_src) order[next[dst[k]]++] = k;

    std::vector<NodeId> slot_src(static_cast<std::size_t>(e));
    for (std::int64_t p = 0; p < e; ++p) slot_src[p] = src[order[p]];
    data.graph = CsrGraph(static_cast<NodeId>(n), std::move(row_ptr), std::move(slot_src));
  }

  // Edge features, following each line into its slot.
  data.edge_features = read_item_features(base, name, "edge", e, a_path, options.edge_labels,
                                          options.edge_attributes, &order, data.edge_label_values);
  return data;
}

}  // namespace gat
