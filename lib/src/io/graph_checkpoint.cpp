#include "gat/io/graph_checkpoint.hpp"

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "checkpoint_detail.hpp"
#include "gat/core/error.hpp"
#include "gat/io/safetensors.hpp"
#include "text.hpp"

namespace gat {
namespace {

// The table of GraphClassifierOptions (graph_checkpoint.hpp), as checkpoint_detail.hpp walks it.
constexpr auto kTable = [](auto& options, auto&& visit) { for_each_graph_option(options, visit); };

}  // namespace

CheckpointMetadata graph_options_to_metadata(const GraphClassifierOptions& options) {
  return io_detail::table_to_metadata(options, kTable);
}

GraphClassifierOptions graph_options_from_metadata(const CheckpointMetadata& metadata,
                                                   const std::string& source) {
  return io_detail::table_from_metadata<GraphClassifierOptions>(metadata, source, kTable);
}

// GraphClassifier's constructor builds, in this order: GAT layer l = 0 .. L-1 (in_l → H·F,
// heads concatenated, with the model's residual and edge features), the readouts (of h_L, or of
// each h_0 .. h_L with jumping knowledge; attention pooling alone has parameters: AttentionPool
// with the model's gate_hidden, a biased hidden gate layer and a bias-free score layer), the
// mlp and the classifier. load_graph_classifier compares this list with the built model's
// parameters, so a change to the model that is not made here too fails every load (and the
// tests) instead of misreading a file.
std::vector<ParameterShape> graph_classifier_layout(const GraphClassifierOptions& o) {
  std::vector<ParameterShape> out;
  const std::int64_t width = std::int64_t{o.heads} * o.hidden;  // of h_l, l ≥ 1
  auto width_of = [&](int l) { return l == 0 ? o.in_features : width; };
  for (int l = 0; l < o.layers; ++l) {
    // Only the fields that shape a layer's parameters; the rest keep GatConvOptions' defaults,
    // as GraphClassifier's layers do (bias, one weight per edge and head).
    GatConvOptions c;
    c.in_features = width_of(l);
    c.out_features = o.hidden;
    c.heads = o.heads;
    c.residual = o.residual;
    c.edge_features = o.edge_features;
    c.score = o.score;
    c.align = o.align;
    for (auto& shape : GatConv<float>::parameter_shapes(c, l)) out.push_back(std::move(shape));
  }
  std::int64_t readout = 0;  // R: the widths of the readouts, summed
  for (int l = o.jumping_knowledge ? 0 : o.layers; l <= o.layers; ++l) {
    const std::int64_t w = width_of(l);
    GAT_CHECK(!__builtin_add_overflow(readout, w, &readout),
              "GraphClassifier: the readout width overflows");
    if (o.pool != PoolKind::kAttention) continue;
    const std::string pool = o.jumping_knowledge ? "pools." + std::to_string(l) : "pool";
    if (o.gate_hidden > 0) {
      out.push_back({pool + ".gate_hidden.weight", w, o.gate_hidden});
      out.push_back({pool + ".gate_hidden.bias", 1, o.gate_hidden});
    }
    out.push_back({pool + ".gate.weight", o.gate_hidden > 0 ? o.gate_hidden : w, 1});
  }
  if (o.mlp_hidden > 0) {
    out.push_back({"mlp.weight", readout, o.mlp_hidden});
    out.push_back({"mlp.bias", 1, o.mlp_hidden});
  }
  out.push_back({"classifier.weight", o.mlp_hidden > 0 ? o.mlp_hidden : readout, o.num_classes});
  out.push_back({"classifier.bias", 1, o.num_classes});
  return out;
}

void save_graph_classifier(const std::string& path, const GraphClassifier<float>& model,
                           const CheckpointMetadata& extras) {
  // GraphClassifier lists its parameters through a non-const parameters() only (the optimiser's
  // view); saving reads them and changes nothing.
  const auto params = const_cast<GraphClassifier<float>&>(model).parameters();
  CheckpointMetadata metadata = graph_options_to_metadata(model.options());
  metadata[kCheckpointModelKey] = kGraphClassifierModel;
  io_detail::save_parameters(path, std::move(metadata), extras,
                             [](const std::string& key) {
                               return io_detail::is_reserved_key<GraphClassifierOptions>(key,
                                                                                         kTable);
                             },
                             {params.begin(), params.end()});
}

GraphCheckpoint load_graph_classifier(const std::string& path) {
  const SafetensorsFile file = io_detail::read_checkpoint(path, io_detail::CheckpointModel::kGraph);
  const GraphClassifierOptions options = graph_options_from_metadata(file.metadata, path);
  // Every GAT layer has tensors: bounding the layers by the file keeps the layout small.
  GAT_CHECK(options.layers >= 0 && static_cast<std::size_t>(options.layers) <= file.tensors.size(),
            path << ": metadata 'layers' is " << options.layers << " but the file holds "
                 << file.tensors.size() << " tensors");
  const auto layout =
      io_detail::from_options(path, [&] { return graph_classifier_layout(options); });
  io_detail::check_tensors(file, layout, path);
  GraphCheckpoint out{
      io_detail::from_options(path, [&] { return GraphClassifier<float>(options, 0); }),
      file.metadata};
  io_detail::copy_tensors(file, out.model.parameters(), layout, path);
  return out;
}

std::string graph_indices_to_text(const std::vector<std::int64_t>& graphs) {
  std::string out;
  for (std::size_t k = 0; k < graphs.size(); ++k) {
    if (k > 0) out += ',';
    out += std::to_string(graphs[k]);
  }
  return out;
}

std::vector<std::int64_t> graph_indices_from_text(const std::string& text, std::int64_t num_graphs,
                                                  const std::string& source) {
  GAT_CHECK(!text.empty(), source << " holds no graph index");
  std::vector<std::int64_t> out;
  std::size_t begin = 0;
  while (true) {
    const std::size_t comma = text.find(',', begin);
    const std::string_view item =
        std::string_view(text).substr(begin, comma == std::string::npos ? comma : comma - begin);
    std::int64_t g = 0;
    // Digits only: from_chars alone would take a sign.
    const auto res = std::from_chars(item.data(), item.data() + item.size(), g);
    GAT_CHECK(!item.empty() && item[0] >= '0' && item[0] <= '9' && res.ec == std::errc() &&
                  res.ptr == item.data() + item.size(),
              source << ": entry " << out.size() + 1 << ", " << io_detail::shown(item)
                     << ", is not a graph index");
    GAT_CHECK(g < num_graphs, source << ": graph index " << g << " is out of range: the dataset "
                                     << "has " << num_graphs << " graphs");
    GAT_CHECK(out.empty() || g > out.back(), source << ": graph index " << g << " follows "
                                                    << out.back()
                                                    << " (indices must be ascending, each once)");
    out.push_back(g);
    if (comma == std::string::npos) break;
    begin = comma + 1;
  }
  return out;
}

}  // namespace gat
