// Fuzz target: the checkpoint loading path from a file, as `gat eval --checkpoint` takes it:
// gat::read_safetensors (the bounded reader: 8-byte length first, header structure scanned
// before parsing, data read tensor by tensor), then gat::load_checkpoint (metadata → options →
// model), then one inference forward pass of the loaded model on a 3-node graph.
//
// A gat::Error is the expected answer to a malformed file. Findings besides crashes: the file
// reader and the in-memory parser (parse_safetensors) disagree about a file or its content;
// load_checkpoint accepts a file read_safetensors refuses; a loaded model's forward pass
// returns non-finite logits instead of an error naming the layer.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fuzz/fuzz_support.hpp"
#include "fuzz/safetensors_compare.hpp"
#include "gat/graph/build.hpp"
#include "gat/io/checkpoint.hpp"
#include "gat/io/safetensors.hpp"

namespace {

using gat::fuzz::same_safetensors;

// Above this input width the forward pass is skipped: it would only cost time, and the file
// already proved the weights exist (they are read from the input itself).
constexpr std::int64_t kMaxForwardWidth = 1 << 14;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using gat::fuzz::finding;
  const std::string_view bytes = gat::fuzz::as_text(data, size);
  const std::string path = gat::fuzz::write_scratch("checkpoint.safetensors", bytes).string();

  gat::SafetensorsFile from_file, from_memory;
  const bool file_ok = gat::fuzz::accepts([&] { from_file = gat::read_safetensors(path); });
  const bool memory_ok =
      gat::fuzz::accepts([&] { from_memory = gat::parse_safetensors(bytes, "input"); });
  if (file_ok != memory_ok) finding("read_safetensors and parse_safetensors disagree");
  if (file_ok && !same_safetensors(from_file, from_memory)) {
    finding("read_safetensors and parse_safetensors read different content");
  }

  std::optional<gat::GatModel<float>> model;
  if (!gat::fuzz::accepts([&] { model.emplace(gat::load_checkpoint(path)); })) return 0;
  if (!file_ok) finding("load_checkpoint accepted a file that read_safetensors refuses");

  const auto& o = model->options();
  if (o.in_features < 1 || o.in_features > kMaxForwardWidth) return 0;
  // A directed triangle with a self loop on node 0; ones as features.
  const gat::CsrGraph graph = model->prepare_graph(gat::build_csr(3, {0, 1, 2, 0}, {1, 2, 0, 0}));
  const gat::Matrix<float> x = gat::Matrix<float>::Ones(3, o.in_features);
  gat::GatModelCache<float> cache;
  gat::Matrix<float> logits;
  if (!gat::fuzz::accepts(
          [&] { logits = model->forward(graph, x, cache, gat::ForwardContext{}); })) {
    return 0;
  }
  if (logits.rows() != 3 || logits.cols() != o.num_classes) {
    finding("the forward pass returned logits of the wrong shape");
  }
  if (!logits.allFinite()) finding("the forward pass returned non-finite logits without error");
  return 0;
}
