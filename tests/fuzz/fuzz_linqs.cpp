// Fuzz target: gat::load_linqs on arbitrary .content, .cites and .split files.
//
// Input: the three files in one buffer, in that order, separated by the line "=====\n":
//   p1 1 0 A\np2 0 1 B\n=====\np1 p2\n=====\np1 train\np2 test\n
// A missing separator leaves the later files empty. Each input is loaded twice: with the
// defaults (unknown citations skipped, features row-normalized) and strict without
// normalization. A gat::Error is the expected answer to a malformed input; a crash, a sanitizer
// report, another exception or a Dataset that breaks the loader's promises is a finding.

#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_support.hpp"
#include "gat/io/linqs.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto parts = gat::fuzz::split_input(gat::fuzz::as_text(data, size), 3);
  parts.resize(3);  // a missing file is an empty one
  gat::fuzz::write_scratch("f.content", parts[0]);
  gat::fuzz::write_scratch("f.cites", parts[1]);
  gat::fuzz::write_scratch("f.split", parts[2]);
  const std::string dir = gat::fuzz::scratch_dir().string();

  for (const bool strict : {false, true}) {
    gat::LinqsOptions options;
    options.strict = strict;
    options.normalize_features = !strict;
    gat::Dataset d;
    gat::LinqsReport report;
    if (gat::fuzz::accepts([&] { d = gat::load_linqs(dir, "f", options, &report); })) {
      gat::fuzz::check_dataset(d, /*symmetric=*/true);
      if (report.skipped_citations < 0) gat::fuzz::finding("a negative count of skipped citations");
      if (strict && report.skipped_citations != 0) {
        gat::fuzz::finding("strict load skipped citations");
      }
    }
  }
  return 0;
}
