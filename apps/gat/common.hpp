#pragma once
// Helpers shared by the gat subcommands: finding datasets, summary statistics, memory.

#include <CLI/CLI.hpp>
#include <cstdio>
#include <initializer_list>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "gat/data/dataset.hpp"
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

/// @brief A CLI11 check that refuses an empty value: `--json ""` is a slip of the shell (an
/// unset variable), and ignoring it would silently drop the result the user asked for.
/// `output`: the message suggests "-" for standard output.
CLI::Validator non_empty_path(bool output = true);

/// @brief A CLI11 check for a seed: decimal digits only, in [0, 2^64). CLI11 itself turns
/// "-1" into 2^64 - 1 without a word, which is never what the user meant.
CLI::Validator seed_value();

/// One output flag of a command: its path as given ("" when the flag was not given).
struct OutputFlag {
  const std::string& path;
  const char* flag;
};

/// @brief Checks the output flags of a command before any work starts, so that a result
/// that cannot be written fails in milliseconds, not after training: each given path with
/// gat::check_output_path. Two outputs that are both "-" are a UsageError (they would mix on
/// stdout). When one is "-", the human-readable report moves to stderr (see report()), so that
/// stdout holds only that result.
void check_outputs(std::initializer_list<OutputFlag> outputs);

/// @brief Where the human-readable report of a command goes: stdout, or stderr once a result
/// (`--json -`, `--csv -`, ...) has claimed stdout, which must then hold that result alone.
std::FILE* report();

/// The folders a dataset name is looked up in, in order (see data_root).
std::vector<std::string> data_root_candidates(const DataFlags& flags);

/// The folder of datasets: --data-dir, else $GAT_DATA_DIR, else the project's datasets/ when it
/// exists, else the datasets installed beside the binary (<prefix>/share/gat/datasets).
std::string data_root(const DataFlags& flags);

/// @brief The folders data_root looked in, for a "not found" message: "A" or "A (missing), B".
std::string data_root_searched(const DataFlags& flags);

/// Resolves the dataset folder and name as documented in the README, then loads it.
/// Throws gat::Error that says where it looked when the files are not there.
/// @param report when not null, receives what the LINQS reader skipped (see load_linqs)
Dataset load_dataset(const DataFlags& flags, LinqsReport* report = nullptr);

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
