#pragma once
// A fresh, empty directory for one test, removed with it. Its name holds the test's name and
// the process id (<temp>/<prefix>_<suite>_<test>_<pid>), so tests may run in parallel
// processes (ctest -j) without meeting each other's files.
//
// Construct it inside a test or as a member of a fixture (gtest names the current test before
// it builds the fixture):
//   class Checkpoints : public ::testing::Test {
//    protected:
//     test::TempDir tmp_{"gat_checkpoint_test"};
//   };
//   ... save_checkpoint(tmp_.path("model.safetensors"), model);

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

namespace gat::test {

/// A directory under the system's temporary folder that exists, empty at first, for the
/// lifetime of the object.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string test =
        info ? std::string(info->test_suite_name()) + "_" + info->name() : std::string("no_test");
    // Parameterised tests are named "Suite/Test/0": keep the directory one level deep.
    std::replace(test.begin(), test.end(), '/', '_');
    dir_ = std::filesystem::temp_directory_path() /
           (prefix + "_" + test + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  ~TempDir() {
    std::error_code ignored;  // never throw from a destructor; a leftover is harmless
    std::filesystem::remove_all(dir_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  /// The directory itself.
  const std::filesystem::path& dir() const { return dir_; }
  /// The path of `name` inside the directory, as a string for the library's file functions.
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  /// Writes `text` to the file `name` inside the directory, byte for byte (no newline
  /// translation), replacing any file of that name; a failed write fails the test.
  void write(const std::string& name, const std::string& text) const {
    std::ofstream out(dir_ / name, std::ios::binary);
    out << text;
    ASSERT_TRUE(out.good()) << "cannot write " << (dir_ / name);
  }

 private:
  std::filesystem::path dir_;
};

}  // namespace gat::test
