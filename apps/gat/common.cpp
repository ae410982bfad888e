#include "common.hpp"

#include <malloc.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <utility>

#include "gat/core/error.hpp"
#include "gat/core/threads.hpp"
#include "gat/graph/order.hpp"
#include "gat/io/output.hpp"

namespace gat::app {

namespace fs = std::filesystem;

void add_data_flags(CLI::App& cmd, DataFlags& flags, bool own_graph) {
  flags.dataset_option =
      cmd.add_option("--dataset", flags.dataset,
                     "Dataset name under the data directory (cora, citeseer, pubmed), or a folder "
                     "holding <name>.content/.cites/.split")
          ->capture_default_str()
          ->check(non_empty_path(false));
  cmd.add_option("--data-dir", flags.data_dir,
                 "Folder of datasets (default: $GAT_DATA_DIR, else the project's datasets/)")
      ->check(non_empty_path(false));
  cmd.add_flag("--strict", flags.strict, "Citations naming unknown nodes are an error");
  flags.no_normalize_option =
      cmd.add_flag("--no-normalize", flags.no_normalize,
                   "Keep raw feature values (no row sums of 1); a saved model's commands apply "
                   "what it was trained with unless this is given");
  if (!own_graph) return;
  const char* own = "Your own graph (instead of --dataset)";
  cmd.add_option("--edges", flags.edges,
                 "Edge list: 'src dst' per line (SNAP, '#' comments), or CSV / TSV with or "
                 "without a header; ids are integers or strings; .gz read as gzip")
      ->group(own)
      ->check(non_empty_path(false));
  cmd.add_option("--features", flags.features,
                 "Node features of --edges: .npy / .npz (one row per node id 0..N-1), or CSV / "
                 "text (rows keyed by node id when the ids are strings, see --keyed-features)")
      ->group(own)
      ->check(non_empty_path(false));
  cmd.add_option("--labels", flags.labels,
                 "Node labels of --edges: .npy, one label per line (node id order), or "
                 "'node_id,label' lines; integers are class indices, other labels class names")
      ->group(own)
      ->check(non_empty_path(false));
  flags.split_option =
      cmd.add_option("--split", flags.split,
                     "Split of --edges: a file of 'node_id train|val|test' lines, a folder of OGB "
                     "train/valid/test.csv, random:TRAIN_PER_CLASS,VAL,TEST (default, with labels: "
                     "random:20,500,1000), or none")
          ->group(own)
          ->check(non_empty_path(false));
  flags.split_seed_option =
      cmd.add_option("--split-seed", flags.split_seed, "Seed of a random --split")
          ->group(own)
          ->capture_default_str()
          ->check(seed_value());
  flags.undirected_option =
      cmd.add_flag("--undirected", flags.undirected,
                   "Add the reverse of every edge of --edges / --ogb (default: directed as "
                   "written)")
          ->group(own);
  cmd.add_flag("--keyed-features", flags.keyed_features,
               "The first column of a text --features file is the node id (automatic when ids "
               "are strings)")
      ->group(own);
  flags.normalize_option =
      cmd.add_flag("--normalize", flags.normalize,
                   "Divide each feature row of --features / --ogb by its sum (bag-of-words)")
          ->group(own);
  cmd.add_option("--ogb", flags.ogb,
                 "An OGB node-property dataset folder as downloaded (raw/edge.csv.gz, "
                 "raw/node-feat.csv.gz, raw/node-label.csv.gz, split/<name>/)")
      ->group(own)
      ->check(non_empty_path(false));
}

void add_node_order_flag(CLI::App& cmd, DataFlags& flags) {
  cmd.add_option("--node-order", flags.node_order,
                 "Number the nodes for locality before training: file (as loaded) or rcm "
                 "(reverse Cuthill-McKee: neighbours get nearby ids, so the attention's "
                 "gathers hit the cache; the model is the same, the dropout draws differ)")
      ->capture_default_str()
      ->check(CLI::IsMember({"file", "rcm"}));
}

void add_task_flag(CLI::App& cmd, std::string& task) {
  cmd.add_option("--task", task,
                 "node: a node classifier on a LINQS dataset or a graph of your own; graph: a "
                 "graph classifier (gat train --task graph --save) on a TU dataset")
      ->capture_default_str()
      ->check(CLI::IsMember({"node", "graph"}));
}

void add_model_argument(CLI::App& cmd, std::string& model) {
  cmd.add_option("--model", model,
                 "Checkpoint written by gat train --save (or give it as the last argument)")
      ->check(non_empty_path(false));
  cmd.add_option("model", model, "The checkpoint, instead of --model")
      ->check(non_empty_path(false));
}

void check_model_argument(const CLI::App& cmd, const std::string& model) {
  // Not CLI11's required() and excludes(): either form names the checkpoint, and their
  // messages would name the positional argument by its internal name.
  GAT_USAGE_CHECK(cmd.count("--model") + cmd.count("model") <= 1,
                  "the checkpoint is given twice (--model and an argument); give it once");
  GAT_USAGE_CHECK(!model.empty(),
                  "--model is required: the checkpoint, as --model FILE or as the last argument");
}

void refuse_other_task_flags(std::span<const TaskOnlyFlag> flags, const std::string& task,
                             const CLI::App& cmd) {
  for (const TaskOnlyFlag& t : flags) {
    GAT_USAGE_CHECK(cmd.count(t.flag) == 0 || task == t.task,
                    t.flag << " applies to --task " << t.task << " only; " << t.why);
  }
}

void refuse_own_graph_flags(const DataFlags& flags, const std::string& what) {
  const std::pair<const char*, bool> own[] = {
      {"--features", !flags.features.empty()}, {"--labels", !flags.labels.empty()},
      {"--split", !flags.split.empty()},       {"--split-seed", given(flags.split_seed_option)},
      {"--undirected", flags.undirected},      {"--keyed-features", flags.keyed_features},
      {"--normalize", flags.normalize}};
  for (const auto& [flag, is_given] : own) {
    GAT_USAGE_CHECK(!is_given, flag << " describes a graph of your own (with --edges FILE or "
                                       "--ogb DIR), but "
                                    << what);
  }
}

bool no_normalize_given(const DataFlags& flags) {
  const CLI::Option* given = flags.own_graph() ? flags.normalize_option : flags.no_normalize_option;
  return given != nullptr && given->count() > 0;
}

CLI::Validator non_empty_path(bool output) {
  return CLI::Validator(
      [output](std::string& value) -> std::string {
        if (!value.empty()) return "";
        return output ? "empty path (give a file name, or - for standard output)" : "empty path";
      },
      "PATH");
}

CLI::Validator seed_value() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        std::uint64_t seed = 0;
        const char* end = value.data() + value.size();
        const auto res = std::from_chars(value.data(), end, seed);
        // from_chars accepts no sign and no space, so "-1", "+1" and " 1" all stop here.
        if (value.empty() || res.ec != std::errc() || res.ptr != end) {
          return "seed '" + value + "' is not an integer in [0, 2^64)";
        }
        return "";
      },
      "UINT64");
}

namespace {
std::FILE* report_stream = stdout;
}  // namespace

std::FILE* report() { return report_stream; }

void check_outputs(std::initializer_list<OutputFlag> outputs) {
  const char* first_stdout = nullptr;
  for (const OutputFlag& o : outputs) {
    if (o.path != "-") continue;
    GAT_USAGE_CHECK(first_stdout == nullptr, first_stdout << " - and " << o.flag
                                                          << " - would both go to standard "
                                                             "output; give one of them a file");
    first_stdout = o.flag;
  }
  for (const OutputFlag& o : outputs) {
    if (!o.path.empty()) check_output_path(o.path, o.flag);
  }
  if (first_stdout != nullptr) report_stream = stderr;
}

std::vector<std::string> data_root_candidates(const DataFlags& flags) {
  if (!flags.data_dir.empty()) return {flags.data_dir};
  const char* env = std::getenv("GAT_DATA_DIR");
  if (env && *env) return {env};
  std::vector<std::string> out{GAT_PROJECT_DATASETS};
  // An installed binary whose source tree is gone finds the datasets `cmake --install` put
  // beside it: <prefix>/bin/gat → <prefix>/share/gat/datasets.
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec && !exe.empty()) {
    out.push_back((exe.parent_path().parent_path() / GAT_INSTALLED_DATASETS).string());
  }
  return out;
}

namespace {
// The index of the candidate data_root uses: the first that is a folder, else the first.
std::size_t chosen_root(const std::vector<std::string>& candidates) {
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    std::error_code ec;
    if (fs::is_directory(candidates[i], ec)) return i;
  }
  return 0;
}
}  // namespace

std::string data_root(const DataFlags& flags) {
  const std::vector<std::string> candidates = data_root_candidates(flags);
  return candidates[chosen_root(candidates)];
}

std::string data_root_searched(const DataFlags& flags) {
  const std::vector<std::string> candidates = data_root_candidates(flags);
  std::size_t last = chosen_root(candidates);
  std::error_code ec;
  if (!fs::is_directory(candidates[last], ec)) last = candidates.size() - 1;  // none exists
  std::string out;
  for (std::size_t i = 0; i <= last; ++i) {
    out += (i ? ", " : "") + candidates[i];
    if (!fs::is_directory(candidates[i], ec)) out += " (missing)";
  }
  return out;
}

namespace {

Dataset load_own_graph(const DataFlags& flags, NodeDataReport* report) {
  GAT_USAGE_CHECK(flags.edges.empty() || flags.ogb.empty(),
                  "--edges and --ogb name two datasets; give one");
  GAT_USAGE_CHECK(flags.dataset_option == nullptr || flags.dataset_option->count() == 0,
                  "--dataset and " << (flags.ogb.empty() ? "--edges" : "--ogb")
                                   << " name two datasets; give one");
  GAT_USAGE_CHECK(!flags.strict && !flags.no_normalize,
                  (flags.strict ? "--strict" : "--no-normalize")
                      << " applies to LINQS datasets (--dataset); features of --edges and --ogb "
                         "are raw unless --normalize is given");
  if (!flags.ogb.empty()) {
    GAT_USAGE_CHECK(flags.features.empty() && flags.labels.empty() && flags.split.empty() &&
                        !flags.keyed_features && !given(flags.split_seed_option),
                    "--ogb reads its own features, labels and split; --features, --labels, "
                    "--split, --split-seed and --keyed-features go with --edges");
    OgbOptions options;
    options.undirected = flags.undirected;
    options.normalize_features = flags.normalize;
    return load_ogb(flags.ogb, options, report);
  }
  GAT_USAGE_CHECK(!flags.keyed_features || !flags.features.empty(),
                  "--keyed-features says how to read --features, which is not given");
  NodeDataFiles files;
  files.edges = flags.edges;
  files.features = flags.features;
  files.labels = flags.labels;
  files.split = flags.split.empty() && !flags.split_needed ? "none" : flags.split;
  files.undirected = flags.undirected;
  files.keyed_features = flags.keyed_features;
  files.normalize_features = flags.normalize;
  files.seed = flags.split_seed;
  return load_node_data(files, report);
}

}  // namespace

DatasetPlace dataset_place(const DataFlags& flags, bool looked_up) {
  if (looked_up) return {fs::path(data_root(flags)) / flags.dataset, flags.dataset};
  const fs::path given(flags.dataset);
  std::string name = given.filename().string();
  if (name.empty()) name = given.parent_path().filename().string();  // trailing slash
  return {given, name};
}

namespace {

Dataset load_in_file_order(const DataFlags& flags, LinqsReport* report, NodeDataReport* own) {
  if (flags.own_graph()) return load_own_graph(flags, own);
  refuse_own_graph_flags(flags, "--dataset names a LINQS dataset with its own");
  const bool looked_up =
      !(flags.dataset.find('/') != std::string::npos || fs::is_directory(fs::path(flags.dataset)));
  const auto [dir, name] = dataset_place(flags, looked_up);
  const fs::path content = dir / (name + ".content");
  if (!fs::exists(content) && !fs::exists(dir / (name + ".content.gz"))) {
    // The commonest mix-up: a graph-classification set given to a node-level command.
    GAT_CHECK(!fs::exists(dir / (name + "_A.txt")),
              "dataset '" << flags.dataset << "' is a graph-classification (TU) dataset ("
                          << (dir / (name + "_A.txt")).string()
                          << "), not a node-classification one: train it with "
                             "gat train --task graph --dataset "
                          << flags.dataset);
    GAT_CHECK(false,
              "dataset '" << flags.dataset << "' not found: " << content.string()
                          << " does not exist"
                          << (looked_up ? " (looked in " + data_root_searched(flags) + "; " : " (")
                          << "pass --data-dir or set GAT_DATA_DIR to the folder of "
                             "datasets)");
  }
  LinqsOptions options;
  options.strict = flags.strict;
  options.normalize_features = !flags.no_normalize;
  return load_linqs(dir.string(), name, options, report);
}

}  // namespace

Dataset load_dataset(const DataFlags& flags, LinqsReport* report, NodeDataReport* own) {
  Dataset data = load_in_file_order(flags, report, own);
  const NodeOrder order = parse_node_order(flags.node_order);
  if (order == NodeOrder::kFile) return data;
  const std::vector<NodeId> renumbered = node_order(data.graph, order);
  return reorder_nodes(std::move(data), renumbered);
}

// A training step frees and allocates the same large buffers every step: (E, H) attention
// weights, (N, H·F) activations and their gradients. glibc serves a block above its mmap
// threshold (128 KiB, rising to at most 32 MiB as blocks are freed) with a fresh mmap and
// returns it to the kernel on free, so every step faults in and zeroes those pages again:
// 191,000 minor faults per step at 300k nodes / 3.3M edges. Served from the heap and not
// trimmed, the freed blocks are reused by the next step: no faults and a faster step (gat
// bench; README "Speed and memory"). The price is peak memory: 2 % more at 300k nodes, but
// Cora's 19 MiB became 30 MiB, freed pieces of the dataset parse that later, larger blocks
// cannot reuse; and memory freed is never returned. M_MMAP_MAX = 0 stops glibc from
// mapping blocks of their own, M_TRIM_THRESHOLD = -1 from giving the top of the heap back
// (a finite threshold is crossed by the multi-GiB buffers of a 2M-node graph). A process
// embedding the library can make the same choice, or set GLIBC_TUNABLES=
// glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=... before it starts.
// Only the commands that train call it (train, bench, attention), first thing: loading a
// dataset alone (gat info, eval, predict, embed) then returns what it frees, and its peak stays
// near the graph it builds (README, "Your own graph").
void keep_freed_memory() {
  if (std::getenv("GLIBC_TUNABLES") != nullptr) return;  // the user's own malloc settings
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, -1);
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

std::string cuda_device_text(const CudaStatus& status) {
  char memory[32];
  std::snprintf(memory, sizeof memory, "%.1f GiB",
                static_cast<double>(status.memory_bytes) / (1024.0 * 1024.0 * 1024.0));
  return status.name + " (sm_" + std::to_string(status.compute_major) +
         std::to_string(status.compute_minor) + ", " + memory + ")";
}

void apply_threads(int threads) {
  if (threads > 0) set_num_threads(threads);
}

}  // namespace gat::app
