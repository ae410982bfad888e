#include "common.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numeric>

#include "gat/core/error.hpp"
#include "gat/core/threads.hpp"

namespace gat::app {

namespace fs = std::filesystem;

void add_data_flags(CLI::App& cmd, DataFlags& flags) {
  cmd.add_option("--dataset", flags.dataset,
                 "Dataset name under the data directory (cora, citeseer, pubmed), or a folder "
                 "holding <name>.content/.cites/.split")
      ->capture_default_str();
  cmd.add_option("--data-dir", flags.data_dir,
                 "Folder of datasets (default: $GAT_DATA_DIR, else the project's datasets/)");
  cmd.add_flag("--strict", flags.strict, "Citations naming unknown nodes are an error");
  flags.no_normalize_option =
      cmd.add_flag("--no-normalize", flags.no_normalize,
                   "Keep raw feature values (no row sums of 1); a saved model's commands apply "
                   "what it was trained with unless this is given");
}

bool no_normalize_given(const DataFlags& flags) {
  return flags.no_normalize_option != nullptr && flags.no_normalize_option->count() > 0;
}

std::string data_root(const DataFlags& flags) {
  if (!flags.data_dir.empty()) return flags.data_dir;
  const char* env = std::getenv("GAT_DATA_DIR");
  return env && *env ? env : GAT_PROJECT_DATASETS;
}

Dataset load_dataset(const DataFlags& flags) {
  fs::path dir;
  std::string name;
  const fs::path given(flags.dataset);
  if (flags.dataset.find('/') != std::string::npos || fs::is_directory(given)) {
    dir = given;
    name = given.filename().string();
    if (name.empty()) name = given.parent_path().filename().string();  // trailing slash
  } else {
    dir = fs::path(data_root(flags)) / flags.dataset;
    name = flags.dataset;
  }
  const fs::path content = dir / (name + ".content");
  if (!fs::exists(content) && !fs::exists(dir / (name + ".content.gz"))) {
    // The commonest mix-up: a graph-classification set given to a node-level command.
    GAT_CHECK(!fs::exists(dir / (name + "_A.txt")),
              "dataset '" << flags.dataset << "' is a graph-classification (TU) dataset ("
                          << (dir / (name + "_A.txt")).string()
                          << "), not a node-classification one: train it with "
                             "gat train --task graph --dataset "
                          << flags.dataset);
    GAT_CHECK(false, "dataset '" << flags.dataset << "' not found: " << content.string()
                                 << " does not exist (pass --data-dir or set GAT_DATA_DIR to the "
                                    "folder of datasets)");
  }
  LinqsOptions options;
  options.strict = flags.strict;
  options.normalize_features = !flags.no_normalize;
  return load_linqs(dir.string(), name, options);
}

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  const auto mid = v.begin() + static_cast<long>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  if (v.size() % 2) return *mid;
  return 0.5 * (*mid + *std::max_element(v.begin(), mid));
}

double mean(const std::vector<double>& v) {
  return v.empty() ? 0.0 : std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
}

double stddev(const std::vector<double>& v) {
  if (v.size() < 2) return 0.0;
  const double m = mean(v);
  double s = 0.0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / double(v.size() - 1));
}

double peak_rss_mib() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmHWM:") {
      double kib = 0;
      status >> kib;
      return kib / 1024.0;
    }
    status.ignore(1 << 16, '\n');
  }
  return -1.0;
}

void apply_threads(int threads) {
  if (threads > 0) set_num_threads(threads);
}

}  // namespace gat::app
