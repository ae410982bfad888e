#pragma once
// Readers for node arrays — features, labels, node index lists and split files — in the formats
// that numpy, pandas and OGB write: .npy, .npz and delimited text. Shapes: N nodes, K columns.
//
// Which format a file is comes from its first bytes, never from its name:
//   .npy   "\x93NUMPY", format versions 1.0, 2.0 and 3.0 (plain or gzip-compressed). dtypes:
//          float16/32/64, int8/16/32/64, uint8/16/32/64 and bool, little- or big-endian, C or
//          Fortran order, 1 or 2 dimensions (a 1-D array of n is read as n rows of one column).
//          Object, string, complex, datetime and structured dtypes are refused, naming the dtype.
//   .npz   a zip archive (numpy.savez, stored members; numpy.savez_compressed, deflated) of .npy
//          members. "a.npz" reads its only member; "a.npz:x" reads member x (x or x.npy), for
//          every reader below; npz_members lists them. A missing member's error lists those
//          present.
//   text   anything else, plain or gzip-compressed: one row per line, values separated by commas
//          (when the first line has one; spaces around a value are ignored, a field may be
//          "double-quoted" with "" for a quote inside) or else by runs of spaces and tabs.
//          Blank lines and lines starting with '#' (np.savetxt's header) are skipped; CRLF line
//          ends and a UTF-8 byte-order mark are accepted. Every row has the width of the first.
//          An optional header line: read_matrix, read_integers and read_keyed_matrix take the
//          first line for a header when one of its values is not a number (see read_labels for
//          its rule).
//
// Errors are gat::Error: "path:line: ..." for text (1-based line), "path: ..." for binary files,
// "path (member 'x.npy'): ..." inside an .npz. Values are never passed on as NaN or infinity.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "gat/core/types.hpp"
#include "gat/data/split.hpp"

namespace gat {

/// @brief A numeric array as a float matrix: a 2-D array (rows, cols) as it is, a 1-D array of
/// n as (n, 1). Fortran-order .npy data is transposed into row-major order; a float32 C-order
/// .npy is read straight into the matrix. Refuses NaN and ±inf (naming the element or line),
/// and float64 values beyond float's range.
/// @return (N, K)
Matrix<float> read_matrix(const std::string& path);

/// @brief A column of integers: a 1-D array, an (n, 1) array, or a one-column text file (node
/// indices, integer labels). Floating-point values are accepted when they are whole numbers
/// (np.savetxt writes integers as "3.000000000000000000e+00"); others are refused.
/// @return (n)
std::vector<std::int64_t> read_integers(const std::string& path);

/// @brief The names of the arrays in an .npz archive, in archive order, without ".npy".
std::vector<std::string> npz_members(const std::string& path);

/// @brief Rows of numbers keyed by a node id in the first column.
struct KeyedRows {
  std::vector<std::string> keys;    // (N) first column, as written; unique
  Matrix<float> values;             // (N, K) the other columns
  std::vector<std::int64_t> lines;  // (N) the line of each row, for messages
};

/// @brief A text file whose lines are "node_id value value ..." (K >= 1 values), with an optional
/// header (detected from its values, as for read_matrix). Node ids are arbitrary text and must be
/// unique. Binary arrays carry no ids and are refused: read them with read_matrix.
KeyedRows read_keyed_matrix(const std::string& path);

/// @brief Whether a text file starts with a header line.
enum class TextHeader {
  kAuto,     // see read_labels
  kPresent,  // the first non-blank, non-comment line is a header
  kAbsent,   // every line is data
};

/// @brief One label per node, optionally keyed by node id.
struct LabelColumn {
  std::vector<std::string> keys;    // (N) node ids as written; empty when the file has no id column
  std::vector<std::string> labels;  // (N) labels as written (for .npy, the integer in decimal);
                                    // "" where a text field is empty (a missing label)
  bool integer = false;             // every non-empty label is a decimal integer (.npy: always)
  std::vector<std::int64_t> lines;  // (N) the line of each label (text only), for messages
};

/// @brief Labels of nodes; the caller maps class names to class indices.
/// Accepted layouts:
///   .npy / .npz   a 1-D or (n, 1) integer array (floats that are whole numbers too): labels of
///                 nodes 0..n-1, no keys;
///   text, 1 column    "label" per line: labels of nodes 0..n-1 in line order, no keys;
///   text, 2 columns   "node_id label" per line (comma, tab or space separated): keyed, ids unique.
/// Labels are arbitrary text (class names) or integers. With TextHeader::kAuto the first line is
/// a header when the rest of the label column is integers and its entry there is not
/// ("node,label" over "0,3"), or when the rest of the id column is integers, its first entry is
/// not, and that line names columns (an id word such as id, node, node_id, index, name, or a
/// label word such as label, class, y, target, category: "id,label" over "0,Theory"). A header
/// over string ids and string labels in other words cannot be told from data, so declare it
/// (kPresent) or write it as a '#' comment. An empty label field ("p2,") is a node without a
/// label (kept as ""); a blank line among one-column labels is refused ("write nan"), since
/// skipping it would shift every later label to the wrong node.
LabelColumn read_labels(const std::string& path, TextHeader header = TextHeader::kAuto);

/// @brief The node index of a node id as written in a file, or -1 when there is no such node.
using NodeLookup = std::function<NodeId(std::string_view id)>;

/// @brief Reads a split file: one "node_id train|val|valid|test" per line (the LINQS .split
/// form; separated by spaces, tabs or a comma; '#' comments and blank lines skipped). Ids are
/// mapped through `lookup`. Throws "path:line: unknown node 'x'" for an id lookup does not know,
/// and refuses a node listed twice (even in the same split) and an unknown split word.
/// @return the three index lists, ascending and disjoint
Split read_split_file(const std::string& path, const NodeLookup& lookup);

/// @brief Reads one OGB-style index list (train.csv, valid.csv, test.csv, or an .npy / .npz
/// array; any read_integers layout): node indices in [0, num_nodes), none twice.
/// @return the indices, ascending
std::vector<NodeId> read_index_file(const std::string& path, NodeId num_nodes);

}  // namespace gat
