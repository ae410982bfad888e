// gat partition: split a dataset's nodes into P parts for distributed training (METIS k-way or
// random), print what each part holds and what the cut costs, and with --out write the parts
// (gat/io/partition.hpp) for `mpirun -np P gat train --partitions DIR`.

#include "gat/graph/partition.hpp"

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commands.hpp"
#include "common.hpp"
#include "gat/core/error.hpp"
#include "gat/graph/generate.hpp"
#include "gat/io/partition.hpp"

namespace gat::app {
namespace {

struct PartitionFlags {
  DataFlags data;
  int parts = 0;
  std::string method = "metis";
  std::uint64_t seed = 0;
  std::string out;
  std::string json;
  // A generated graph instead of a dataset, as gat bench makes them (--nodes, --degree,
  // --graph): for measuring partitions of graphs larger than the bundled ones.
  std::int64_t nodes = 0;
  double degree = 10;
  std::string graph = "rmat";
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The graph gat bench would time for --nodes N --degree D --graph G, as a dataset with no
// features, labels or split (a part of it holds the graph alone).
Dataset generated_dataset(const PartitionFlags& f) {
  Dataset d;
  if (f.graph == "rmat") {
    const int scale = static_cast<int>(std::ceil(std::log2(double(f.nodes))));
    const auto edges = static_cast<EdgeId>(double(EdgeId{1} << scale) * f.degree / 2);
    d.graph = rmat(scale, edges, 0.57, 0.19, 0.19, f.seed);
  } else {
    d.graph = erdos_renyi(static_cast<NodeId>(f.nodes), f.degree, f.seed);
  }
  d.name = f.graph + "-" + std::to_string(d.graph.num_nodes());
  d.features.rows = d.graph.num_nodes();
  d.features.row_ptr.assign(static_cast<std::size_t>(d.graph.num_nodes()) + 1, 0);
  d.labels.assign(static_cast<std::size_t>(d.graph.num_nodes()), -1);
  return d;
}

void print_stats(const Dataset& data, const PartitionFlags& f, const PartitionStats& st,
                 double seconds) {
  std::fprintf(report(), "dataset %s: %d nodes, %lld edges (%lld self loops)\n", data.name.c_str(),
               st.nodes, static_cast<long long>(st.edges), static_cast<long long>(st.self_loops));
  std::fprintf(report(), "%d parts by %s (seed %llu) in %.2f s\n", st.parts, f.method.c_str(),
               static_cast<unsigned long long>(f.seed), seconds);
  std::fprintf(report(), "%6s %12s %14s %12s\n", "part", "owned", "in-edges", "halo");
  for (int k = 0; k < st.parts; ++k) {
    std::fprintf(report(), "%6d %12d %14lld %12d\n", k, st.owned[k],
                 static_cast<long long>(st.in_edges[k]), st.halo[k]);
  }
  std::fprintf(report(),
               "edge cut %lld of %lld edges (%.2f %%, self loops not counted); halo %lld nodes "
               "in all; balance (max / mean) nodes %.3f, in-edges %.3f\n",
               static_cast<long long>(st.edge_cut),
               static_cast<long long>(st.edges - st.self_loops), 100.0 * st.cut_fraction,
               static_cast<long long>(st.total_halo), st.node_balance, st.edge_balance);
}

nlohmann::json stats_json(const Dataset& data, const PartitionFlags& f, const PartitionStats& st,
                          double seconds) {
  nlohmann::json out = {{"dataset", data.name},
                        {"nodes", st.nodes},
                        {"edges", st.edges},
                        {"self_loops", st.self_loops},
                        {"parts", st.parts},
                        {"method", f.method},
                        {"seed", f.seed},
                        {"seconds", seconds},
                        {"edge_cut", st.edge_cut},
                        {"cut_fraction", st.cut_fraction},
                        {"total_halo", st.total_halo},
                        {"node_balance", st.node_balance},
                        {"edge_balance", st.edge_balance},
                        {"out", f.out.empty() ? nlohmann::json() : nlohmann::json(f.out)}};
  for (int k = 0; k < st.parts; ++k) {
    out["part"].push_back(
        {{"owned", st.owned[k]}, {"in_edges", st.in_edges[k]}, {"halo", st.halo[k]}});
  }
  return out;
}

void run_partition(const PartitionFlags& f) {
  check_outputs({{f.json, "--json"}});
  // Before METIS runs (minutes on large graphs): a folder that would be refused.
  if (!f.out.empty()) check_partition_folder(f.out);
  const PartitionMethod method = parse_partition_method(f.method);
  const Dataset data = f.nodes > 0 ? generated_dataset(f) : load_dataset(f.data);
  const auto start = std::chrono::steady_clock::now();
  const std::vector<std::int32_t> part = partition_nodes(data.graph, f.parts, method, f.seed);
  const double seconds = seconds_since(start);
  const PartitionStats st = partition_stats(data.graph, part, f.parts);
  print_stats(data, f, st, seconds);
  if (!f.out.empty()) {
    write_partitions(f.out, data, part, f.parts, method, f.seed);
    std::fprintf(report(), "wrote %s: manifest.json and %d part files\n", f.out.c_str(), f.parts);
  }
  if (!f.json.empty()) write_json(f.json, stats_json(data, f, st, seconds));
}

}  // namespace

void register_partition(CLI::App& app) {
  auto flags = std::make_shared<PartitionFlags>();
  auto& f = *flags;
  CLI::App* cmd = app.add_subcommand(
      "partition",
      "Split a dataset's nodes into parts for distributed training (METIS or random); print "
      "the edge cut and halo of each part, and with --out write one file per part");
  add_data_flags(*cmd, f.data);
  // No range check here: a count the graph cannot take is the library's error (exit 1), which
  // names the graph's node count.
  cmd->add_option("--parts", f.parts, "Number of parts P (one per process), in [1, N]")->required();
  cmd->add_option("--method", f.method,
                  "metis (k-way: minimal edge cut, nodes and in-edges balanced) or random")
      ->capture_default_str()
      ->check(CLI::IsMember({"metis", "random"}));
  cmd->add_option("--seed", f.seed, "Seed of the partition (and of a generated graph)")
      ->capture_default_str()
      ->check(seed_value());
  cmd->add_option("--out", f.out,
                  "Write the partition into this folder (new, empty, or holding a previous "
                  "partition): manifest.json and part-<k>.safetensors; without it only the "
                  "statistics are printed")
      ->check(non_empty_path(false));
  cmd->add_option("--json", f.json,
                  "Also write the statistics as JSON to this file ('-': stdout, the table then "
                  "goes to stderr)")
      ->check(non_empty_path());
  cmd->add_option("--nodes", f.nodes,
                  "Partition a generated graph of this many nodes instead of a dataset (as gat "
                  "bench generates them; rmat rounds up to a power of two)")
      ->check(CLI::Range(2L, 1L << 30));
  cmd->add_option("--degree", f.degree, "Target average degree of a generated graph")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--graph", f.graph, "Generator: rmat (power law) or er (Erdos-Renyi)")
      ->capture_default_str()
      ->check(CLI::IsMember({"rmat", "er"}));
  cmd->callback([flags, cmd] {
    if (flags->nodes > 0) {
      GAT_USAGE_CHECK(cmd->count("--dataset") == 0,
                      "--nodes generates a graph: give it or --dataset, not both");
      GAT_USAGE_CHECK(!flags->data.own_graph(),
                      "--nodes generates a graph: give it or --edges / --ogb, not both");
      refuse_own_graph_flags(flags->data, "with --nodes gat partition generates its graph");
    } else {
      GAT_USAGE_CHECK(cmd->count("--degree") == 0 && cmd->count("--graph") == 0,
                      "--degree and --graph describe a generated graph: give --nodes too");
    }
    run_partition(*flags);
  });
}

}  // namespace gat::app
