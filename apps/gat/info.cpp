// gat info: what a dataset holds — nodes, edges, self loops, features, classes, degrees, split.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commands.hpp"
#include "common.hpp"
#include "gat/core/error.hpp"
#include "results.hpp"

namespace gat::app {
namespace {

struct InfoFlags {
  DataFlags data;
  std::string json;
};

void run_info(const InfoFlags& f) {
  check_outputs({{f.json, "--json"}});
  const Dataset data = load_dataset(f.data);
  const CsrGraph& g = data.graph;
  const NodeId n = g.num_nodes();
  const auto& row_ptr = g.row_ptr();
  const auto& src = g.src();

  // Degree = neighbours other than the node itself (a self loop is counted apart), from the
  // in-edges of each row; the loaders store both directions, so in- and out-degree agree.
  std::vector<double> degree(static_cast<std::size_t>(n));
  std::vector<std::uint64_t> pairs;  // unordered pairs {u, v}, u < v, packed as u·2^32 + v
  EdgeId self_loops = 0;
  for (NodeId i = 0; i < n; ++i) {
    EdgeId d = 0;
    for (EdgeId k = row_ptr[i]; k < row_ptr[i + 1]; ++k) {
      const NodeId j = src[k];
      if (j == i) {
        ++self_loops;
        continue;
      }
      ++d;
      const auto lo = static_cast<std::uint64_t>(std::min(i, j));
      const auto hi = static_cast<std::uint64_t>(std::max(i, j));
      pairs.push_back(lo << 32 | hi);
    }
    degree[i] = static_cast<double>(d);
  }
  std::sort(pairs.begin(), pairs.end());
  const EdgeId directed_pairs = static_cast<EdgeId>(pairs.size());  // with repeats
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
  const auto undirected = static_cast<EdgeId>(pairs.size());
  const bool symmetric = directed_pairs == 2 * undirected;
  const auto isolated = std::count(degree.begin(), degree.end(), 0.0);
  const double dmin = n ? *std::min_element(degree.begin(), degree.end()) : 0.0;
  const double dmax = n ? *std::max_element(degree.begin(), degree.end()) : 0.0;
  const double dmean = mean(degree), dmedian = median(degree);

  std::vector<long long> class_counts(static_cast<std::size_t>(data.num_classes()), 0);
  for (const auto label : data.labels) ++class_counts[label];
  const auto unassigned =
      static_cast<long long>(n) -
      static_cast<long long>(data.train.size() + data.val.size() + data.test.size());
  const std::int64_t cells = std::int64_t{n} * data.num_features();
  const double density = cells ? double(data.features.nnz()) / double(cells) : 0.0;

  std::fprintf(report(), "dataset %s\n", data.name.c_str());
  std::fprintf(report(), "nodes            %d\n", n);
  std::fprintf(report(),
               "edges            %lld directed slots = %lld undirected pairs%s + %lld self loops\n",
               static_cast<long long>(g.num_edges()), static_cast<long long>(undirected),
               symmetric ? " (both directions)" : " (NOT symmetric)",
               static_cast<long long>(self_loops));
  if (data.skipped_citations > 0) {
    std::fprintf(report(), "skipped          %lld citations to unknown nodes\n",
                 static_cast<long long>(data.skipped_citations));
  }
  std::fprintf(report(), "features         %lld per node, %lld non-zeros (density %.4f%%)\n",
               static_cast<long long>(data.num_features()),
               static_cast<long long>(data.features.nnz()), 100.0 * density);
  std::fprintf(report(),
               "degree           min %g, median %g, mean %.3f, max %g (self loops not counted)\n",
               dmin, dmedian, dmean, dmax);
  std::fprintf(report(), "isolated nodes   %lld\n", static_cast<long long>(isolated));
  std::fprintf(report(), "split            train %zu, val %zu, test %zu, none %lld\n",
               data.train.size(), data.val.size(), data.test.size(), unassigned);
  std::fprintf(report(), "classes          %d\n", data.num_classes());
  for (int c = 0; c < data.num_classes(); ++c) {
    std::fprintf(report(), "  [%d] %-28s %6lld nodes (%.1f%%)\n", c, data.class_names[c].c_str(),
                 class_counts[c], n ? 100.0 * double(class_counts[c]) / n : 0.0);
  }

  if (!f.json.empty()) {
    nlohmann::json out;
    out["dataset"] = data.name;
    out["nodes"] = n;
    out["edges"] = {{"directed_slots", g.num_edges()},
                    {"undirected_pairs", undirected},
                    {"self_loops", self_loops},
                    {"symmetric", symmetric},
                    {"skipped_citations", data.skipped_citations}};
    out["features"] = {{"columns", data.num_features()}, {"nnz", data.features.nnz()}};
    out["degree"] = {{"min", dmin}, {"median", dmedian}, {"mean", dmean}, {"max", dmax}};
    out["isolated_nodes"] = isolated;
    out["split"] = {{"train", data.train.size()},
                    {"val", data.val.size()},
                    {"test", data.test.size()},
                    {"none", unassigned}};
    for (int c = 0; c < data.num_classes(); ++c) {
      out["classes"].push_back({{"name", data.class_names[c]}, {"count", class_counts[c]}});
    }
    write_json(f.json, out);
  }
}

}  // namespace

void register_info(CLI::App& app) {
  auto flags = std::make_shared<InfoFlags>();
  auto& f = *flags;
  CLI::App* cmd = app.add_subcommand(
      "info", "Describe a dataset: nodes, edges, features, classes, degrees, split");
  add_data_flags(*cmd, f.data);
  cmd->add_option("--json", f.json,
                  "Also write the statistics as JSON to this file ('-': stdout, the table then "
                  "goes to stderr)")
      ->check(non_empty_path());
  cmd->callback([flags] { run_info(*flags); });
}

}  // namespace gat::app
