#pragma once
// Access to real data. Cora, CiteSeer and PubMed are bundled in the project's datasets/
// (gzip), so tests of them always run. The larger sets live beside the project
// (../shared/datasets) and are reached through $GAT_DATA_DIR: tests that need them skip when
// the variable is unset on a developer machine, and fail under CI (where CI is set), so that
// they can never silently stop running there.

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace gat::test {

/// The project's datasets/ folder: cora/, citeseer/, pubmed/ as .gz files.
inline std::string bundled_data_dir() { return GAT_PROJECT_DATASETS; }

/// The folder of real datasets, or empty when GAT_DATA_DIR is unset.
inline std::string real_data_dir() {
  const char* dir = std::getenv("GAT_DATA_DIR");
  return dir && *dir ? std::string(dir) : std::string();
}

}  // namespace gat::test

/// Declares `const std::string var` holding the data folder, or skips / fails the test.
#define GAT_REQUIRE_REAL_DATA(var)                                                             \
  const std::string var = ::gat::test::real_data_dir();                                        \
  if (var.empty()) {                                                                           \
    if (std::getenv("CI")) FAIL() << "GAT_DATA_DIR must point at ../shared/datasets under CI"; \
    GTEST_SKIP() << "set GAT_DATA_DIR to ../shared/datasets to run this test";                 \
  }
