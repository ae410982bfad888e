#include "results.hpp"

#include <charconv>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "gat/core/error.hpp"
#include "gat/io/safetensors.hpp"

namespace gat::app {

ModelAndData load_model_and_data(const std::string& model_path, const DataFlags& flags) {
  // The model first: a wrong --model path fails before a large dataset is parsed.
  Checkpoint checkpoint = load_checkpoint_with_metadata(model_path);
  Dataset data = load_dataset(flags);
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

void write_output(const std::string& path, std::string_view bytes) {
  if (path == "-") {
    const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), stdout) == bytes.size() &&
                    std::fflush(stdout) == 0;
    GAT_CHECK(ok, "cannot write to standard output");
    return;
  }
  write_file_atomic(path, bytes);
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
