// gat info: what a dataset holds — nodes, edges, self loops, features, classes, degrees, split —
// and whether this gat can train on a GPU here (--device cuda).

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commands.hpp"
#include "common.hpp"
#include "gat/core/device.hpp"
#include "gat/core/error.hpp"
#include "results.hpp"

namespace gat::app {
namespace {

struct InfoFlags {
  DataFlags data;
  std::string json;
};

// What gat info reports about a dataset, computed once for the table and the JSON.
struct DatasetStats {
  // Degree = neighbours other than the node itself (a self loop is counted apart), from the
  // in-edges of each row; the loaders store both directions, so in- and out-degree agree.
  std::vector<double> degree;
  EdgeId self_loops = 0;
  EdgeId undirected = 0;   // unordered pairs {u, v}, u ≠ v
  bool symmetric = false;  // every pair stored once in each direction
  std::ptrdiff_t isolated = 0;
  double dmin = 0, dmax = 0, dmean = 0, dmedian = 0;
  std::vector<long long> class_counts;
  long long unassigned = 0;   // nodes in no split
  long long unlabelled = 0;   // nodes whose label is -1 (a graph of one's own may have some)
  std::int64_t nonzeros = 0;  // of the feature matrix
  double density = 0;         // non-zero share of the feature matrix
};

DatasetStats dataset_stats(const Dataset& data) {
  const CsrGraph& g = data.graph;
  const NodeId n = g.num_nodes();
  const auto& row_ptr = g.row_ptr();
  const auto& src = g.src();
  DatasetStats st;
  st.degree.resize(static_cast<std::size_t>(n));
  std::vector<std::uint64_t> pairs;  // unordered pairs {u, v}, u < v, packed as u·2^32 + v
  for (NodeId i = 0; i < n; ++i) {
    EdgeId d = 0;
    for (EdgeId k = row_ptr[i]; k < row_ptr[i + 1]; ++k) {
      const NodeId j = src[k];
      if (j == i) {
        ++st.self_loops;
        continue;
      }
      ++d;
      const auto lo = static_cast<std::uint64_t>(std::min(i, j));
      const auto hi = static_cast<std::uint64_t>(std::max(i, j));
      pairs.push_back(lo << 32 | hi);
    }
    st.degree[i] = static_cast<double>(d);
  }
  std::sort(pairs.begin(), pairs.end());
  const EdgeId directed_pairs = static_cast<EdgeId>(pairs.size());  // with repeats
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
  st.undirected = static_cast<EdgeId>(pairs.size());
  st.symmetric = directed_pairs == 2 * st.undirected;
  st.isolated = std::count(st.degree.begin(), st.degree.end(), 0.0);
  st.dmin = n ? *std::min_element(st.degree.begin(), st.degree.end()) : 0.0;
  st.dmax = n ? *std::max_element(st.degree.begin(), st.degree.end()) : 0.0;
  st.dmean = mean(st.degree);
  st.dmedian = median(st.degree);

  st.class_counts.assign(static_cast<std::size_t>(data.num_classes()), 0);
  for (const auto label : data.labels) {
    if (label < 0) {
      ++st.unlabelled;
    } else {
      ++st.class_counts[static_cast<std::size_t>(label)];
    }
  }
  st.unassigned = static_cast<long long>(n) -
                  static_cast<long long>(data.train.size() + data.val.size() + data.test.size());
  const std::int64_t cells = std::int64_t{n} * data.num_features();
  st.nonzeros = data.features.nnz();
  if (data.has_dense_features()) {
    st.nonzeros = (data.dense_features.array() != 0.0f).count();
  }
  st.density = cells ? double(st.nonzeros) / double(cells) : 0.0;
  return st;
}

// What loading cost: wall time, and the process's peak memory right after loading (before the
// statistics below allocate their own) beside the bytes of the graph it built.
struct LoadCost {
  double seconds = 0;
  double peak_mib = -1;
  double graph_mib = 0;
};

void print_stats(const Dataset& data, const LinqsReport& linqs, const NodeDataReport* own,
                 const LoadCost& cost, const DatasetStats& st) {
  const NodeId n = data.graph.num_nodes();
  std::fprintf(report(), "dataset %s\n", data.name.c_str());
  std::fprintf(report(), "nodes            %d\n", n);
  std::fprintf(report(),
               "loaded in        %.2f s; peak memory %.1f MiB, graph (CSR + transpose) %.1f MiB\n",
               cost.seconds, cost.peak_mib, cost.graph_mib);
  std::fprintf(report(),
               "edges            %lld directed slots = %lld undirected pairs%s + %lld self loops\n",
               static_cast<long long>(data.graph.num_edges()),
               static_cast<long long>(st.undirected),
               st.symmetric ? " (both directions)" : " (NOT symmetric)",
               static_cast<long long>(st.self_loops));
  if (linqs.skipped_citations > 0) {
    std::fprintf(report(), "skipped          %lld citations to unknown nodes\n",
                 static_cast<long long>(linqs.skipped_citations));
  }
  if (own) {
    const EdgeListReport& e = own->edges;
    std::fprintf(report(),
                 "edge list        %lld edges read (%lld self loops, %lld repeated pairs), %lld "
                 "duplicates dropped; %lld comment, %lld blank lines\n",
                 static_cast<long long>(own->edges_read), static_cast<long long>(e.self_loops),
                 static_cast<long long>(e.duplicates),
                 static_cast<long long>(own->duplicates_dropped),
                 static_cast<long long>(e.comments), static_cast<long long>(e.blank));
    if (own->value_columns > 0) {
      std::fprintf(report(), "edge values      %lld columns, not used by node models\n",
                   static_cast<long long>(own->value_columns));
    }
  }
  std::fprintf(report(), "features         %lld per node, %lld non-zeros (density %.4f%%), %s\n",
               static_cast<long long>(data.num_features()), static_cast<long long>(st.nonzeros),
               100.0 * st.density, data.has_dense_features() ? "stored dense" : "stored sparse");
  std::fprintf(report(),
               "degree           min %g, median %g, mean %.3f, max %g (self loops not counted)\n",
               st.dmin, st.dmedian, st.dmean, st.dmax);
  std::fprintf(report(), "isolated nodes   %lld\n", static_cast<long long>(st.isolated));
  std::fprintf(report(), "split            train %zu, val %zu, test %zu, none %lld\n",
               data.train.size(), data.val.size(), data.test.size(), st.unassigned);
  if (own) std::fprintf(report(), "split made by    %s\n", own->split.c_str());
  std::fprintf(
      report(), "classes          %d%s\n", data.num_classes(),
      st.unlabelled ? (", " + std::to_string(st.unlabelled) + " nodes unlabelled").c_str() : "");
  for (int c = 0; c < data.num_classes(); ++c) {
    std::fprintf(report(), "  [%d] %-28s %6lld nodes (%.1f%%)\n", c, data.class_names[c].c_str(),
                 st.class_counts[c], n ? 100.0 * double(st.class_counts[c]) / n : 0.0);
  }
}

nlohmann::json stats_json(const Dataset& data, const LinqsReport& linqs, const NodeDataReport* own,
                          const LoadCost& cost, const DatasetStats& st) {
  nlohmann::json out;
  out["dataset"] = data.name;
  out["nodes"] = data.graph.num_nodes();
  out["load"] = {
      {"seconds", cost.seconds}, {"peak_mib", cost.peak_mib}, {"graph_mib", cost.graph_mib}};
  out["edges"] = {{"directed_slots", data.graph.num_edges()},
                  {"undirected_pairs", st.undirected},
                  {"self_loops", st.self_loops},
                  {"symmetric", st.symmetric},
                  {"skipped_citations", linqs.skipped_citations}};
  if (own) {
    out["edge_list"] = {
        {"edges_read", own->edges_read},           {"self_loops", own->edges.self_loops},
        {"repeated_pairs", own->edges.duplicates}, {"duplicates_dropped", own->duplicates_dropped},
        {"value_columns", own->value_columns},     {"lines", own->edges.lines},
        {"comments", own->edges.comments},         {"blank", own->edges.blank}};
    out["split_made_by"] = own->split;
  }
  out["features"] = {
      {"columns", data.num_features()}, {"nnz", st.nonzeros}, {"dense", data.has_dense_features()}};
  out["unlabelled_nodes"] = st.unlabelled;
  out["degree"] = {{"min", st.dmin}, {"median", st.dmedian}, {"mean", st.dmean}, {"max", st.dmax}};
  out["isolated_nodes"] = st.isolated;
  out["split"] = {{"train", data.train.size()},
                  {"val", data.val.size()},
                  {"test", data.test.size()},
                  {"none", st.unassigned}};
  for (int c = 0; c < data.num_classes(); ++c) {
    out["classes"].push_back({{"name", data.class_names[c]}, {"count", st.class_counts[c]}});
  }
  return out;
}

// "13.0" from the CUDA runtime's encoding of a version, 1000·major + 10·minor.
std::string cuda_version(int version) {
  return std::to_string(version / 1000) + "." + std::to_string(version % 1000 / 10);
}

// One line on whether --device cuda can run: the device, or why not.
void print_cuda(const CudaStatus& s) {
  std::string line = "built with CUDA: " + std::string(s.built ? "yes" : "no");
  if (s.usable) {
    line += "; device 0: " + cuda_device_text(s) + ", driver CUDA " +
            cuda_version(s.driver_version) + ", runtime CUDA " + cuda_version(s.runtime_version);
  } else {
    line += "; --device cuda cannot run: " + s.reason;
  }
  std::fprintf(report(), "cuda             %s\n", line.c_str());
}

nlohmann::json cuda_json(const CudaStatus& s) {
  nlohmann::json out = {{"built", s.built}, {"usable", s.usable}};
  if (!s.usable) out["reason"] = s.reason;
  if (s.usable) {
    out["device"] = s.name;
    out["compute_capability"] =
        std::to_string(s.compute_major) + "." + std::to_string(s.compute_minor);
    out["memory_bytes"] = s.memory_bytes;
  }
  if (s.built) {
    out["driver_version"] = s.driver_version;
    out["runtime_version"] = s.runtime_version;
  }
  return out;
}

void run_info(const InfoFlags& f) {
  check_outputs({{f.json, "--json"}});
  LinqsReport linqs;
  NodeDataReport own_report;
  LoadCost cost;
  const auto start = std::chrono::steady_clock::now();
  const Dataset data = load_dataset(f.data, &linqs, &own_report);
  cost.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  cost.peak_mib = peak_rss_mib();
  cost.graph_mib = double(data.graph.memory_bytes()) / (1024.0 * 1024.0);
  const NodeDataReport* own = f.data.own_graph() ? &own_report : nullptr;
  const DatasetStats st = dataset_stats(data);
  print_stats(data, linqs, own, cost, st);
  const CudaStatus cuda = cuda_status();
  print_cuda(cuda);
  if (!f.json.empty()) {
    nlohmann::json out = stats_json(data, linqs, own, cost, st);
    out["cuda"] = cuda_json(cuda);
    write_json(f.json, out);
  }
}

}  // namespace

void register_info(CLI::App& app) {
  auto flags = std::make_shared<InfoFlags>();
  auto& f = *flags;
  CLI::App* cmd = app.add_subcommand(
      "info",
      "Describe a dataset: nodes, edges, features, classes, degrees, split; and the CUDA device");
  add_data_flags(*cmd, f.data);
  cmd->add_option("--json", f.json,
                  "Also write the statistics as JSON to this file ('-': stdout, the table then "
                  "goes to stderr)")
      ->check(non_empty_path());
  cmd->callback([flags] { run_info(*flags); });
}

}  // namespace gat::app
