#include "gat/io/linqs.hpp"

#include <algorithm>
#include <cfloat>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/graph/build.hpp"
#include "text.hpp"

namespace gat {
namespace detail {

// The 32-bit node id limit, as the LINQS reader applies it. It has external linkage (but no
// public header) so that a white-box test can exercise the message without writing 2^31 lines.
void check_linqs_node_count(std::int64_t count, const std::string& path, std::int64_t line);

void check_linqs_node_count(std::int64_t count, const std::string& path, std::int64_t line) {
  io_detail::check_node_count(count, path, line);
}

}  // namespace detail

namespace {

using io_detail::is_space;
using io_detail::LineReader;
using io_detail::natural_less;
using io_detail::read_file;
using io_detail::shown;

// Whitespace-separated tokens of [begin, end).
class Tokens {
 public:
  Tokens(const char* begin, const char* end) : p_(begin), end_(end) {}
  explicit Tokens(std::string_view s) : Tokens(s.data(), s.data() + s.size()) {}

  bool next(std::string_view& token) {
    while (p_ < end_ && is_space(*p_)) ++p_;
    if (p_ == end_) return false;
    const char* begin = p_;
    while (p_ < end_ && !is_space(*p_)) ++p_;
    token = std::string_view(begin, static_cast<std::size_t>(p_ - begin));
    return true;
  }

  // Number of tokens not yet returned (consumes them); only used to word error messages.
  std::int64_t count_rest() {
    std::int64_t n = 0;
    std::string_view token;
    while (next(token)) ++n;
    return n;
  }

 private:
  const char* p_;
  const char* end_;
};

// What .content yields; string views point into the file buffer, which outlives them.
struct Content {
  std::vector<std::string_view> ids;                   // (N) node ids, file order
  std::unordered_map<std::string_view, NodeId> index;  // node id -> node index
  std::vector<std::int32_t> labels;                    // (N) class in order of first appearance
  std::vector<std::string_view> classes;  // (C) class names in order of first appearance
  SparseMatrix<float> features;           // (N, K) raw values
  std::vector<std::int64_t> id_line;      // (N) line of each node, for later messages
};

Content parse_content(const std::string& path, std::string_view text) {
  Content out;
  std::unordered_map<std::string_view, std::int32_t> class_index;
  auto& id_line = out.id_line;  // (N) where each id was defined, for duplicate messages
  auto& features = out.features;
  std::int64_t num_features = -1;  // K, fixed by the first line

  LineReader lines(text);
  std::string_view line;
  while (lines.next_nonblank(line)) {
    const std::int64_t line_no = lines.line_number();
    const char* begin = line.data();
    const char* end = begin + line.size();
    // The id is the first token and the label the last; everything between is a feature value.
    // Lines are trimmed, so a line with one token has id_end == end and an empty label.
    const char* id_end = begin;
    while (id_end < end && !is_space(*id_end)) ++id_end;
    const char* label_begin = end;
    while (label_begin > id_end && !is_space(label_begin[-1])) --label_begin;
    const bool has_label = label_begin != end;

    if (num_features < 0) {
      GAT_CHECK(has_label, path << ":" << line_no << ": expected a node id, feature values and a "
                                << "class label, found 1 column");
      num_features = Tokens(id_end, label_begin).count_rest();
      GAT_CHECK(num_features <= std::numeric_limits<std::int32_t>::max(),
                path << ":" << line_no << ": " << num_features
                     << " features do not fit 32-bit column indices");
    }
    const std::int64_t expected_columns = num_features + 2;
    GAT_CHECK(has_label,
              path << ":" << line_no << ": expected " << expected_columns << " columns, found 1");

    std::int64_t column = 0;
    const char* p = id_end;
    while (true) {
      while (p < label_begin && is_space(*p)) ++p;
      if (p == label_begin) break;
      if (column == num_features) {
        GAT_FAIL(path << ":" << line_no << ": expected " << expected_columns << " columns, found "
                      << column + Tokens(p, label_begin).count_rest() + 2);
      }
      // Fast path for a one-character "0" or "1", nearly every token of a bag-of-words file; it
      // cuts the load time of Cora to about a third. p[1] lies inside the line because
      // whitespace and the label still follow.
      if ((*p == '0' || *p == '1') && is_space(p[1])) {
        if (*p == '1') {
          features.col.push_back(static_cast<std::int32_t>(column));
          features.val.push_back(1.0f);
        }
        ++p;
        ++column;
        continue;
      }
      const char* start = p;
      while (p < label_begin && !is_space(*p)) ++p;
      const std::string_view token(start, static_cast<std::size_t>(p - start));
      float value = 0;
      if (!io_detail::parse_finite_float(token, value)) {
        GAT_FAIL(path << ":" << line_no << ": column " << column + 2 << " (feature " << column
                      << ") is not a finite number: " << shown(token));
      }
      if (value != 0.0f) {
        features.col.push_back(static_cast<std::int32_t>(column));
        features.val.push_back(value);
      }
      ++column;
    }
    if (column != num_features) {
      GAT_FAIL(path << ":" << line_no << ": expected " << expected_columns << " columns, found "
                    << column + 2);
    }
    features.row_ptr.push_back(features.nnz());

    const auto node = static_cast<std::int64_t>(out.ids.size());
    detail::check_linqs_node_count(node + 1, path, line_no);
    const std::string_view id(begin, static_cast<std::size_t>(id_end - begin));
    const auto [it, inserted] = out.index.emplace(id, static_cast<NodeId>(node));
    if (!inserted) {
      GAT_FAIL(path << ":" << line_no << ": duplicate node id " << shown(id)
                    << " (first defined on line " << id_line[it->second] << ")");
    }
    out.ids.push_back(id);
    id_line.push_back(line_no);

    const std::string_view label(label_begin, static_cast<std::size_t>(end - label_begin));
    // find before emplace: emplace would allocate a node on every line just to discard it.
    auto cls = class_index.find(label);
    if (cls == class_index.end()) {
      cls = class_index.emplace(label, static_cast<std::int32_t>(out.classes.size())).first;
      out.classes.push_back(label);
    }
    out.labels.push_back(cls->second);
  }
  GAT_CHECK(!out.ids.empty(), path << ":1: no nodes: the file is empty or has only blank lines");
  features.rows = static_cast<std::int64_t>(out.ids.size());
  features.cols = num_features;
  return out;
}

// Calls fn(first, second, line_no) for each non-blank line of exactly two whitespace-separated
// columns; `columns` names the two in the message for a line with any other count.
template <typename Fn>
void for_each_pair(const std::string& path, std::string_view text, const char* columns, Fn&& fn) {
  LineReader lines(text);
  std::string_view line;
  while (lines.next_nonblank(line)) {
    const std::int64_t line_no = lines.line_number();
    Tokens tokens(line);
    std::string_view first;
    std::string_view second;
    std::string_view extra;
    if (!tokens.next(first) || !tokens.next(second) || tokens.next(extra)) {
      GAT_FAIL(path << ":" << line_no << ": expected 2 columns (" << columns << "), found "
                    << Tokens(line).count_rest());
    }
    fn(first, second, line_no);
  }
}

// Reads "cited citing" pairs into edge lists (src = citing, dst = cited, though the graph is
// symmetrized anyway). Returns the number of lines skipped for naming an unknown node.
EdgeId parse_cites(const std::string& path, std::string_view text, const Content& content,
                   bool strict, std::vector<NodeId>& src, std::vector<NodeId>& dst) {
  EdgeId skipped = 0;
  auto add_edge = [&](std::string_view cited, std::string_view citing, std::int64_t line_no) {
    const auto cited_it = content.index.find(cited);
    const auto citing_it = content.index.find(citing);
    if (cited_it == content.index.end() || citing_it == content.index.end()) {
      // Real LINQS files (CiteSeer's) cite papers that have no .content line; by default such a
      // citation is dropped and counted, since the rest of the graph is still usable.
      GAT_CHECK(!strict, path << ":" << line_no << ": unknown node id "
                              << shown(cited_it == content.index.end() ? cited : citing)
                              << " (not in the .content file)");
      ++skipped;
      return;
    }
    dst.push_back(cited_it->second);
    src.push_back(citing_it->second);
  };
  for_each_pair(path, text, "cited paper, citing paper", add_edge);
  return skipped;
}

// Reads "node_id train|val|test" lines into the three index lists, ascending.
void parse_split(const std::string& path, std::string_view text, const Content& content,
                 Dataset& dataset) {
  const auto n = content.ids.size();
  std::vector<std::int64_t> listed_on(n, 0);  // line that put each node in a split; 0 = none
  auto add_node = [&](std::string_view id, std::string_view word, std::int64_t line_no) {
    std::vector<NodeId>* target = nullptr;
    if (word == "train") {
      target = &dataset.train;
    } else if (word == "val") {
      target = &dataset.val;
    } else if (word == "test") {
      target = &dataset.test;
    } else {
      GAT_FAIL(path << ":" << line_no << ": unknown split " << shown(word)
                    << "; expected train, val or test");
    }
    const auto it = content.index.find(id);
    GAT_CHECK(it != content.index.end(), path << ":" << line_no << ": unknown node id " << shown(id)
                                              << " (not in the .content file)");
    const NodeId node = it->second;
    // A node in two splits would leak test labels into training; listing it twice in the same
    // split is harmless but almost always a sign of a broken file, so both are refused.
    GAT_CHECK(listed_on[node] == 0, path << ":" << line_no << ": node " << shown(id)
                                         << " is already in a split (line " << listed_on[node]
                                         << ")");
    listed_on[node] = line_no;
    target->push_back(node);
  };
  for_each_pair(path, text, "node id, train|val|test", add_node);
  for (auto* split : {&dataset.train, &dataset.val, &dataset.test}) {
    std::sort(split->begin(), split->end());
  }
}

}  // namespace

Dataset load_linqs(const std::string& dir, const std::string& name, const LinqsOptions& options,
                   LinqsReport* report) {
  if (report) *report = LinqsReport{};
  const std::filesystem::path base(dir);
  const std::string content_path = (base / (name + ".content")).string();
  const std::string cites_path = (base / (name + ".cites")).string();
  const std::string split_path = (base / (name + ".split")).string();

  // The buffer must outlive `content`, whose ids and index are views into it.
  const std::string content_text = read_file(content_path);
  Content content = parse_content(content_path, content_text);
  const auto n = static_cast<NodeId>(content.ids.size());

  Dataset dataset;
  dataset.name = name;

  std::vector<NodeId> src;
  std::vector<NodeId> dst;
  const EdgeId skipped =
      parse_cites(cites_path, read_file(cites_path), content, options.strict, src, dst);
  parse_split(split_path, read_file(split_path), content, dataset);

  BuildOptions build;
  build.symmetrize = true;               // citations are treated as undirected
  build.duplicates = Duplicates::kDrop;  // "a b" and "b a" are the same undirected edge
  build.self_loops = SelfLoops::kKeep;   // a layer decides whether to add self loops
  dataset.graph = build_csr(n, src, dst, build);

  // Classes are numbered in natural order of their names, not in order of appearance, so that
  // Planetoid's class0..classK map to 0..K and the numbering is the same however lines are sorted.
  std::vector<std::int32_t> order(content.classes.size());
  for (std::size_t c = 0; c < order.size(); ++c) order[c] = static_cast<std::int32_t>(c);
  std::sort(order.begin(), order.end(), [&](std::int32_t a, std::int32_t b) {
    return natural_less(content.classes[a], content.classes[b]);
  });
  std::vector<std::int32_t> rank(order.size());
  dataset.class_names.reserve(order.size());
  for (std::size_t r = 0; r < order.size(); ++r) {
    rank[order[r]] = static_cast<std::int32_t>(r);
    dataset.class_names.emplace_back(content.classes[order[r]]);
  }
  dataset.labels.resize(content.labels.size());
  for (std::size_t i = 0; i < content.labels.size(); ++i) {
    dataset.labels[i] = rank[content.labels[i]];
  }

  dataset.node_names.reserve(content.ids.size());
  for (const auto id : content.ids) dataset.node_names.emplace_back(id);

  dataset.features = std::move(content.features);
  if (options.normalize_features) {
    row_normalize(dataset.features);
    // A row whose values nearly cancel (3e38 and -3e38) normalises to values beyond float:
    // refuse it rather than hand on infinite features.
    const auto& f = dataset.features;
    for (std::int64_t r = 0; r < f.rows; ++r) {
      for (EdgeId k = f.row_ptr[r]; k < f.row_ptr[r + 1]; ++k) {
        GAT_CHECK(std::isfinite(f.val[k]),
                  content_path << ":" << content.id_line[r] << ": the feature values of node '"
                               << content.ids[r]
                               << "' sum so close to zero that dividing by the sum overflows; "
                                  "load without row normalisation (--no-normalize)");
      }
    }
  }
  if (report) report->skipped_citations = skipped;
  return dataset;
}

}  // namespace gat
