#include "graph_data.hpp"

#include <filesystem>
#include <string>

#include "gat/core/error.hpp"
#include "gat/io/tu.hpp"

namespace gat::app {

namespace fs = std::filesystem;

void check_tu_flags(const DataFlags& flags) {
  GAT_USAGE_CHECK(!flags.own_graph(),
                  "--task graph reads TU datasets (--dataset NAME); --edges and --ogb describe "
                  "one graph for node classification");
  refuse_own_graph_flags(flags, "--task graph reads TU datasets (--dataset NAME)");
}

GraphDataset load_tu_dataset(const DataFlags& flags) {
  check_tu_flags(flags);
  const bool looked_up = flags.dataset.find('/') == std::string::npos;
  const auto [dir, name] = dataset_place(flags, looked_up);
  const fs::path a = dir / (name + "_A.txt");
  GAT_CHECK(fs::exists(a) || !(fs::exists(dir / (name + ".content")) ||
                               fs::exists(dir / (name + ".content.gz"))),
            "dataset '" << flags.dataset
                        << "' is a node-classification (LINQS) dataset, not a set of graphs: "
                           "use it without --task graph");
  GAT_CHECK(
      fs::exists(a), "graph dataset '"
                         << flags.dataset << "' not found: " << a.string() << " does not exist"
                         << (looked_up ? " (looked in " + data_root_searched(flags) + "; " : " (")
                         << "pass --data-dir or set GAT_DATA_DIR to the folder of "
                            "datasets)");
  return load_tu(dir.string(), name);
}

}  // namespace gat::app
