#include "gat/io/tu.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "gat/core/error.hpp"

namespace gat {
namespace {

// ---- Text helpers (the same habits as the LINQS reader: whole file in memory, no per-line
// allocation, every message "path:line: what is wrong"). ----

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

std::string read_file(const std::string& path) {
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    const int err = errno;
    GAT_FAIL(path << ": cannot open file (" << std::generic_category().message(err) << ")");
  }
  std::string text;
  char chunk[1 << 16];
  while (std::size_t n = std::fread(chunk, 1, sizeof chunk, file.get())) text.append(chunk, n);
  if (std::ferror(file.get())) {
    const int err = errno;
    GAT_FAIL(path << ": cannot read file (" << std::generic_category().message(err) << ")");
  }
  return text;
}

// '\r' is whitespace so that CRLF files parse like LF files; TU attribute files pad values with
// spaces (" 23.000000").
inline bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

std::string_view trim(std::string_view s) {
  std::size_t b = 0;
  std::size_t e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  return s.substr(b, e - b);
}

// A token as it appears in a message: quoted, cut short, control bytes replaced.
std::string shown(std::string_view token) {
  constexpr std::size_t kMax = 40;
  std::string out = "'";
  for (std::size_t i = 0; i < token.size() && i < kMax; ++i) {
    const auto c = static_cast<unsigned char>(token[i]);
    out += (c < 0x20 || c == 0x7F) ? '?' : static_cast<char>(c);
  }
  if (token.size() > kMax) out += "...";
  out += "'";
  return out;
}

// Every line of a buffer, trimmed, blank ones included (the caller decides what a blank means).
class LineReader {
 public:
  explicit LineReader(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {
    if (text.size() >= 3 && text.compare(0, 3, "\xEF\xBB\xBF") == 0) p_ += 3;  // UTF-8 BOM
  }

  bool next(std::string_view& line) {
    if (p_ >= end_) return false;
    const auto* newline = static_cast<const char*>(std::memchr(p_, '\n', end_ - p_));
    const char* end = newline ? newline : end_;
    line = trim(std::string_view(p_, static_cast<std::size_t>(end - p_)));
    p_ = newline ? newline + 1 : end_;
    ++line_;
    return true;
  }

  std::int64_t line_number() const { return line_; }

 private:
  const char* p_;
  const char* end_;
  std::int64_t line_ = 0;
};

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

// from_chars, unlike strtol and strtod, rejects an explicit plus sign that some writers emit.
const char* skip_plus(const char* first, const char* last) {
  return last - first > 1 && first[0] == '+' && first[1] != '+' && first[1] != '-' ? first + 1
                                                                                   : first;
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
    GAT_CHECK(node < std::numeric_limits<NodeId>::max(),
              file.path << ":" << line_no << ": too many nodes: node ids are 32-bit, so a dataset "
                        << "holds at most " << std::numeric_limits<NodeId>::max() << " nodes");
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

// Feature rows: one-hot label columns (if any), then attribute columns (if any). `order` maps
// each output row to its input line (identity for nodes, slot → line for edges).
Matrix<float> assemble_features(std::int64_t rows, const std::vector<std::int32_t>& label_index,
                                std::int64_t num_categories, const std::vector<float>& attributes,
                                std::int64_t width, const std::vector<EdgeId>* order) {
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

std::string in_dir(const std::filesystem::path& dir, const std::string& name, const char* suffix) {
  return (dir / (name + suffix)).string();
}

bool exists(const std::string& path) {
  std::error_code ignored;
  return std::filesystem::exists(path, ignored);
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
  const std::string node_labels_path = in_dir(base, name, "_node_labels.txt");
  const std::string node_attributes_path = in_dir(base, name, "_node_attributes.txt");
  const std::string edge_labels_path = in_dir(base, name, "_edge_labels.txt");
  const std::string edge_attributes_path = in_dir(base, name, "_edge_attributes.txt");

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

  // Node features.
  std::vector<std::int32_t> node_label_index;
  if (options.node_labels && exists(node_labels_path)) {
    data.node_label_values = categories(parse_ints({node_labels_path, "node", n, indicator_path},
                                                   read_file(node_labels_path), "the node label"),
                                        node_label_index);
  }
  std::vector<float> node_attributes;
  std::int64_t node_width = 0;
  if (options.node_attributes && exists(node_attributes_path)) {
    node_attributes = parse_attributes({node_attributes_path, "node", n, indicator_path},
                                       read_file(node_attributes_path), node_width);
  }
  const auto node_categories = static_cast<std::int64_t>(data.node_label_values.size());
  if (node_categories + node_width == 0) {
    // No node data (or all of it disabled): one constant feature, so that a model has an input
    // and can still learn from structure alone.
    data.node_features = Matrix<float>::Ones(n, 1);
  } else {
    data.node_features = assemble_features(n, node_label_index, node_categories, node_attributes,
                                           node_width, nullptr);
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
  std::vector<std::int32_t> edge_label_index;
  if (options.edge_labels && exists(edge_labels_path)) {
    data.edge_label_values = categories(parse_ints({edge_labels_path, "edge", e, a_path},
                                                   read_file(edge_labels_path), "the edge label"),
                                        edge_label_index);
  }
  std::vector<float> edge_attributes;
  std::int64_t edge_width = 0;
  if (options.edge_attributes && exists(edge_attributes_path)) {
    edge_attributes = parse_attributes({edge_attributes_path, "edge", e, a_path},
                                       read_file(edge_attributes_path), edge_width);
  }
  data.edge_features = assemble_features(e, edge_label_index,
                                         static_cast<std::int64_t>(data.edge_label_values.size()),
                                         edge_attributes, edge_width, &order);
  return data;
}

}  // namespace gat
