#include "gat/io/checkpoint.hpp"

#include <cstdint>
#include <utility>
#include <vector>

#include "checkpoint_detail.hpp"
#include "gat/core/error.hpp"
#include "gat/io/safetensors.hpp"

namespace gat {
namespace {

// The table of GatModelOptions (gat/layers/gat_model.hpp), as checkpoint_detail.hpp walks it.
constexpr auto kTable = [](auto& options, auto&& visit) { for_each_option(options, visit); };

// ---- Layout ---------------------------------------------------------------------------

// The tensors a model built from `o` has, in the order of GatModel::parameters(), from the same
// per-layer options and parameter list the model itself uses (GatModel::layer_options,
// GatConv::parameter_shapes), so a file is checked before the model is allocated. Only shapes
// are computed (no allocation), and the caller bounds the layer count by the number of tensors
// in the file first. Options that make no model are an error naming the file.
std::vector<ParameterShape> expected_layout(const GatModelOptions& o, const std::string& path) {
  return io_detail::from_options(path, [&] {
    std::vector<ParameterShape> out;
    GAT_CHECK(o.num_classes >= 1, "need at least one class, got " << o.num_classes);
    std::int64_t in = o.in_features;
    for (int l = 0; l < o.layers; ++l) {
      const GatConvOptions c = GatModel<float>::layer_options(o, l, in);
      for (auto& shape : GatConv<float>::parameter_shapes(c, l)) out.push_back(std::move(shape));
      in = c.concat ? std::int64_t{c.heads} * c.out_features : c.out_features;
    }
    return out;
  });
}

}  // namespace

CheckpointMetadata options_to_metadata(const GatModelOptions& options) {
  return io_detail::table_to_metadata(options, kTable);
}

GatModelOptions options_from_metadata(const CheckpointMetadata& metadata,
                                      const std::string& source) {
  return io_detail::table_from_metadata<GatModelOptions>(metadata, source, kTable);
}

void save_checkpoint(const std::string& path, const GatModel<float>& model,
                     const CheckpointMetadata& extras) {
  // The list of tensors lives in one place: GatConv::parameters.
  io_detail::save_parameters(
      path, options_to_metadata(model.options()), extras,
      [](const std::string& key) {
        return io_detail::is_reserved_key<GatModelOptions>(key, kTable);
      },
      model.parameters());
}

Checkpoint load_checkpoint_with_metadata(const std::string& path) {
  const SafetensorsFile file = io_detail::read_checkpoint(path, io_detail::CheckpointModel::kNode);
  const auto& meta = file.metadata;
  const GatModelOptions options = options_from_metadata(meta, path);

  // Every expected tensor must be in the file with its exact shape before anything is built.
  GAT_CHECK(options.layers >= 1 && static_cast<std::size_t>(options.layers) <= file.tensors.size(),
            path << ": metadata 'layers' is " << options.layers << " but the file holds "
                 << file.tensors.size() << " tensors");
  const auto layout = expected_layout(options, path);
  io_detail::check_tensors(file, layout, path);
  Checkpoint out{io_detail::from_options(path, [&] { return GatModel<float>(options, 0); }), meta};
  io_detail::copy_tensors(file, out.model.parameters(), layout, path);
  return out;
}

GatModel<float> load_checkpoint(const std::string& path) {
  return load_checkpoint_with_metadata(path).model;
}

}  // namespace gat
