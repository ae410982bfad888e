#pragma once
// Private helpers of the two kinds of checkpoint, node classification (checkpoint.cpp, GatModel)
// and graph classification (graph_checkpoint.cpp, GraphClassifier): one text form per option
// type, the walk from an option table to metadata and back, the format and model-kind checks,
// and the tensor checks. Both kinds go through them, so that a field, a refusal or a message is
// written once and reads the same whichever model a file holds.

#include <charconv>
#include <cmath>
#include <functional>
#include <string>
#include <system_error>
#include <type_traits>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/io/checkpoint.hpp"
#include "gat/io/safetensors.hpp"
#include "gat/layers/attention_pool.hpp"
#include "gat/layers/gat_conv.hpp"
#include "gat/layers/parameter.hpp"

namespace gat::io_detail {

// ---- One text form per field type -------------------------------------------------------

// Integers and doubles in their shortest form that reads back to the same value.
template <typename T>
std::string to_text(T value) {
  static_assert(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>);
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, res.ptr);
}
inline std::string to_text(bool value) { return value ? "true" : "false"; }
// Enums by their library names (to_string, parse_*), the names the command line uses; EdgeFill
// has no library name yet, so checkpoints name it here ("mean", "constant").
inline std::string to_text(SelfLoops value) { return to_string(value); }
inline std::string to_text(AttentionMode value) { return to_string(value); }
inline std::string to_text(ScoreFunction value) { return to_string(value); }
inline std::string to_text(Alignment value) { return to_string(value); }
inline std::string to_text(PoolKind value) { return pool_kind_name(value); }
inline std::string to_text(EdgeFill value) {
  return value == EdgeFill::kConstant ? "constant" : "mean";
}

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
inline bool from_text(const std::string& s, bool& value) {
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
inline bool from_text(const std::string& s, SelfLoops& value) {
  return parse_text(s, value, parse_self_loops);
}
inline bool from_text(const std::string& s, AttentionMode& value) {
  return parse_text(s, value, parse_attention_mode);
}
inline bool from_text(const std::string& s, ScoreFunction& value) {
  return parse_text(s, value, parse_score_function);
}
inline bool from_text(const std::string& s, Alignment& value) {
  return parse_text(s, value, parse_alignment);
}
inline bool from_text(const std::string& s, PoolKind& value) {
  return parse_text(s, value, parse_pool_kind);
}
inline bool from_text(const std::string& s, EdgeFill& value) {
  if (s != "mean" && s != "constant") return false;
  value = s == "constant" ? EdgeFill::kConstant : EdgeFill::kMean;
  return true;
}

// ---- Option tables ↔ metadata -------------------------------------------------------------
// `table(options, visit)` calls visit(OptionInfo, member) for every field of an options struct:
// for_each_option (GatModelOptions) or for_each_graph_option (GraphClassifierOptions), passed as
// a generic lambda since a function template cannot be passed itself.

template <typename Options, typename Table>
CheckpointMetadata table_to_metadata(const Options& options, Table&& table) {
  CheckpointMetadata out;
  table(options,
        [&](const OptionInfo& info, const auto& value) { out[info.key] = to_text(value); });
  return out;
}

// A missing field keeps its default (a file from an older version still loads); a present one
// that does not parse is an error naming `source`, the field and the value.
template <typename Options, typename Table>
Options table_from_metadata(const CheckpointMetadata& metadata, const std::string& source,
                            Table&& table) {
  Options options;
  table(options, [&](const OptionInfo& info, auto& value) {
    const std::string name = info.key;
    const auto it = metadata.find(name);
    if (it == metadata.end()) return;
    GAT_CHECK(from_text(it->second, value), source << ": metadata '" << name << "' has the invalid "
                                                   << "value '" << it->second << "'");
  });
  return options;
}

// Whether `key` names a field of the table, or one of the keys every checkpoint reserves
// ("format", "format_version", "model"): an extra may not overwrite them.
template <typename Options, typename Table>
bool is_reserved_key(const std::string& key, Table&& table) {
  bool found = key == "format" || key == "format_version" || key == kCheckpointModelKey;
  Options o;
  table(o, [&](const OptionInfo& info, auto&) { found = found || key == info.key; });
  return found;
}

// ---- Saving and loading ---------------------------------------------------------------

// Writes `params` under their names with `metadata` (the options and the model kind), the
// format keys and the caller's `extras`, atomically. `reserved` says which keys an extra may not
// take. A reserved extra or a non-finite parameter is an error naming `path` and what is wrong;
// nothing is written then.
void save_parameters(const std::string& path, CheckpointMetadata metadata,
                     const CheckpointMetadata& extras,
                     const std::function<bool(const std::string&)>& reserved,
                     const std::vector<const Parameter<float>*>& params);

/// Which model a checkpoint holds: metadata "model" absent (node classification, GatModel: the
/// files written before graph checkpoints existed have none) or "graph_classifier".
enum class CheckpointModel { kNode, kGraph };

/// @brief Reads `path` and checks that it is a gat checkpoint of a version this library reads,
/// holding the model `expected`. A checkpoint of the other kind is an error that names the file
/// and the command that reads it.
SafetensorsFile read_checkpoint(const std::string& path, CheckpointModel expected);

/// @brief Checks that `file` holds exactly the tensors of `layout`, each F32 of its shape, before
/// a model of that layout is allocated: errors name the file and the tensor.
void check_tensors(const SafetensorsFile& file, const std::vector<ParameterShape>& layout,
                   const std::string& path);

/// @brief Copies the tensors of `file` (checked by check_tensors against `layout`) into
/// `params`, refusing a non-finite value by tensor and position.
void copy_tensors(const SafetensorsFile& file, const std::vector<Parameter<float>*>& params,
                  const std::vector<ParameterShape>& layout, const std::string& path);

/// @brief make() — a model or a layout built from the metadata's options — with the error of
/// options that make no model reworded to name `path`.
template <typename Make>
auto from_options(const std::string& path, Make&& make) -> decltype(make()) {
  try {
    return make();
  } catch (const Error& e) {
    GAT_FAIL(path << ": the options in its metadata do not make a model: " << e.what());
  }
}

}  // namespace gat::io_detail
