#include "gat/io/partition.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/core/random.hpp"
#include "gat/io/input.hpp"
#include "gat/io/output.hpp"
#include "gat/io/safetensors.hpp"

namespace gat {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kFormat = "gat-partition";
constexpr int kVersion = 1;
constexpr const char* kManifest = "manifest.json";

std::string part_file_name(int k) { return "part-" + std::to_string(k) + ".safetensors"; }

// ---------------------------------------------------------------------------------------------
// Building a part

// What every part needs of the whole dataset, computed once for all parts.
struct PartIndex {
  // (N) each node's row in its owner's `owned`: its rank among the nodes of its part.
  std::vector<NodeId> local;
  // (N + 1) self-loop slots in the rows before each node (loops_before).
  std::vector<EdgeId> loops_prefix;
};

void check_assignment(const Dataset& data, const std::vector<std::int32_t>& assignment, int parts) {
  const NodeId n = data.num_nodes();
  GAT_CHECK(parts >= 1 && parts <= std::max<NodeId>(n, 1),
            "the number of parts must be in [1, " << n << "], got " << parts);
  GAT_CHECK(assignment.size() == static_cast<std::size_t>(n),
            "the partition has " << assignment.size() << " entries for dataset '" << data.name
                                 << "' of " << n << " nodes");
  for (NodeId i = 0; i < n; ++i) {
    GAT_CHECK(assignment[i] >= 0 && assignment[i] < parts,
              "node " << i << " is in part " << assignment[i] << ", outside [0, " << parts << ")");
  }
  const bool sparse_ok =
      data.features.rows == n || (data.features.rows == 0 && data.features.cols == 0);
  GAT_CHECK(
      data.has_dense_features() ? data.dense_features.rows() == n : sparse_ok,
      "dataset '" << data.name << "' has feature rows for "
                  << (data.has_dense_features() ? data.dense_features.rows() : data.features.rows)
                  << " nodes, not its " << n);
  GAT_CHECK(data.labels.empty() || data.labels.size() == static_cast<std::size_t>(n),
            "dataset '" << data.name << "' has " << data.labels.size() << " labels for " << n
                        << " nodes");
}

PartIndex part_index(const Dataset& data, const std::vector<std::int32_t>& assignment, int parts) {
  const NodeId n = data.num_nodes();
  PartIndex ix;
  ix.local.resize(static_cast<std::size_t>(n));
  std::vector<NodeId> count(static_cast<std::size_t>(parts), 0);
  for (NodeId i = 0; i < n; ++i) ix.local[i] = count[assignment[i]]++;
  const auto& row_ptr = data.graph.row_ptr();
  const auto& src = data.graph.src();
  ix.loops_prefix.assign(static_cast<std::size_t>(n) + 1, 0);
  for (NodeId i = 0; i < n; ++i) {
    EdgeId loops = 0;
    for (EdgeId s = row_ptr[i]; s < row_ptr[i + 1]; ++s) loops += src[s] == i ? 1 : 0;
    ix.loops_prefix[i + 1] = ix.loops_prefix[i] + loops;
  }
  return ix;
}

// The rows (indices into owned) of the split's nodes that part k owns. The split and `local`
// are both ascending in the node id within a part, so the rows come out ascending.
std::vector<NodeId> split_rows(const std::vector<NodeId>& split,
                               const std::vector<std::int32_t>& assignment, const PartIndex& ix,
                               int k) {
  std::vector<NodeId> rows;
  for (const NodeId v : split) {
    if (assignment[v] == k) rows.push_back(ix.local[v]);
  }
  return rows;
}

GraphPart build_part(const Dataset& data, const std::vector<std::int32_t>& assignment, int parts,
                     int k, const PartIndex& ix) {
  const NodeId n_total = data.num_nodes();
  const CsrGraph& g = data.graph;
  const auto& row_ptr = g.row_ptr();
  const auto& src = g.src();
  GraphPart p;
  p.name = data.name;
  p.part = k;
  p.parts = parts;
  p.total_nodes = n_total;
  p.total_edges = g.num_edges();
  p.num_classes = data.num_classes();
  p.num_features = data.num_features();
  p.train_total = static_cast<NodeId>(data.train.size());
  p.val_total = static_cast<NodeId>(data.val.size());
  p.test_total = static_cast<NodeId>(data.test.size());

  for (NodeId i = 0; i < n_total; ++i) {
    if (assignment[i] == k) p.owned.push_back(i);
  }
  const auto n = static_cast<std::size_t>(p.owned.size());
  p.row_ptr.assign(n + 1, 0);
  p.row_start.resize(n);
  p.loops_before.resize(n);
  for (std::size_t r = 0; r < n; ++r) {
    const NodeId i = p.owned[r];
    p.row_ptr[r + 1] = p.row_ptr[r] + (row_ptr[i + 1] - row_ptr[i]);
    p.row_start[r] = row_ptr[i];
    p.loops_before[r] = ix.loops_prefix[i];
  }
  p.src.reserve(static_cast<std::size_t>(p.row_ptr[n]));
  for (const NodeId i : p.owned) {
    p.src.insert(p.src.end(), src.begin() + row_ptr[i], src.begin() + row_ptr[i + 1]);
  }

  // Halo: the sources owned elsewhere, sorted and unique, with their owner and row there.
  for (const NodeId j : p.src) {
    if (assignment[j] != k) p.halo.push_back(j);
  }
  std::sort(p.halo.begin(), p.halo.end());
  p.halo.erase(std::unique(p.halo.begin(), p.halo.end()), p.halo.end());
  p.halo_part.resize(p.halo.size());
  p.halo_index.resize(p.halo.size());
  for (std::size_t h = 0; h < p.halo.size(); ++h) {
    p.halo_part[h] = assignment[p.halo[h]];
    p.halo_index[h] = ix.local[p.halo[h]];
  }

  // Features: the owned rows, dense or sparse as stored; feature_start keeps each sparse row's
  // place among the whole matrix's non-zeros (feature dropout is keyed by it).
  if (data.has_dense_features()) {
    p.dense_features.resize(static_cast<Eigen::Index>(n), data.dense_features.cols());
    for (std::size_t r = 0; r < n; ++r) {
      p.dense_features.row(static_cast<Eigen::Index>(r)) = data.dense_features.row(p.owned[r]);
    }
  } else {
    const SparseMatrix<float>& f = data.features;
    const bool none = f.rows == 0;  // a graph without features: (n, 0)
    p.features.rows = static_cast<std::int64_t>(n);
    p.features.cols = f.cols;
    p.features.row_ptr.assign(n + 1, 0);
    p.feature_start.resize(n);
    for (std::size_t r = 0; r < n; ++r) {
      const NodeId i = p.owned[r];
      const EdgeId b = none ? 0 : f.row_ptr[i];
      const EdgeId e = none ? 0 : f.row_ptr[i + 1];
      p.feature_start[r] = b;
      p.features.row_ptr[r + 1] = p.features.row_ptr[r] + (e - b);
      p.features.col.insert(p.features.col.end(), f.col.begin() + b, f.col.begin() + e);
      p.features.val.insert(p.features.val.end(), f.val.begin() + b, f.val.begin() + e);
    }
  }

  p.labels.resize(n);
  for (std::size_t r = 0; r < n; ++r) {
    p.labels[r] = data.labels.empty() ? -1 : data.labels[p.owned[r]];
  }
  p.train = split_rows(data.train, assignment, ix, k);
  p.val = split_rows(data.val, assignment, ix, k);
  p.test = split_rows(data.test, assignment, ix, k);
  return p;
}

// A fingerprint of the assignment (every node's part, in node order), to tie part files to
// their manifest: 64 bits of a chained splitmix64, as 16 hex digits.
std::string assignment_hash(const std::vector<std::int32_t>& assignment, int parts) {
  std::uint64_t h = mix64(0x6761742d70617274ULL ^ static_cast<std::uint64_t>(parts));
  for (const std::int32_t a : assignment) {
    h = mix64(h ^ static_cast<std::uint64_t>(static_cast<std::uint32_t>(a)));
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
  return text;
}

// ---------------------------------------------------------------------------------------------
// Tensors

template <typename T>
constexpr SafetensorsDtype dtype_of() {
  if constexpr (std::is_same_v<T, std::int32_t>) return SafetensorsDtype::kI32;
  if constexpr (std::is_same_v<T, std::int64_t>) return SafetensorsDtype::kI64;
  if constexpr (std::is_same_v<T, float>) return SafetensorsDtype::kF32;
}

template <typename T>
SafetensorsTensor vector_tensor(const std::vector<T>& v) {
  SafetensorsTensor t;
  t.dtype = dtype_of<T>();
  t.shape = {static_cast<std::int64_t>(v.size())};
  t.data.resize(v.size() * sizeof(T));
  if (!v.empty()) std::memcpy(t.data.data(), v.data(), t.data.size());
  return t;
}

SafetensorsFile part_file(const GraphPart& p, const std::string& hash) {
  SafetensorsFile f;
  f.tensors["owned"] = vector_tensor(p.owned);
  f.tensors["row_ptr"] = vector_tensor(p.row_ptr);
  f.tensors["src"] = vector_tensor(p.src);
  f.tensors["row_start"] = vector_tensor(p.row_start);
  f.tensors["loops_before"] = vector_tensor(p.loops_before);
  f.tensors["halo"] = vector_tensor(p.halo);
  f.tensors["halo_part"] = vector_tensor(p.halo_part);
  f.tensors["halo_index"] = vector_tensor(p.halo_index);
  f.tensors["labels"] = vector_tensor(p.labels);
  f.tensors["train"] = vector_tensor(p.train);
  f.tensors["val"] = vector_tensor(p.val);
  f.tensors["test"] = vector_tensor(p.test);
  if (p.has_dense_features()) {
    f.tensors["dense_features"] = tensor_from_matrix<float>(p.dense_features);
  } else {
    f.tensors["features.row_ptr"] = vector_tensor(p.features.row_ptr);
    f.tensors["features.col"] = vector_tensor(p.features.col);
    f.tensors["features.val"] = vector_tensor(p.features.val);
    f.tensors["feature_start"] = vector_tensor(p.feature_start);
  }
  f.metadata = {{"format", "gat-partition-part"},
                {"version", std::to_string(kVersion)},
                {"dataset", p.name},
                {"part", std::to_string(p.part)},
                {"parts", std::to_string(p.parts)},
                {"nodes", std::to_string(p.total_nodes)},
                {"edges", std::to_string(p.total_edges)},
                {"classes", std::to_string(p.num_classes)},
                {"features", std::to_string(p.num_features)},
                {"feature_storage", p.has_dense_features() ? "dense" : "sparse"},
                {"assignment_hash", hash}};
  return f;
}

// ---------------------------------------------------------------------------------------------
// The folder

// Whether `dir` holds a manifest of a previous partition (which this write may replace).
bool holds_partition(const fs::path& dir) {
  std::error_code ec;
  const fs::path manifest = dir / kManifest;
  if (!fs::is_regular_file(manifest, ec)) return false;
  try {
    const json j = json::parse(read_input(manifest.string()));
    return j.is_object() && j.contains("format") && j["format"] == kFormat;
  } catch (const std::exception&) {
    return false;
  }
}

// Whether `dir` may be written (see the header); false when it does not exist yet.
bool check_folder(const std::string& dir) {
  GAT_CHECK(!dir.empty(), "the partition folder is empty: name a folder");
  const fs::path path(dir);
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (!fs::exists(st)) return false;
  GAT_CHECK(fs::is_directory(st), dir << ": exists and is not a folder; partitions are written "
                                         "into a folder");
  const bool empty = fs::is_empty(path, ec);
  GAT_CHECK(!ec, dir << ": cannot read the folder: " << ec.message());
  GAT_CHECK(empty || holds_partition(path),
            dir << ": the folder holds files that are not a gat partition (no manifest.json of "
                   "format gat-partition); give a new or empty folder, nothing was written");
  return true;
}

void prepare_folder(const std::string& dir) {
  if (check_folder(dir)) return;
  std::error_code ec;
  fs::create_directories(fs::path(dir), ec);
  GAT_CHECK(!ec, dir << ": cannot create the partition folder: " << ec.message());
}

// ---------------------------------------------------------------------------------------------
// Reading

// Reads field `key` of the manifest as T, or throws naming the file and the field.
template <typename T>
T field(const json& j, const char* key, const std::string& path) {
  GAT_CHECK(j.contains(key), path << ": missing field \"" << key << "\"");
  const json& v = j[key];
  if constexpr (std::is_same_v<T, std::string>) {
    GAT_CHECK(v.is_string(), path << ": field \"" << key << "\" must be a string");
    return v.get<std::string>();
  } else if constexpr (std::is_same_v<T, bool>) {
    GAT_CHECK(v.is_boolean(), path << ": field \"" << key << "\" must be true or false");
    return v.get<bool>();
  } else if constexpr (std::is_same_v<T, std::uint64_t>) {
    GAT_CHECK(v.is_number_unsigned() || (v.is_number_integer() && v.get<std::int64_t>() >= 0),
              path << ": field \"" << key << "\" must be a non-negative integer");
    return v.get<std::uint64_t>();
  } else {
    GAT_CHECK(v.is_number_integer(), path << ": field \"" << key << "\" must be an integer");
    const auto x = v.get<std::int64_t>();
    GAT_CHECK(x >= 0 && x <= static_cast<std::int64_t>(std::numeric_limits<T>::max()),
              path << ": field \"" << key << "\" is " << x << ", outside [0, "
                   << std::numeric_limits<T>::max() << "]");
    return static_cast<T>(x);
  }
}

PartitionManifest parse_manifest(const std::string& path) {
  json j;
  try {
    j = json::parse(read_input(path));
  } catch (const json::exception& e) {
    GAT_FAIL(path << ": not valid JSON (" << e.what() << ")");
  }
  GAT_CHECK(j.is_object(), path << ": not a JSON object");
  const auto format = field<std::string>(j, "format", path);
  GAT_CHECK(format == kFormat, path << ": format is '" << format << "', not '" << kFormat << "'");
  const int version = field<int>(j, "version", path);
  GAT_CHECK(version == kVersion, path << ": version " << version << " of the partition format; "
                                      << "this gat reads version " << kVersion);
  PartitionManifest m;
  m.dataset = field<std::string>(j, "dataset", path);
  m.parts = field<int>(j, "parts", path);
  try {
    m.method = parse_partition_method(field<std::string>(j, "method", path));
  } catch (const Error& e) {
    GAT_FAIL(path << ": " << e.what());
  }
  m.seed = field<std::uint64_t>(j, "seed", path);
  m.nodes = field<NodeId>(j, "nodes", path);
  m.edges = field<EdgeId>(j, "edges", path);
  m.num_classes = field<int>(j, "classes", path);
  m.num_features = field<std::int64_t>(j, "features", path);
  const auto storage = field<std::string>(j, "feature_storage", path);
  GAT_CHECK(storage == "dense" || storage == "sparse",
            path << ": feature_storage is '" << storage << "', not dense or sparse");
  m.dense_features = storage == "dense";
  m.assignment_hash = field<std::string>(j, "assignment_hash", path);
  GAT_CHECK(j.contains("class_names") && j["class_names"].is_array(),
            path << ": missing array \"class_names\"");
  for (const json& c : j["class_names"]) {
    GAT_CHECK(c.is_string(), path << ": class_names must hold strings");
    m.class_names.push_back(c.get<std::string>());
  }
  GAT_CHECK(
      static_cast<int>(m.class_names.size()) == m.num_classes,
      path << ": " << m.class_names.size() << " class names for " << m.num_classes << " classes");
  GAT_CHECK(j.contains("split") && j["split"].is_object(), path << ": missing object \"split\"");
  m.train_total = field<NodeId>(j["split"], "train", path);
  m.val_total = field<NodeId>(j["split"], "val", path);
  m.test_total = field<NodeId>(j["split"], "test", path);
  GAT_CHECK(std::int64_t{m.train_total} + m.val_total + m.test_total <= m.nodes,
            path << ": the split holds more nodes than the graph's " << m.nodes);
  GAT_CHECK(m.parts >= 1 && m.parts <= std::max<NodeId>(m.nodes, 1),
            path << ": parts is " << m.parts << ", outside [1, " << m.nodes << "]");
  GAT_CHECK(j.contains("part_files") && j["part_files"].is_array(),
            path << ": missing array \"part_files\"");
  const json& files = j["part_files"];
  GAT_CHECK(files.size() == static_cast<std::size_t>(m.parts),
            path << ": " << files.size() << " part_files for " << m.parts << " parts");
  std::int64_t owned = 0;
  EdgeId edges = 0;
  for (std::size_t k = 0; k < files.size(); ++k) {
    GAT_CHECK(files[k].is_object(), path << ": part_files[" << k << "] is not an object");
    PartitionManifestPart p;
    p.file = field<std::string>(files[k], "file", path);
    // A plain name inside the folder: a manifest must not send a reader elsewhere.
    GAT_CHECK(
        !p.file.empty() && p.file.find('/') == std::string::npos && p.file != "." && p.file != "..",
        path << ": part_files[" << k << "] names '" << p.file
             << "', not a file name inside the folder");
    p.owned = field<NodeId>(files[k], "owned", path);
    p.in_edges = field<EdgeId>(files[k], "in_edges", path);
    p.halo = field<NodeId>(files[k], "halo", path);
    owned += p.owned;
    edges += p.in_edges;
    m.part_files.push_back(std::move(p));
  }
  GAT_CHECK(owned == m.nodes,
            path << ": the parts own " << owned << " nodes in all, not the graph's " << m.nodes);
  GAT_CHECK(edges == m.edges, path << ": the parts hold " << edges
                                   << " in-edges in all, not the graph's " << m.edges);
  return m;
}

// The tensor `name` of a part file, checked for dtype and shape; throws naming the file.
const SafetensorsTensor& tensor(const SafetensorsFile& f, const std::string& name,
                                SafetensorsDtype dtype, std::vector<std::int64_t> shape,
                                const std::string& path) {
  const auto it = f.tensors.find(name);
  GAT_CHECK(it != f.tensors.end(), path << ": missing tensor '" << name << "'");
  const SafetensorsTensor& t = it->second;
  GAT_CHECK(t.dtype == dtype, path << ": tensor '" << name << "' is " << dtype_name(t.dtype)
                                   << ", expected " << dtype_name(dtype));
  auto text = [](const std::vector<std::int64_t>& s) {
    std::string out = "(";
    for (std::size_t d = 0; d < s.size(); ++d) out += (d ? ", " : "") + std::to_string(s[d]);
    return out + ")";
  };
  GAT_CHECK(t.shape == shape, path << ": tensor '" << name << "' has shape " << text(t.shape)
                                   << ", expected " << text(shape));
  return t;
}

template <typename T>
std::vector<T> vector_of(const SafetensorsFile& f, const std::string& name, std::int64_t size,
                         const std::string& path) {
  const SafetensorsTensor& t = tensor(f, name, dtype_of<T>(), {size}, path);
  std::vector<T> v(static_cast<std::size_t>(size));
  if (size > 0) std::memcpy(v.data(), t.data.data(), t.data.size());
  return v;
}

// The length of 1-D tensor `name`, before it is read (for tensors whose length is not known
// from the manifest).
std::int64_t length_of(const SafetensorsFile& f, const std::string& name, const std::string& path) {
  const auto it = f.tensors.find(name);
  GAT_CHECK(it != f.tensors.end(), path << ": missing tensor '" << name << "'");
  GAT_CHECK(it->second.shape.size() == 1, path << ": tensor '" << name << "' must be 1-D, has "
                                               << it->second.shape.size() << " dimensions");
  return it->second.shape[0];
}

std::string meta(const SafetensorsFile& f, const std::string& key, const std::string& path) {
  const auto it = f.metadata.find(key);
  GAT_CHECK(it != f.metadata.end(), path << ": missing metadata '" << key << "'");
  return it->second;
}

void check_meta(const SafetensorsFile& f, const std::string& key, const std::string& expected,
                const std::string& path, const std::string& manifest) {
  const std::string value = meta(f, key, path);
  GAT_CHECK(value == expected, path << ": metadata " << key << " is '" << value << "' where "
                                    << manifest << " says '" << expected
                                    << "' (a part of another partition?)");
}

// Row indices: strictly ascending, in [0, n).
void check_rows(const std::vector<NodeId>& rows, NodeId n, const char* what,
                const std::string& path) {
  for (std::size_t r = 0; r < rows.size(); ++r) {
    GAT_CHECK(rows[r] >= 0 && rows[r] < n, path << ": " << what << "[" << r << "] = " << rows[r]
                                                << ", outside [0, " << n << ")");
    GAT_CHECK(r == 0 || rows[r - 1] < rows[r],
              path << ": " << what << " is not strictly ascending at entry " << r);
  }
}

void check_offsets(const std::vector<EdgeId>& ptr, EdgeId total, const char* what,
                   const std::string& path) {
  GAT_CHECK(ptr.front() == 0, path << ": " << what << "[0] is " << ptr.front() << ", not 0");
  for (std::size_t r = 1; r < ptr.size(); ++r) {
    GAT_CHECK(ptr[r - 1] <= ptr[r], path << ": " << what << " decreases at entry " << r);
  }
  GAT_CHECK(ptr.back() == total,
            path << ": " << what << " ends at " << ptr.back() << ", not " << total);
}

GraphPart parse_part(const std::string& path, const PartitionManifest& m, int k,
                     const std::string& manifest_path) {
  const SafetensorsFile f = read_safetensors(path);
  const PartitionManifestPart& info = m.part_files[k];
  check_meta(f, "format", "gat-partition-part", path, manifest_path);
  check_meta(f, "version", std::to_string(kVersion), path, manifest_path);
  check_meta(f, "assignment_hash", m.assignment_hash, path, manifest_path);
  check_meta(f, "part", std::to_string(k), path, manifest_path);
  check_meta(f, "parts", std::to_string(m.parts), path, manifest_path);
  check_meta(f, "dataset", m.dataset, path, manifest_path);
  check_meta(f, "nodes", std::to_string(m.nodes), path, manifest_path);
  check_meta(f, "edges", std::to_string(m.edges), path, manifest_path);
  check_meta(f, "classes", std::to_string(m.num_classes), path, manifest_path);
  check_meta(f, "features", std::to_string(m.num_features), path, manifest_path);
  check_meta(f, "feature_storage", m.dense_features ? "dense" : "sparse", path, manifest_path);

  GraphPart p;
  p.name = m.dataset;
  p.part = k;
  p.parts = m.parts;
  p.total_nodes = m.nodes;
  p.total_edges = m.edges;
  p.num_classes = m.num_classes;
  p.num_features = m.num_features;
  p.train_total = m.train_total;
  p.val_total = m.val_total;
  p.test_total = m.test_total;
  const NodeId n = info.owned;
  const NodeId N = m.nodes;

  p.owned = vector_of<NodeId>(f, "owned", n, path);
  check_rows(p.owned, N, "owned", path);
  p.row_ptr = vector_of<EdgeId>(f, "row_ptr", std::int64_t{n} + 1, path);
  check_offsets(p.row_ptr, info.in_edges, "row_ptr", path);
  p.src = vector_of<NodeId>(f, "src", info.in_edges, path);
  p.row_start = vector_of<EdgeId>(f, "row_start", n, path);
  p.loops_before = vector_of<EdgeId>(f, "loops_before", n, path);
  for (NodeId r = 0; r < n; ++r) {
    const EdgeId deg = p.row_ptr[r + 1] - p.row_ptr[r];
    const EdgeId end = r + 1 < n ? p.row_start[r + 1] : m.edges;
    // Rows of ascending nodes sit in ascending, non-overlapping slot ranges of the whole CSR.
    GAT_CHECK(p.row_start[r] >= 0 && p.row_start[r] + deg <= end,
              path << ": row_start[" << r << "] = " << p.row_start[r] << " with " << deg
                   << " in-edges does not fit before " << end);
    GAT_CHECK(p.loops_before[r] >= 0 && p.loops_before[r] <= p.row_start[r] &&
                  (r == 0 || p.loops_before[r - 1] <= p.loops_before[r]),
              path << ": loops_before[" << r << "] = " << p.loops_before[r]
                   << " is negative, decreasing or beyond row_start");
  }

  p.halo = vector_of<NodeId>(f, "halo", info.halo, path);
  check_rows(p.halo, N, "halo", path);
  p.halo_part = vector_of<std::int32_t>(f, "halo_part", info.halo, path);
  p.halo_index = vector_of<NodeId>(f, "halo_index", info.halo, path);
  for (NodeId h = 0; h < info.halo; ++h) {
    const std::int32_t q = p.halo_part[h];
    GAT_CHECK(q >= 0 && q < m.parts && q != k, path << ": halo_part[" << h << "] = " << q
                                                    << ", not another part in [0, " << m.parts
                                                    << ")");
    GAT_CHECK(p.halo_index[h] >= 0 && p.halo_index[h] < m.part_files[q].owned,
              path << ": halo_index[" << h << "] = " << p.halo_index[h] << ", outside part " << q
                   << "'s " << m.part_files[q].owned << " rows");
  }
  // Disjoint from owned: both ascending, one merge.
  for (std::size_t a = 0, b = 0; a < p.owned.size() && b < p.halo.size();) {
    GAT_CHECK(p.owned[a] != p.halo[b],
              path << ": node " << p.owned[a] << " is both owned and in the halo");
    if (p.owned[a] < p.halo[b]) {
      ++a;
    } else {
      ++b;
    }
  }
  // Every source is owned or in the halo (the halo is complete).
  for (std::size_t s = 0; s < p.src.size(); ++s) {
    const NodeId j = p.src[s];
    GAT_CHECK(j >= 0 && j < N,
              path << ": src[" << s << "] = " << j << ", outside [0, " << N << ")");
    GAT_CHECK(std::binary_search(p.owned.begin(), p.owned.end(), j) ||
                  std::binary_search(p.halo.begin(), p.halo.end(), j),
              path << ": source " << j << " of src[" << s << "] is neither owned nor in the halo");
  }

  if (m.dense_features) {
    const SafetensorsTensor& t =
        tensor(f, "dense_features", SafetensorsDtype::kF32, {n, m.num_features}, path);
    p.dense_features = tensor_to_matrix<float>(t, path + " dense_features");
  } else {
    p.features.rows = n;
    p.features.cols = m.num_features;
    p.features.row_ptr = vector_of<EdgeId>(f, "features.row_ptr", std::int64_t{n} + 1, path);
    const std::int64_t nnz = length_of(f, "features.col", path);
    check_offsets(p.features.row_ptr, nnz, "features.row_ptr", path);
    p.features.col = vector_of<std::int32_t>(f, "features.col", nnz, path);
    p.features.val = vector_of<float>(f, "features.val", nnz, path);
    try {
      validate(p.features);
    } catch (const Error& e) {
      GAT_FAIL(path << ": features: " << e.what());
    }
    p.feature_start = vector_of<EdgeId>(f, "feature_start", n, path);
    for (NodeId r = 0; r < n; ++r) {
      const EdgeId len = p.features.row_ptr[r + 1] - p.features.row_ptr[r];
      GAT_CHECK(p.feature_start[r] >= 0 &&
                    (r == 0 ||
                     p.feature_start[r - 1] + (p.features.row_ptr[r] - p.features.row_ptr[r - 1]) <=
                         p.feature_start[r]),
                path << ": feature_start[" << r << "] = " << p.feature_start[r]
                     << " is negative or overlaps the previous row");
      GAT_CHECK(p.feature_start[r] <= std::numeric_limits<EdgeId>::max() - len,
                path << ": feature_start[" << r << "] overflows");
    }
  }

  p.labels = vector_of<std::int32_t>(f, "labels", n, path);
  for (NodeId r = 0; r < n; ++r) {
    GAT_CHECK(p.labels[r] >= -1 && p.labels[r] < m.num_classes,
              path << ": labels[" << r << "] = " << p.labels[r] << ", outside [-1, "
                   << m.num_classes << ")");
  }
  const auto split = [&](const char* name, NodeId total) {
    const std::int64_t size = length_of(f, name, path);
    GAT_CHECK(size <= std::min<std::int64_t>(n, total),
              path << ": " << size << " " << name << " rows, more than the part's " << n
                   << " rows or the split's " << total << " nodes");
    std::vector<NodeId> rows = vector_of<NodeId>(f, name, size, path);
    check_rows(rows, n, name, path);
    return rows;
  };
  p.train = split("train", m.train_total);
  p.val = split("val", m.val_total);
  p.test = split("test", m.test_total);
  return p;
}

}  // namespace

GraphPart make_part(const Dataset& data, const std::vector<std::int32_t>& assignment, int parts,
                    int k) {
  check_assignment(data, assignment, parts);
  GAT_CHECK(k >= 0 && k < parts, "part " << k << " is outside [0, " << parts << ")");
  return build_part(data, assignment, parts, k, part_index(data, assignment, parts));
}

void check_partition_folder(const std::string& dir) { check_folder(dir); }

void write_partitions(const std::string& dir, const Dataset& data,
                      const std::vector<std::int32_t>& assignment, int parts,
                      PartitionMethod method, std::uint64_t seed) {
  check_assignment(data, assignment, parts);
  prepare_folder(dir);
  const PartIndex ix = part_index(data, assignment, parts);
  const std::string hash = assignment_hash(assignment, parts);
  json files = json::array();
  // The parts go to hidden temporary names first: the long work (building and writing every
  // part) can fail (a full disk) without touching a previous partition in the folder. Only
  // then are they renamed over the old part files, and the manifest replaced last.
  const auto temp_name = [](int k) { return "." + part_file_name(k) + ".tmp"; };
  int written = 0;
  try {
    for (int k = 0; k < parts; ++k) {
      // One part in memory at a time.
      const GraphPart p = build_part(data, assignment, parts, k, ix);
      write_safetensors((fs::path(dir) / temp_name(k)).string(), part_file(p, hash));
      written = k + 1;
      files.push_back({{"file", part_file_name(k)},
                       {"owned", p.num_owned()},
                       {"in_edges", p.row_ptr.back()},
                       {"halo", p.halo.size()}});
    }
  } catch (...) {
    std::error_code ignored;
    for (int k = 0; k < written; ++k) fs::remove(fs::path(dir) / temp_name(k), ignored);
    throw;
  }
  // Renames within one folder: quick, and they need no space. Should the process die among
  // them, the old manifest's assignment hash refuses the new part files beside it.
  for (int k = 0; k < parts; ++k) {
    std::error_code ec;
    fs::rename(fs::path(dir) / temp_name(k), fs::path(dir) / part_file_name(k), ec);
    GAT_CHECK(!ec, (fs::path(dir) / part_file_name(k)).string()
                       << ": cannot move the new part file into place: " << ec.message());
  }
  json manifest = {
      {"format", kFormat},
      {"version", kVersion},
      {"dataset", data.name},
      {"parts", parts},
      {"method", to_string(method)},
      {"seed", seed},
      {"nodes", data.num_nodes()},
      {"edges", data.graph.num_edges()},
      {"classes", data.num_classes()},
      {"class_names", data.class_names},
      {"features", data.num_features()},
      {"feature_storage", data.has_dense_features() ? "dense" : "sparse"},
      {"split",
       {{"train", data.train.size()}, {"val", data.val.size()}, {"test", data.test.size()}}},
      {"assignment_hash", hash},
      {"part_files", files}};
  // Last: until here a previous manifest (if any) still describes the folder.
  write_output((fs::path(dir) / kManifest).string(), manifest.dump(2) + "\n");
}

PartitionManifest read_manifest(const std::string& dir) {
  return parse_manifest((fs::path(dir) / kManifest).string());
}

int read_partition_count(const std::string& dir) { return read_manifest(dir).parts; }

GraphPart read_partition(const std::string& dir, int part) {
  const std::string manifest_path = (fs::path(dir) / kManifest).string();
  const PartitionManifest m = parse_manifest(manifest_path);
  GAT_CHECK(part >= 0 && part < m.parts,
            manifest_path << ": has " << m.parts << " parts, no part " << part);
  const std::string path = (fs::path(dir) / m.part_files[part].file).string();
  return parse_part(path, m, part, manifest_path);
}

}  // namespace gat
