#pragma once
// Helpers shared by the gat subcommands: finding datasets, summary statistics, memory.

#include <CLI/CLI.hpp>
#include <sstream>
#include <stdexcept>
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
  // The --no-normalize option, to tell a flag the user gave from the default: a checkpoint's
  // own preprocessing applies unless the user said otherwise.
  const CLI::Option* no_normalize_option = nullptr;
};

/// @brief Whether --no-normalize was given on the command line.
bool no_normalize_given(const DataFlags& flags);

/// @brief A command line that the parser accepts but that makes no sense (flags that do not go
/// together). main reports it as it reports the parser's errors: one line, exit status 2, where
/// errors of data, models and files (gat::Error) exit with 1.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// @brief GAT_CHECK for usage: throws UsageError with the streamed message.
#define GAT_USAGE_CHECK(cond, msg)                           \
  do {                                                       \
    if (!(cond)) {                                           \
      std::ostringstream gat_usage_message;                  \
      gat_usage_message << msg;                              \
      throw ::gat::app::UsageError(gat_usage_message.str()); \
    }                                                        \
  } while (false)

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
