#include "common.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numeric>

#include "gat/core/error.hpp"
#include "gat/core/threads.hpp"
#include "gat/io/output.hpp"

namespace gat::app {

namespace fs = std::filesystem;

void add_data_flags(CLI::App& cmd, DataFlags& flags) {
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
}

bool no_normalize_given(const DataFlags& flags) {
  return flags.no_normalize_option != nullptr && flags.no_normalize_option->count() > 0;
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

Dataset load_dataset(const DataFlags& flags, LinqsReport* report) {
  fs::path dir;
  std::string name;
  const fs::path given(flags.dataset);
  const bool looked_up = !(flags.dataset.find('/') != std::string::npos || fs::is_directory(given));
  if (!looked_up) {
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
