#include "results.hpp"

#include <charconv>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "gat/core/error.hpp"

namespace gat::app {

RowMatrix run_inference(const GatModel<float>& model, const Dataset& data,
                        std::vector<RowMatrix>* hidden) {
  const CsrGraph graph = model.prepare_graph(data.graph);
  GatModelCache<float> cache;
  RowMatrix logits;
  ForwardContext ctx;  // predictions: nobody reads the attention weights
  ctx.keep_attention = false;
  if (data.has_dense_features()) {
    logits = model.forward(graph, MatrixCRef<float>(data.dense_features), cache, ctx);
  } else {
    const SparseInput<float> x(data.features);
    logits = model.forward(graph, x, cache, ctx);
  }
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
