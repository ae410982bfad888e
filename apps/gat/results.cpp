#include "results.hpp"

#include <charconv>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "gat/core/error.hpp"

namespace gat::app {

CheckpointMetadata training_metadata(const Dataset& data, const DataFlags& flags,
                                     std::uint64_t seed, const TrainResult& result) {
  return {{"dataset", data.name},
          {"classes", nlohmann::json(data.class_names).dump()},
          {"nodes", std::to_string(data.num_nodes())},
          {"edges", std::to_string(data.graph.num_edges())},
          {"features", std::to_string(data.num_features())},
          {"normalize", flags.no_normalize ? "false" : "true"},
          // Recorded, not re-applied: --strict changes whether a file loads, never what it
          // loads as, so a dataset that loads gives the same input either way.
          {"strict", flags.strict ? "true" : "false"},
          {"seed", std::to_string(seed)},
          {"best_epoch", std::to_string(result.best_epoch)},
          {"val_acc", nlohmann::json(result.val_acc).dump()},
          {"test_acc", nlohmann::json(result.test_acc).dump()}};
}

namespace {

std::string meta_or(const CheckpointMetadata& meta, const char* key, const std::string& fallback) {
  const auto it = meta.find(key);
  return it == meta.end() ? fallback : it->second;
}

// The preprocessing the model was trained with, unless the user asked otherwise.
DataFlags flags_for_checkpoint(const std::string& model_path, const CheckpointMetadata& meta,
                               const DataFlags& flags) {
  DataFlags out = flags;
  const auto normalize = meta.find("normalize");
  if (normalize == meta.end()) return out;  // an older checkpoint: the flags as given
  const bool trained_raw = normalize->second == "false";
  if (!no_normalize_given(flags)) {
    out.no_normalize = trained_raw;
  } else if (!trained_raw) {
    std::fprintf(stderr,
                 "gat: warning: model %s was trained on row-normalised features; using raw "
                 "features as --no-normalize asks\n",
                 model_path.c_str());
  }
  return out;
}

// Different sizes are legitimate (a model applied to another graph of the same features and
// classes), but more often a mistake, so they are said once on stderr.
void warn_on_other_data(const CheckpointMetadata& meta, const Dataset& data) {
  const std::string nodes = meta_or(meta, "nodes", ""), edges = meta_or(meta, "edges", "");
  if (nodes.empty() || edges.empty()) return;
  const std::string now_nodes = std::to_string(data.num_nodes());
  const std::string now_edges = std::to_string(data.graph.num_edges());
  if (nodes == now_nodes && edges == now_edges) return;
  std::fprintf(stderr,
               "gat: warning: model was trained on %s (%s nodes, %s edges, %s features) but this "
               "dataset, %s, has %s nodes, %s edges, %lld features\n",
               meta_or(meta, "dataset", "another dataset").c_str(), nodes.c_str(), edges.c_str(),
               meta_or(meta, "features", "?").c_str(), data.name.c_str(), now_nodes.c_str(),
               now_edges.c_str(), static_cast<long long>(data.num_features()));
}

}  // namespace

ModelAndData load_model_and_data(const std::string& model_path, const DataFlags& flags) {
  // The model first: a wrong --model path fails before a large dataset is parsed.
  Checkpoint checkpoint = load_checkpoint_with_metadata(model_path);
  Dataset data = load_dataset(flags_for_checkpoint(model_path, checkpoint.metadata, flags));
  const GatModelOptions& o = checkpoint.model.options();
  GAT_CHECK(data.num_features() == o.in_features,
            "model " << model_path << " expects " << o.in_features
                     << " input features but dataset '" << data.name << "' has "
                     << data.num_features());
  GAT_CHECK(data.num_classes() == o.num_classes,
            "model " << model_path << " predicts " << o.num_classes << " classes but dataset '"
                     << data.name << "' has " << data.num_classes());
  const auto classes = checkpoint.metadata.find("classes");
  if (classes != checkpoint.metadata.end()) {
    const nlohmann::json expected = data.class_names;
    GAT_CHECK(classes->second == expected.dump(),
              "model " << model_path << " was trained on the classes " << classes->second
                       << " but dataset '" << data.name << "' has " << expected.dump());
  }
  warn_on_other_data(checkpoint.metadata, data);
  return {std::move(data), std::move(checkpoint)};
}

RowMatrix run_inference(const GatModel<float>& model, const Dataset& data,
                        std::vector<RowMatrix>* hidden) {
  const CsrGraph graph = model.prepare_graph(data.graph);
  const SparseInput<float> x(data.features);
  GatModelCache<float> cache;
  RowMatrix logits = model.forward(graph, x, cache, ForwardContext{});
  if (hidden) *hidden = std::move(cache.hidden);
  return logits;
}

std::string npy_bytes(const RowMatrix& m) {
  // Format 1.0: magic, version, a 2-byte little-endian header length, then a Python dict
  // literal padded with spaces and ended by '\n' so that the data starts at a multiple of 64.
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" +
                     std::to_string(m.rows()) + ", " + std::to_string(m.cols()) + "), }";
  const std::size_t prefix = 10;  // magic (6) + version (2) + length (2)
  dict.append((64 - (prefix + dict.size() + 1) % 64) % 64, ' ');
  dict += '\n';
  GAT_CHECK(dict.size() <= 65535, "npy header too long");
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(dict.size() & 0xFF);
  out += static_cast<char>(dict.size() >> 8);
  out += dict;
  // RowMatrix is row-major (C order) and the machine little-endian, as '<f4' says.
  out.append(reinterpret_cast<const char*>(m.data()), static_cast<std::size_t>(m.size()) * 4);
  return out;
}

std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string float_text(float v) {
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

}  // namespace gat::app
