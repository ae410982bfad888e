#include "checkpoint_detail.hpp"

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/io/graph_checkpoint.hpp"

namespace gat::io_detail {
namespace {

// Where a tensor holds its first non-finite value, or (-1, -1).
std::pair<Eigen::Index, Eigen::Index> first_non_finite(const Matrix<float>& m) {
  for (Eigen::Index r = 0; r < m.rows(); ++r) {
    for (Eigen::Index c = 0; c < m.cols(); ++c) {
      if (!std::isfinite(m(r, c))) return {r, c};
    }
  }
  return {-1, -1};
}

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t k = 0; k < shape.size(); ++k) {
    s += (k ? ", " : "") + std::to_string(shape[k]);
  }
  return s + "]";
}

}  // namespace

void save_parameters(const std::string& path, CheckpointMetadata metadata,
                     const CheckpointMetadata& extras,
                     const std::function<bool(const std::string&)>& reserved,
                     const std::vector<const Parameter<float>*>& params) {
  SafetensorsFile file;
  file.metadata = std::move(metadata);
  file.metadata["format"] = kCheckpointFormat;
  file.metadata["format_version"] = kCheckpointFormatVersion;
  for (const auto& [key, value] : extras) {
    GAT_CHECK(!reserved(key), "cannot save " << path << ": metadata key '" << key
                                             << "' is reserved for the model options");
    file.metadata[key] = value;
  }
  for (const auto* p : params) {
    const auto [r, c] = first_non_finite(p->value);
    GAT_CHECK(r < 0, "cannot save " << path << ": parameter " << p->name
                                    << " has a non-finite value at [" << r << ", " << c << "]");
    file.tensors[p->name] = tensor_from_matrix<float>(p->value);
  }
  write_safetensors(path, file);
}

SafetensorsFile read_checkpoint(const std::string& path, CheckpointModel expected) {
  SafetensorsFile file = read_safetensors(path);
  const auto& meta = file.metadata;
  const auto format = meta.find("format");
  GAT_CHECK(format != meta.end() && format->second == kCheckpointFormat,
            path << ": not a gat checkpoint (metadata 'format' is "
                 << (format == meta.end() ? std::string("missing") : "'" + format->second + "'")
                 << ", expected '" << kCheckpointFormat << "')");
  const auto version = meta.find("format_version");
  GAT_CHECK(version != meta.end() && version->second == kCheckpointFormatVersion,
            path << ": unsupported checkpoint format_version "
                 << (version == meta.end() ? std::string("(missing)") : "'" + version->second + "'")
                 << "; this gat reads version " << kCheckpointFormatVersion);
  // The kind is checked before the options are read: the other kind's options would be read as
  // this kind's, and the error would be about a field or a tensor, not about the file.
  const auto model = meta.find(kCheckpointModelKey);
  GAT_CHECK(model == meta.end() || model->second == kGraphClassifierModel,
            path << ": unknown checkpoint model '" << model->second
                 << "' (metadata 'model'); this gat reads node-classification checkpoints and '"
                 << kGraphClassifierModel << "'");
  const bool graph = model != meta.end();
  GAT_CHECK(graph || expected == CheckpointModel::kNode,
            path << ": a node-classification checkpoint, not a graph classifier; gat eval and gat "
                    "predict read it without --task graph");
  GAT_CHECK(!graph || expected == CheckpointModel::kGraph,
            path << ": a graph-classification checkpoint (metadata 'model' is '"
                 << kGraphClassifierModel
                 << "'); gat eval --task graph and gat predict --task graph read it");
  return file;
}

void check_tensors(const SafetensorsFile& file, const std::vector<ParameterShape>& layout,
                   const std::string& path) {
  for (const auto& shape : layout) {
    const std::string& name = shape.name;
    const auto it = file.tensors.find(name);
    GAT_CHECK(it != file.tensors.end(), path << ": tensor '" << name << "' is missing");
    const auto& t = it->second;
    GAT_CHECK(t.dtype == SafetensorsDtype::kF32, path << ": tensor '" << name << "' has dtype "
                                                      << dtype_name(t.dtype) << ", expected F32");
    GAT_CHECK(t.shape.size() == 2 && t.shape[0] == shape.rows && t.shape[1] == shape.cols,
              path << ": tensor '" << name << "' has shape " << shape_text(t.shape)
                   << " but the options give [" << shape.rows << ", " << shape.cols << "]");
  }
  GAT_CHECK(file.tensors.size() == layout.size(), [&] {
    std::string extra;
    for (const auto& [name, t] : file.tensors) {
      bool known = false;
      for (const auto& e : layout) known = known || e.name == name;
      if (!known) extra = name;
    }
    return path + ": unexpected tensor '" + extra + "' (not a parameter of the model the " +
           "metadata describes)";
  }());
}

void copy_tensors(const SafetensorsFile& file, const std::vector<Parameter<float>*>& params,
                  const std::vector<ParameterShape>& layout, const std::string& path) {
  GAT_CHECK(params.size() == layout.size(), path << ": internal error: the model has "
                                                 << params.size() << " parameters, the "
                                                 << "checkpoint layout " << layout.size());
  for (std::size_t k = 0; k < params.size(); ++k) {
    auto& p = *params[k];
    GAT_CHECK(p.name == layout[k].name && p.value.rows() == layout[k].rows &&
                  p.value.cols() == layout[k].cols,
              path << ": internal error: parameter " << p.name
                   << " does not match the checkpoint layout");
    Matrix<float> value = tensor_to_matrix<float>(file.tensors.at(p.name), path + ": " + p.name);
    const auto [r, c] = first_non_finite(value);
    GAT_CHECK(r < 0, path << ": tensor '" << p.name << "' holds a non-finite value (NaN or "
                          << "infinity) at [" << r << ", " << c << "]");
    p.value = std::move(value);
  }
}

}  // namespace gat::io_detail
