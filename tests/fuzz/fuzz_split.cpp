// Fuzz target: the .split parser of gat::load_linqs, behind a fixed valid .content and .cites.
// The whole input is the .split file, so every mutation lands in it. Node ids below mix the
// shapes real files use (numbers, words, a prefix of another id) so that id lookups are tried
// against near misses. Expected: gat::Error for a malformed split; anything else is a finding,
// as is a Dataset whose splits are not disjoint, ascending index lists.

#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_support.hpp"
#include "gat/io/linqs.hpp"

namespace {

constexpr const char* kContent =
    "31336\t1\t0\t0\tA\n"
    "p1\t0\t1\t0\tB\n"
    "p10\t0\t0\t1\tA\n"
    "x\t1\t1\t0\tB\n"
    "train\t0\t1\t1\tC\n"
    "7\t0\t0\t0\tC\n";
constexpr const char* kCites =
    "31336\tp1\n"
    "p1\tp10\n"
    "x\ttrain\n"
    "7\t7\n";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The fixed files are written once per process; only the split changes between inputs.
  static const bool written = [] {
    gat::fuzz::write_scratch("f.content", kContent);
    gat::fuzz::write_scratch("f.cites", kCites);
    return true;
  }();
  (void)written;
  gat::fuzz::write_scratch("f.split", gat::fuzz::as_text(data, size));

  gat::Dataset d;
  if (gat::fuzz::accepts([&] { d = gat::load_linqs(gat::fuzz::scratch_dir().string(), "f"); })) {
    gat::fuzz::check_dataset(d, /*symmetric=*/true);
    if (d.num_nodes() != 6) gat::fuzz::finding("the fixed .content did not give 6 nodes");
  }
  return 0;
}
