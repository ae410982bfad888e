#pragma once
// Reader for edge lists: one edge "source destination [values...]" per line, as SNAP, KONECT,
// networkx's write_edgelist, pandas' to_csv and most graph dumps write them.
//
// Shape legend: N nodes, E edges, D edge-feature size (the value columns after the two ids).
//
// The file is streamed in fixed chunks, never held whole in memory (a 10M-edge text is
// ~150-250 MB, more than the graph built from it), and the edge arrays are sized by a first,
// counting pass, so that they never grow by doubling. Loading holds about 8 B per edge
// (src, dst) plus 4 B per edge and value column, and per node a hash-table entry (~40 B) or,
// for small non-negative integer ids, a 4 B direct-table entry.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gat/core/types.hpp"

namespace gat {

/// How fields are separated.
enum class EdgeListFormat {
  kAuto,        // by the file name: ".csv" → kCsv, ".tsv" → kTsv (after removing a ".gz"; any
                // case), anything else → kWhitespace
  kWhitespace,  // runs of spaces and tabs (SNAP, KONECT, networkx); no quoting
  kCsv,         // commas; a field wholly in double quotes may hold commas, "" is one quote
  kTsv          // tabs; no quoting, so a field may hold spaces
};

/// Whether the first non-comment line names the columns.
enum class Header {
  kAuto,  // decided by read_edge_list's rule (see there)
  kYes,
  kNo
};

/// @brief Options for read_edge_list.
struct EdgeListOptions {
  EdgeListFormat format = EdgeListFormat::kAuto;
  Header header = Header::kAuto;
  // Parse the value columns into EdgeList::values; false: only count them (value_names is
  // still filled, values stays empty, and the values are not checked), for a caller that
  // does not use them and should not hold E·D floats.
  bool read_values = true;
};

/// The user's node ids and their indices 0..N-1.
///
/// Integer ids (every id in the file parses as a 64-bit integer: optional sign, decimal digits,
/// leading zeros allowed) are numbered in ascending numeric order, so ids that are exactly
/// 0..N-1 keep their value, and "7", "+7" and "007" are one node. Otherwise every id is a
/// string, taken byte for byte, numbered in order of first appearance (source before
/// destination on each line), and "7" and "007" are two nodes.
struct NodeIds {
  bool integer = true;
  std::vector<std::int64_t> ints;    // (N) when integer: ascending
  std::vector<std::string> strings;  // (N) otherwise

  /// @brief N.
  NodeId size() const;
  /// @brief The id of node i as the user wrote it (integers in decimal, without leading zeros
  /// or plus sign). Throws gat::Error when i is outside [0, N).
  std::string name(NodeId i) const;
  /// @brief The index of the node whose id is `id`, or -1 when there is none. Integer ids match
  /// any text that parses to the same value ("007" finds 7): O(log N). String ids match byte for
  /// byte: a scan, O(N); build a map for many look-ups.
  NodeId find(std::string_view id) const;
};

/// @brief What read_edge_list saw in the file besides the edges.
struct EdgeListReport {
  std::int64_t lines = 0;     // lines in the file (a last line without '\n' counts)
  std::int64_t comments = 0;  // lines whose first non-blank character is '#' or '%'
  std::int64_t blank = 0;     // empty or whitespace-only lines
  EdgeId self_loops = 0;      // edges i→i as read
  EdgeId duplicates = 0;      // edges repeating an earlier (src, dst) pair (directed pairs);
                              // counted, not removed: k copies of a pair count k - 1
  // Why the ids are strings: the first id that is not an integer, and its line (0: all ids
  // are integers).
  std::string first_string_id;
  std::int64_t first_string_id_line = 0;
};

/// @brief An edge list as read: edges in file order, indices into `ids`.
struct EdgeList {
  NodeIds ids;
  std::vector<NodeId> src;  // (E) source of edge k, in file order
  std::vector<NodeId> dst;  // (E) destination of edge k
  Matrix<float> values;     // (E, D) the numeric columns after the two ids (a weight: D = 1);
                            // (0, 0) when the file has none
  std::vector<std::string> value_names;  // (D) from the header, else "value0", "value1", ...
  EdgeListReport report;

  NodeId num_nodes() const { return ids.size(); }
  EdgeId num_edges() const { return static_cast<EdgeId>(src.size()); }
};

/// @brief Reads an edge list from `path` (plain or gzip, recognised by its magic bytes; `path`
/// or else `path + ".gz"`, as gat::find_input).
///
/// Lines: a UTF-8 byte-order mark is skipped, CRLF reads like LF, surrounding whitespace is
/// ignored, blank lines and comment lines (first non-blank character '#' or '%', in every
/// format) are skipped and counted. Every other line is a header or an edge. Each edge line has
/// the same number K ≥ 2 of columns as the first line after comments (header or edge): source
/// id, destination id, then D = K - 2 values, each a finite float (NaN and infinities are
/// refused). A CSV or TSV field that is empty is an error. A MatrixMarket size line is not
/// recognised: it reads as an edge (or fails the column count).
///
/// Header, with options.header = kAuto: L1, the first line after comments, is a header when it
/// has K ≥ 2 fields and
///   (a) its first field names a source and its second a destination (case-insensitive: src,
///       source, from, u, node1, node_1, id1, source_id, src_id, from_id, fromnodeid, from_node,
///       sender; dst, target, to, v, node2, node_2, id2, target_id, dst_id, to_id, tonodeid,
///       to_node, dest, destination, receiver), or
///   (b) L2, the next such line, exists, both its first two fields are integers and neither of
///       L1's first two is, or
///   (c) L2 exists with K fields, L1's first two fields are not both integers, L1 has a value
///       field (3rd or later) that is not a number and all of L2's value fields are numbers
///       ("nan", "inf" and out-of-range values count as numbers here, and are then refused
///       as data: a first edge with a NaN weight is an error, not a header).
/// A graph whose first edge joins nodes named e.g. "u" and "v" therefore needs Header::kNo.
/// The header's fields 3..K name the value columns.
///
/// An empty file, or one with only comments, blank lines or a header, is a valid EdgeList
/// without nodes or edges (values has D columns when a header named them).
///
/// @return the edges in file order with report (self loops and duplicate pairs are counted,
/// nothing is removed); gat::build_csr(list.num_nodes(), list.src, list.dst) makes the graph.
/// Throws gat::Error "path:line: ..." (1-based) for a malformed line: wrong column count
/// ("expected K columns, found M"), a value that is not a finite number, an empty field, a
/// broken CSV quote, a line over 64 MiB, more than 2^31 - 1 distinct nodes; and "path: ..."
/// for a file that is missing, not a regular file, or corrupt gzip.
EdgeList read_edge_list(const std::string& path, const EdgeListOptions& options = {});

}  // namespace gat
