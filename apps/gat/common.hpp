#pragma once
// Helpers shared by the gat subcommands: finding datasets, summary statistics, memory.

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "gat/io/dataset.hpp"
#include "gat/io/linqs.hpp"

namespace gat::app {

/// Where datasets are looked up and how they are read; one set of flags for every command.
struct DataFlags {
  std::string dataset = "cora";  // a name under the data directory, or a folder path
  std::string data_dir;          // --data-dir, else $GAT_DATA_DIR, else the project's datasets/
  bool strict = false;
  bool no_normalize = false;
};

/// Adds --dataset, --data-dir, --strict, --no-normalize to a subcommand.
void add_data_flags(CLI::App& cmd, DataFlags& flags);

/// The folder of datasets: --data-dir, else $GAT_DATA_DIR, else the project's datasets/.
std::string data_root(const DataFlags& flags);

/// Resolves the dataset folder and name as documented in the README, then loads it.
/// Throws gat::Error that says where it looked when the files are not there.
Dataset load_dataset(const DataFlags& flags);

/// Median of a sample (0 for an empty one).
double median(std::vector<double> v);
/// Mean and sample standard deviation.
double mean(const std::vector<double>& v);
double stddev(const std::vector<double>& v);

/// Peak resident memory of this process so far, in MiB (VmHWM), or -1 if unknown.
double peak_rss_mib();

/// Applies --threads (0 = leave the OpenMP default).
void apply_threads(int threads);

}  // namespace gat::app
