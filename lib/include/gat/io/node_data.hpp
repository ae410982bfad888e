#pragma once
// A node-classification Dataset from the files a user already has: an edge list, node features,
// node labels and a split (gat/io/edge_list.hpp and gat/io/arrays.hpp read them), or the OGB
// node-property layout on disk. Shapes: N nodes, E edges, K features, C classes.
//
// How the files' rows meet the edge list's nodes:
//   - an unkeyed array (.npy, .npz, a text file of numbers only, a one-column label file) holds
//     one row per node in node-id order: row r is the node whose id is r. The edge list's ids
//     must then be integers in [0, R) for R rows, and every r in [0, R) is a node, those no edge
//     names included (isolated nodes). Two unkeyed arrays must have the same number of rows.
//   - a keyed text file ("node_id,value,..." for features, "node_id,label" for labels) names the
//     node of each row; every id must appear in the edge list (a node without edges cannot be
//     keyed: write the arrays unkeyed, or list the node as a self loop i i).
//   - nodes are numbered as gat::read_edge_list numbers them (integer ids ascending, string ids
//     in order of first appearance), or by id when unkeyed arrays fix N; Dataset::node_names
//     keeps the user's ids, and every output of the command line carries them.

#include <cstdint>
#include <string>

#include "gat/data/dataset.hpp"
#include "gat/io/edge_list.hpp"

namespace gat {

/// @brief Which files make the dataset, and how to read them.
struct NodeDataFiles {
  std::string edges;     // an edge list (required): see read_edge_list
  std::string features;  // (N, K) node features, or "" for none (a dataset to inspect or
                         // benchmark, not to train on)
  std::string labels;    // node labels, or "" for none (nodes without a label are -1)
  // The split: "" (a stratified random:20,500,1000 drawn from `seed` among the labelled nodes,
  // when there are labels; scaled down when the labelled nodes are fewer, see the report),
  // "random:TRAIN_PER_CLASS,VAL,TEST", "none", a LINQS-style split file ("node_id train|val|test"
  // per line), or a directory holding OGB's train.csv, valid.csv and test.csv (node indices, plain
  // or .gz; only when the ids are 0..N-1).
  std::string split;
  bool undirected = false;  // add j→i for every i→j (edges are directed as written otherwise)
  // Text features whose first column is a node id. Automatic when the ids are strings; set it
  // when integer ids head each row of a text feature file (pandas' to_csv with its index).
  bool keyed_features = false;
  // Divide each feature row by its sum (bag-of-words); refuses negative features.
  bool normalize_features = false;
  std::uint64_t seed = 0;  // for a random split
  EdgeListOptions edge_options;
  std::string name;  // Dataset::name; "" → the edge file's name without extensions
};

/// @brief What load_node_data saw besides the dataset.
struct NodeDataReport {
  EdgeListReport edges;            // of the edge list as read (lines, comments, loops, duplicates)
  EdgeId edges_read = 0;           // edge lines
  EdgeId duplicates_dropped = 0;   // pairs dropped as repeats (after symmetrising, if asked)
  NodeId isolated = 0;             // nodes without any edge (from unkeyed arrays)
  NodeId unlabelled = 0;           // nodes whose label is -1
  std::int64_t value_columns = 0;  // the edge list's value columns (D), not used by node models
  bool sparse_features = false;    // features stored sparse (bag-of-words) rather than dense
  std::string split;               // how the split was made ("file ...", "random:20,500,1000")
};

/// @brief Loads the files into a Dataset: graph (duplicate pairs dropped, self loops kept as
/// written), features (stored sparse when that is smaller, as bag-of-words data is; dense
/// otherwise), labels (integer labels are class indices; text labels are class names, numbered
/// in natural order, "class2" before "class10"), split and node_names.
/// Throws gat::Error naming the file (and line, or node) for anything that does not fit: an
/// edge-list id outside the rows of an unkeyed array, a keyed id absent from the edge list, a
/// node without a feature row, arrays of different lengths, a negative integer label.
/// @param report when not null, receives what was read and dropped.
Dataset load_node_data(const NodeDataFiles& files, NodeDataReport* report = nullptr);

/// @brief Options of load_ogb.
struct OgbOptions {
  bool undirected = false;          // symmetrise the edges (OGB's baselines on ogbn-arxiv do)
  bool normalize_features = false;  // as NodeDataFiles::normalize_features
  std::string split_name;           // the folder under split/; "" for the only one
};

/// @brief Loads a dataset in OGB's node-property layout, as ogb's NodePropPredDataset leaves it
/// on disk (e.g. ogbn-arxiv/): raw/edge.csv.gz ("src,dst" node indices), raw/num-node-list.csv.gz
/// (N), raw/node-feat.csv.gz (N rows), raw/node-label.csv.gz (N rows; "nan" for a node without a
/// label), and split/<name>/{train,valid,test}.csv.gz (the only folder under split/, or the one
/// named options.split_name). Files are read plain or gzip-compressed, with or without ".gz".
Dataset load_ogb(const std::string& dir, const OgbOptions& options = {},
                 NodeDataReport* report = nullptr);

}  // namespace gat
