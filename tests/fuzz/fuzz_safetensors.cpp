// Fuzz target: gat::parse_safetensors on arbitrary bytes (the whole input is the file).
//
// A gat::Error is the expected answer to a malformed file; a crash, a sanitizer report, an
// allocation beyond the rss limit, or another exception is a finding. A file that parses must
// also survive a round trip: serialize_safetensors of it must succeed and parse back to the
// same tensors and metadata, and tensor_to_matrix must either convert a tensor or refuse it
// with gat::Error.

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_support.hpp"
#include "fuzz/safetensors_compare.hpp"
#include "gat/io/safetensors.hpp"

namespace {

using gat::fuzz::same_safetensors;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using gat::fuzz::finding;
  gat::SafetensorsFile file;
  if (!gat::fuzz::accepts(
          [&] { file = gat::parse_safetensors(gat::fuzz::as_text(data, size), "input"); })) {
    return 0;
  }
  for (const auto& entry : file.tensors) {
    // Plain references, not structured bindings: C++17 lambdas cannot capture those.
    const std::string& name = entry.first;
    const gat::SafetensorsTensor& tensor = entry.second;
    if (tensor.numel() < 0 ||
        tensor.data.size() != static_cast<std::size_t>(tensor.numel()) * dtype_size(tensor.dtype)) {
      finding("tensor '" + name + "' has a data size other than numel · dtype size");
    }
    gat::fuzz::accepts([&] { (void)gat::tensor_to_matrix<float>(tensor, name); });
    gat::fuzz::accepts([&] { (void)gat::tensor_to_matrix<double>(tensor, name); });
  }
  std::string bytes;
  try {
    bytes = gat::serialize_safetensors(file);
  } catch (const gat::Error& e) {
    finding(std::string("a parsed file does not serialize: ") + e.what());
  }
  gat::SafetensorsFile again;
  try {
    again = gat::parse_safetensors(bytes, "round trip");
  } catch (const gat::Error& e) {
    finding(std::string("a serialized file does not parse: ") + e.what());
  }
  if (!same_safetensors(file, again)) finding("a round trip changed the file");
  return 0;
}
