#pragma once
// Partitioned datasets on disk: what `gat partition --out DIR` writes and what each process of
// a distributed run reads (one part each, so that no machine holds the whole graph).
//
//   DIR/manifest.json          {"format": "gat-partition", "version": 1, "dataset", "parts",
//                               "method", "seed", "nodes", "edges", "classes", "class_names",
//                               "features", "feature_storage": "dense"|"sparse",
//                               "split": {"train", "val", "test"}, "assignment_hash",
//                               "part_files": [{"file", "owned", "in_edges", "halo"}, ...]}
//   DIR/part-<k>.safetensors   one GraphPart (gat/data/graph_part.hpp), k in [0, P): I32 tensors
//                              owned, src, halo, halo_part, halo_index, labels, train, val,
//                              test; I64 tensors row_ptr, row_start, loops_before; the features
//                              as F32 dense_features (n, in), or as the sparse triple
//                              features.row_ptr (I64), features.col (I32), features.val (F32)
//                              with feature_start (I64); and metadata naming the part, the
//                              totals and the manifest's assignment_hash.
//
// The assignment hash (of every node's part) ties each part file to its manifest: parts of two
// different partitions in one folder are refused instead of trained on together.
//
// Writing never destroys data it did not write. The folder is created when missing (with its
// parents); an existing folder must be empty or hold a previous partition (a manifest.json
// whose format is "gat-partition"), otherwise the write is refused before anything is written.
// The part files are first written under hidden temporary names (.part-<k>.safetensors.tmp),
// so a write that fails (a full disk) removes them and leaves a previous partition as it was;
// then they are renamed into place and the manifest is replaced last (atomically,
// gat/io/output.hpp). A process that dies among those renames leaves the old manifest, whose
// assignment hash then refuses the new part files beside it. Nothing else is removed: the part
// files of a previous partition with more parts stay, unlisted in the new manifest, and are
// never read.

#include <cstdint>
#include <string>
#include <vector>

#include "gat/data/dataset.hpp"
#include "gat/data/graph_part.hpp"
#include "gat/graph/partition.hpp"

namespace gat {

/// @brief One part as the manifest lists it.
struct PartitionManifestPart {
  std::string file;     // name inside the folder, "part-<k>.safetensors"
  NodeId owned = 0;     // n
  EdgeId in_edges = 0;  // row_ptr[n]
  NodeId halo = 0;      // halo.size()
};

/// @brief The content of DIR/manifest.json.
struct PartitionManifest {
  std::string dataset;
  int parts = 0;  // P
  PartitionMethod method = PartitionMethod::kMetis;
  std::uint64_t seed = 0;
  NodeId nodes = 0;  // N
  EdgeId edges = 0;  // E
  int num_classes = 0;
  std::vector<std::string> class_names;  // (C)
  std::int64_t num_features = 0;
  bool dense_features = false;
  NodeId train_total = 0, val_total = 0, test_total = 0;
  std::string assignment_hash;                    // 16 hex digits
  std::vector<PartitionManifestPart> part_files;  // (P)
};

/// @brief Builds part k of `data`: its owned nodes, their in-edges, halo, features (dense or
/// sparse as the dataset holds them), labels and split rows (see GraphPart for each field).
/// @param assignment (N) the part of each node, in [0, parts) (partition_nodes)
/// @param k the part to build, in [0, parts)
/// Throws gat::Error when the assignment does not fit the dataset or k is out of range.
GraphPart make_part(const Dataset& data, const std::vector<std::int32_t>& assignment, int parts,
                    int k);

/// @brief Checks, before any long work, that write_partitions may write into `dir`: a path that
/// does not exist (it will be created), an empty folder, or a folder holding a previous
/// partition. Creates nothing. Throws gat::Error naming the folder otherwise.
void check_partition_folder(const std::string& dir);

/// @brief Writes the manifest and the P part files of a partition into `dir`, one part at a time
/// (memory: the dataset plus one part), with the folder rules of this header's comment.
/// @param method, seed recorded in the manifest (how `assignment` was made)
/// Throws gat::Error naming the folder or file for a folder holding other files, an assignment
/// that does not fit the dataset, and any write error.
void write_partitions(const std::string& dir, const Dataset& data,
                      const std::vector<std::int32_t>& assignment, int parts,
                      PartitionMethod method, std::uint64_t seed);

/// @brief Reads and validates DIR/manifest.json. Throws gat::Error naming the file and what is
/// wrong (missing, not JSON, another format or version, a missing or mistyped field, counts
/// that do not add up).
PartitionManifest read_manifest(const std::string& dir);

/// @brief The number of parts P of the partition in `dir` (its manifest's), e.g. to check it
/// against the number of processes. Throws as read_manifest.
int read_partition_count(const std::string& dir);

/// @brief Reads part `part` of the partition in `dir`: the manifest and that part's file only.
/// Validates everything before returning: shapes and dtypes, node ids in [0, N), owned strictly
/// ascending, row_ptr from 0 and non-decreasing, row_start / loops_before / feature_start
/// consistent, halo strictly ascending, disjoint from owned and holding every source that is
/// not owned, halo_part in [0, P) and not `part`, halo_index within the owner's row count,
/// labels in [-1, C), split rows ascending in [0, n), and the counts, totals and assignment
/// hash equal to the manifest's. Throws gat::Error with one line naming the file and the fault.
GraphPart read_partition(const std::string& dir, int part);

}  // namespace gat
