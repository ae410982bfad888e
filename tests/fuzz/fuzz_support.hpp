#pragma once
// Shared helpers of the fuzz targets in tests/fuzz (one fuzz_<name>.cpp per target).
//
// A target defines LLVMFuzzerTestOneInput. It is linked two ways (tests/fuzz/CMakeLists.txt):
// with libFuzzer's main for fuzzing (GAT_BUILD_FUZZERS, clang), and always with replay_main.cpp,
// which runs the seed corpus and every past crash as the ctest fuzz.<name>.replay.
//
// The contract of a target: inputs the library must reject throw gat::Error, which the target
// catches; anything else — another exception, a crash, a sanitizer report, a broken invariant
// of a loaded result (reported through finding()) — is a bug.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/core/sparse_matrix.hpp"
#include "gat/data/dataset.hpp"

namespace gat::fuzz {

/// @brief This process's scratch folder, made on first use and removed at exit:
/// /dev/shm/gat-fuzz-<pid> when /dev/shm is there (a file system in memory, so writing an
/// input costs no disk I/O), else $TMPDIR/gat-fuzz-<pid>, else /tmp/gat-fuzz-<pid>. One per
/// process, so that parallel fuzzing jobs and ctest -j never share files. A run that crashes
/// leaves its folder behind; tools/fuzz.sh removes those of processes no longer running.
inline const std::filesystem::path& scratch_dir() {
  struct Scratch {
    std::filesystem::path path;
    Scratch() {
      std::filesystem::path base = "/dev/shm";
      std::error_code ec;
      if (!std::filesystem::is_directory(base, ec) || access(base.c_str(), W_OK) != 0) {
        const char* tmp = std::getenv("TMPDIR");
        base = (tmp && *tmp) ? tmp : "/tmp";
      }
      path = base / ("gat-fuzz-" + std::to_string(getpid()));
      std::filesystem::create_directories(path);
    }
    ~Scratch() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static const Scratch scratch;
  return scratch.path;
}

/// @brief A harness bug or a broken invariant of a result the library returned: prints the
/// message and aborts, which libFuzzer records as a crash and the replay as a failure.
[[noreturn]] inline void finding(const std::string& message) {
  std::fprintf(stderr, "fuzz finding: %s\n", message.c_str());
  std::abort();
}

/// @brief Writes bytes to scratch_dir()/name (replacing the file) and returns its path.
inline std::filesystem::path write_scratch(const std::string& name, std::string_view bytes) {
  const std::filesystem::path path = scratch_dir() / name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) finding("cannot write " + path.string());
  return path;
}

/// @brief The separator of multi-file inputs: a line of five '='. It cannot occur inside the
/// text formats fuzzed here without making that line malformed anyway.
constexpr std::string_view kFileSeparator = "=====\n";

/// @brief Splits input at the first max_parts-1 occurrences of `separator` into at most
/// max_parts parts (fewer when separators are missing: callers decide whether a missing part
/// is an empty file or an absent one). A multi-file input is one fuzz input this way, and
/// libFuzzer learns the separator from its memcmp hooks or from the target's .dict.
inline std::vector<std::string_view> split_input(std::string_view input, std::size_t max_parts,
                                                 std::string_view separator = kFileSeparator) {
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < max_parts) {
    const std::size_t at = input.find(separator);
    if (at == std::string_view::npos) break;
    parts.push_back(input.substr(0, at));
    input.remove_prefix(at + separator.size());
  }
  parts.push_back(input);
  return parts;
}

/// @brief Removes scratch_dir()/name if it exists (an optional file an earlier input wrote).
inline void remove_scratch(const std::string& name) {
  std::error_code ec;
  std::filesystem::remove(scratch_dir() / name, ec);
}

/// @brief Runs f, treating gat::Error as the expected rejection of a malformed input; every
/// other exception escapes and terminates the process (a finding). Returns whether f returned.
template <typename F>
bool accepts(F&& f) {
  try {
    f();
    return true;
  } catch (const gat::Error&) {
    return false;
  }
}

/// @brief The bytes of a fuzz input as a string view.
inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// @brief Checks what every loader promises of the Dataset it returns; a broken promise is a
/// finding. symmetric: the graph must hold j→i for every i→j, without duplicate slots.
inline void check_dataset(const Dataset& d, bool symmetric) {
  const NodeId n = d.num_nodes();
  const auto size_n = static_cast<std::size_t>(n);
  if (n < 1) finding("a dataset without nodes was accepted");
  if (d.features.rows != n) finding("features have a row count other than N");
  try {
    validate(d.features);  // shape, ascending columns, finite values
  } catch (const Error& e) {
    finding(std::string("invalid features: ") + e.what());
  }
  if (d.labels.size() != size_n || d.node_names.size() != size_n) {
    finding("labels or node names are not one per node");
  }
  const int classes = d.num_classes();
  std::vector<bool> used(static_cast<std::size_t>(classes), false);
  for (const auto label : d.labels) {
    if (label < 0 || label >= classes) finding("a label outside [0, C)");
    used[static_cast<std::size_t>(label)] = true;
  }
  for (const bool u : used) {
    if (!u) finding("a class that no node has");
  }
  std::vector<int> split_of(size_n, 0);
  for (const auto* split : {&d.train, &d.val, &d.test}) {
    for (std::size_t k = 0; k < split->size(); ++k) {
      const NodeId i = (*split)[k];
      if (i < 0 || i >= n) finding("a split names a node outside [0, N)");
      if (k > 0 && (*split)[k - 1] >= i) finding("a split is not strictly ascending");
      if (++split_of[static_cast<std::size_t>(i)] > 1) finding("a node is in two splits");
    }
  }
  if (symmetric) {
    // Row i lists the sources of i's in-edges; in a symmetric graph without duplicates these are
    // exactly i's out-neighbours, which the transpose lists in the same (ascending) order.
    const auto& rp = d.graph.row_ptr();
    const auto& tr = d.graph.transpose();
    for (NodeId i = 0; i < n; ++i) {
      if (rp[i + 1] - rp[i] != tr.row_ptr[i + 1] - tr.row_ptr[i]) {
        finding("the graph is not symmetric at node " + std::to_string(i));
      }
      for (EdgeId s = rp[i], t = tr.row_ptr[i]; s < rp[i + 1]; ++s, ++t) {
        if (d.graph.src()[s] != tr.dst[t]) finding("the graph is not symmetric");
        if (s > rp[i] && d.graph.src()[s - 1] == d.graph.src()[s]) finding("a duplicate edge");
      }
    }
  }
}

}  // namespace gat::fuzz
