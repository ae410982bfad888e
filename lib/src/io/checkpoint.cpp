#include "gat/io/checkpoint.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/io/safetensors.hpp"

namespace gat {
namespace {

// ---- One text form per field type -------------------------------------------------------

// Integers and doubles in their shortest form that reads back to the same value.
template <typename T>
std::string to_text(T value) {
  static_assert(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>);
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, res.ptr);
}
std::string to_text(bool value) { return value ? "true" : "false"; }
// Enums by their library names (to_string, parse_*), the names the command line uses.
std::string to_text(SelfLoops value) { return to_string(value); }
std::string to_text(AttentionMode value) { return to_string(value); }
std::string to_text(ScoreFunction value) { return to_string(value); }
std::string to_text(Alignment value) { return to_string(value); }

template <typename T>
bool from_text(const std::string& s, T& value) {
  static_assert(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>);
  T v{};
  const auto res = std::from_chars(s.data(), s.data() + s.size(), v);
  if (res.ec != std::errc() || res.ptr != s.data() + s.size()) return false;
  if constexpr (std::is_floating_point_v<T>) {
    if (!std::isfinite(v)) return false;
  }
  value = v;
  return true;
}
bool from_text(const std::string& s, bool& value) {
  if (s != "true" && s != "false") return false;
  value = s == "true";
  return true;
}
// A library parse_* that throws for unknown names, as from_text's bool.
template <typename Enum, typename Parse>
bool parse_text(const std::string& s, Enum& value, Parse parse) {
  try {
    value = parse(s);
    return true;
  } catch (const Error&) {
    return false;
  }
}
bool from_text(const std::string& s, SelfLoops& value) {
  return parse_text(s, value, parse_self_loops);
}
bool from_text(const std::string& s, AttentionMode& value) {
  return parse_text(s, value, parse_attention_mode);
}
bool from_text(const std::string& s, ScoreFunction& value) {
  return parse_text(s, value, parse_score_function);
}
bool from_text(const std::string& s, Alignment& value) {
  return parse_text(s, value, parse_alignment);
}

// ---- Layout ---------------------------------------------------------------------------

// The tensors a model built from `o` has, in the order of GatModel::parameters(), from the same
// per-layer options and parameter list the model itself uses (GatModel::layer_options,
// GatConv::parameter_shapes), so a file is checked before the model is allocated. Only shapes
// are computed (no allocation), and the caller bounds the layer count by the number of tensors
// in the file first. Options that make no model are an error naming the file.
std::vector<ParameterShape> expected_layout(const GatModelOptions& o, const std::string& path) {
  std::vector<ParameterShape> out;
  try {
    GAT_CHECK(o.num_classes >= 1, "need at least one class, got " << o.num_classes);
    std::int64_t in = o.in_features;
    for (int l = 0; l < o.layers; ++l) {
      const GatConvOptions c = GatModel<float>::layer_options(o, l, in);
      for (auto& shape : GatConv<float>::parameter_shapes(c, l)) out.push_back(std::move(shape));
      in = c.concat ? std::int64_t{c.heads} * c.out_features : c.out_features;
    }
  } catch (const Error& e) {
    GAT_FAIL(path << ": the options in its metadata do not make a model: " << e.what());
  }
  return out;
}

bool is_reserved_key(const std::string& key) {
  if (key == "format" || key == "format_version") return true;
  bool found = false;
  GatModelOptions o;
  for_each_option(o, [&](const OptionInfo& info, auto&) { found = found || key == info.key; });
  return found;
}

// Where a tensor holds its first non-finite value, or (-1, -1).
std::pair<Eigen::Index, Eigen::Index> first_non_finite(const Matrix<float>& m) {
  for (Eigen::Index r = 0; r < m.rows(); ++r) {
    for (Eigen::Index c = 0; c < m.cols(); ++c) {
      if (!std::isfinite(m(r, c))) return {r, c};
    }
  }
  return {-1, -1};
}

}  // namespace

CheckpointMetadata options_to_metadata(const GatModelOptions& options) {
  CheckpointMetadata out;
  // The model's option table (GatModelOptions, gat/layers/gat_model.hpp) names the keys.
  for_each_option(
      options, [&](const OptionInfo& info, const auto& value) { out[info.key] = to_text(value); });
  return out;
}

GatModelOptions options_from_metadata(const CheckpointMetadata& metadata,
                                      const std::string& source) {
  GatModelOptions options;
  for_each_option(options, [&](const OptionInfo& info, auto& value) {
    const std::string name = info.key;
    const auto it = metadata.find(name);
    if (it == metadata.end()) return;  // written by an older version: keep the default
    GAT_CHECK(from_text(it->second, value), source << ": metadata '" << name << "' has the invalid "
                                                   << "value '" << it->second << "'");
  });
  return options;
}

void save_checkpoint(const std::string& path, const GatModel<float>& model,
                     const CheckpointMetadata& extras) {
  SafetensorsFile file;
  file.metadata = options_to_metadata(model.options());
  file.metadata["format"] = kCheckpointFormat;
  file.metadata["format_version"] = kCheckpointFormatVersion;
  for (const auto& [key, value] : extras) {
    GAT_CHECK(!is_reserved_key(key), "cannot save " << path << ": metadata key '" << key
                                                    << "' is reserved for the model options");
    file.metadata[key] = value;
  }
  // The list of tensors lives in one place: GatConv::parameters.
  for (const auto* p : model.parameters()) {
    const auto [r, c] = first_non_finite(p->value);
    GAT_CHECK(r < 0, "cannot save " << path << ": parameter " << p->name
                                    << " has a non-finite value at [" << r << ", " << c << "]");
    file.tensors[p->name] = tensor_from_matrix<float>(p->value);
  }
  write_safetensors(path, file);
}

Checkpoint load_checkpoint_with_metadata(const std::string& path) {
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
  const GatModelOptions options = options_from_metadata(meta, path);

  // Every expected tensor must be in the file with its exact shape before anything is built.
  GAT_CHECK(options.layers >= 1 && static_cast<std::size_t>(options.layers) <= file.tensors.size(),
            path << ": metadata 'layers' is " << options.layers << " but the file holds "
                 << file.tensors.size() << " tensors");
  const auto layout = expected_layout(options, path);
  for (const auto& shape : layout) {
    const std::string& name = shape.name;
    const auto it = file.tensors.find(name);
    GAT_CHECK(it != file.tensors.end(), path << ": tensor '" << name << "' is missing");
    const auto& t = it->second;
    GAT_CHECK(t.dtype == SafetensorsDtype::kF32, path << ": tensor '" << name << "' has dtype "
                                                      << dtype_name(t.dtype) << ", expected F32");
    GAT_CHECK(
        t.shape.size() == 2 && t.shape[0] == shape.rows && t.shape[1] == shape.cols,
        path << ": tensor '" << name << "' has shape " <<
            [&] {
              std::string s = "[";
              for (std::size_t k = 0; k < t.shape.size(); ++k) {
                s += (k ? ", " : "") + std::to_string(t.shape[k]);
              }
              return s + "]";
            }()
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

  Checkpoint out{
      [&] {
        try {
          return GatModel<float>(options, 0);
        } catch (const Error& e) {
          GAT_FAIL(path << ": the options in its metadata do not make a model: " << e.what());
        }
      }(),
      meta};
  const auto params = out.model.parameters();
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
  return out;
}

GatModel<float> load_checkpoint(const std::string& path) {
  return load_checkpoint_with_metadata(path).model;
}

}  // namespace gat
