#pragma once
// Helpers shared by the gat subcommands: finding datasets, summary statistics, memory.

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <initializer_list>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "gat/core/device.hpp"
#include "gat/data/dataset.hpp"
#include "gat/io/linqs.hpp"
#include "gat/io/node_data.hpp"

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

  // A graph of the user's own files instead of --dataset (gat/io/node_data.hpp): an edge list
  // with optional features, labels and split, or an OGB node-property folder.
  std::string edges, features, labels, split, ogb;
  bool undirected = false;
  bool keyed_features = false;
  bool normalize = false;  // --normalize: row sums of 1 for array features (LINQS: the default)
  std::uint64_t split_seed = 0;
  // --node-order (train, bench): the numbering the nodes are trained in (gat/graph/order.hpp);
  // "file" keeps the files' order. Commands that write a row per node do not offer it.
  std::string node_order = "file";
  // Whether the command reads the split (train, eval, info, bench): predict and embed do not,
  // so for them no split is drawn unless --split is given.
  bool split_needed = true;
  const CLI::Option* dataset_option = nullptr;
  const CLI::Option* normalize_option = nullptr;
  const CLI::Option* split_option = nullptr;
  const CLI::Option* split_seed_option = nullptr;
  const CLI::Option* undirected_option = nullptr;

  /// @brief Whether the data comes from --edges or --ogb rather than a LINQS dataset.
  bool own_graph() const { return !edges.empty() || !ogb.empty(); }
  /// @brief Whether feature rows are divided by their sums, as these flags load them.
  bool normalized() const { return own_graph() ? normalize : !no_normalize; }
};

/// @brief Whether --no-normalize (or, for --edges / --ogb, --normalize) was given.
bool no_normalize_given(const DataFlags& flags);

/// @brief Whether an option was given on the command line (false for a null option).
inline bool given(const CLI::Option* option) { return option != nullptr && option->count() > 0; }

/// @brief Throws UsageError when a flag of one's own graph (--features, --labels, --split,
/// --split-seed, --undirected, --keyed-features, --normalize) is given without --edges or
/// --ogb, or --keyed-features without --features: `what` names what the command reads instead.
void refuse_own_graph_flags(const DataFlags& flags, const std::string& what);

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

/// A flag of a command that only one of its tasks (--task node or graph) reads, and what the
/// other task does instead.
struct TaskOnlyFlag {
  const char* flag;
  const char* task;  // the task that reads it
  const char* why;   // what the other task does instead
};

/// @brief Throws UsageError for the first of `flags` given on `cmd` when `task` is not its task
/// ("--graphs applies to --task graph only; <why>"): a flag silently ignored would run another
/// command than the one asked for.
void refuse_other_task_flags(std::span<const TaskOnlyFlag> flags, const std::string& task,
                             const CLI::App& cmd);

/// @brief Adds --task node|graph (default node) to a command that applies a saved model.
void add_task_flag(CLI::App& cmd, std::string& task);

/// @brief Adds the checkpoint a command applies: --model FILE, or FILE as a positional argument
/// (not both). Required: check_model_argument says so when neither is given.
void add_model_argument(CLI::App& cmd, std::string& model);

/// @brief Throws UsageError when add_model_argument's checkpoint is missing ("--model is
/// required ...") or given twice.
void check_model_argument(const CLI::App& cmd, const std::string& model);

/// Adds --dataset, --data-dir, --strict, --no-normalize, and the flags of one's own graph
/// (--edges, --features, --labels, --split, --split-seed, --undirected, --keyed-features,
/// --normalize, --ogb) to a subcommand.
/// own_graph = false leaves out the own-graph flags (gat attention, whose --edges is an output).
void add_data_flags(CLI::App& cmd, DataFlags& flags, bool own_graph = true);

/// @brief Adds --node-order file|rcm (default file) to a command that trains on the loaded
/// data (train, bench): load_dataset then renumbers the nodes (gat::reorder_nodes).
void add_node_order_flag(CLI::App& cmd, DataFlags& flags);

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

/// Where --dataset points: the folder and the stem of its files.
struct DatasetPlace {
  std::filesystem::path dir;
  std::string name;
};

/// @brief The folder and file stem of --dataset: with `looked_up`, data_root / NAME and NAME;
/// otherwise --dataset is the folder's path and its last component the stem. Whether a name is
/// looked up is the loader's rule (LINQS: no '/' and no such folder here; TU: no '/').
DatasetPlace dataset_place(const DataFlags& flags, bool looked_up);

/// Loads the data the flags name: --edges (with --features, --labels, --split) through
/// gat::load_node_data, --ogb through gat::load_ogb, else the LINQS dataset --dataset names,
/// resolved as documented in the README; then numbers its nodes as --node-order says. Throws
/// UsageError for flags that do not go together, and gat::Error that says where it looked when the
/// files are not there.
/// @param report when not null, receives what the LINQS reader skipped (see load_linqs)
/// @param own when not null, receives what load_node_data / load_ogb read and dropped
Dataset load_dataset(const DataFlags& flags, LinqsReport* report = nullptr,
                     NodeDataReport* own = nullptr);

/// @brief Keeps freed memory in the heap for reuse (glibc: no mmap'd blocks, no trimming), so
/// that a training loop's steps stop faulting in fresh pages; for the commands that train.
void keep_freed_memory();

/// Median of a sample (0 for an empty one).
double median(std::vector<double> v);
/// Mean and sample standard deviation.
double mean(const std::vector<double>& v);
double stddev(const std::vector<double>& v);

/// Peak resident memory of this process so far, in MiB (VmHWM), or -1 if unknown.
double peak_rss_mib();

/// @brief CUDA device 0 as the reports name it: "NVIDIA H200 (sm_90, 139.8 GiB)"; for a usable
/// status (gat::cuda_status).
std::string cuda_device_text(const CudaStatus& status);

/// Applies --threads (0 = leave the OpenMP default).
void apply_threads(int threads);

}  // namespace gat::app
