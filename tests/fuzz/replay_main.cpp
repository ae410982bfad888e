// Replays fuzz inputs without libFuzzer: every file named on the command line, and every file
// (recursively, in sorted order) in every folder named, is run once through the target's
// LLVMFuzzerTestOneInput. Linked with each fuzz target as <target>_replay; ctest runs it over
// tests/fuzz/corpus/<target>/ and tests/fuzz/regressions/<target>/ (fuzz.<target>.replay), so
// every seed and every past crash stays a regression test, with gcc or clang, with or without
// sanitizers. Files whose names start with '.' (.gitkeep) are skipped.
//
// Exit status: 0 when every input ran; 1 when nothing was replayed (an absent path is skipped,
// but a target without a single seed is an error), or an exception escaped the target. A crash or
// sanitizer report ends the process as it would under libFuzzer; the name of each input is printed
// to stderr before it runs, so the last name printed is the culprit.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

namespace fs = std::filesystem;

bool hidden(const fs::path& p) { return p.filename().string().rfind('.', 0) == 0; }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE_OR_DIR...\n", argv[0]);
    return 1;
  }
  std::vector<fs::path> inputs;
  for (int a = 1; a < argc; ++a) {
    const fs::path path = argv[a];
    std::error_code ec;
    if (fs::is_regular_file(path, ec)) {
      inputs.push_back(path);
    } else if (fs::is_directory(path, ec)) {
      std::vector<fs::path> found;
      for (const auto& entry : fs::recursive_directory_iterator(path)) {
        if (entry.is_regular_file() && !hidden(entry.path())) found.push_back(entry.path());
      }
      std::sort(found.begin(), found.end());
      inputs.insert(inputs.end(), found.begin(), found.end());
    } else {
      // A target has no regressions folder until its first crash is kept.
      std::fprintf(stderr, "replay: %s: absent, skipped\n", path.c_str());
    }
  }
  if (inputs.empty()) {
    std::fprintf(stderr, "replay: no inputs found (a target needs a seed corpus)\n");
    return 1;
  }
  for (const auto& path : inputs) {
    const std::string current_input = path.string();
    std::fprintf(stderr, "replay: %s\n", current_input.c_str());
    std::ifstream in(path, std::ios::binary);
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) {
      std::fprintf(stderr, "replay: %s: cannot read\n", current_input.c_str());
      return 1;
    }
    try {
      LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "replay: %s: uncaught exception: %s\n", current_input.c_str(), e.what());
      return 1;
    } catch (...) {
      std::fprintf(stderr, "replay: %s: uncaught exception of unknown type\n",
                   current_input.c_str());
      return 1;
    }
  }
  std::printf("replay: %zu inputs ran\n", inputs.size());
  return 0;
}
