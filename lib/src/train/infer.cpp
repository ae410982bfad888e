#include "gat/train/infer.hpp"

#include <utility>

#include "gat/core/error.hpp"
#include "gat/core/threads.hpp"
#include "train_util.hpp"

namespace gat {

Inference infer(const GatModel<float>& model, const CsrGraph& graph, FeatureView features,
                const InferOptions& options) {
  GAT_CHECK(features.rows() == graph.num_nodes(), "infer: " << features.rows()
                                                            << " feature rows for a graph of "
                                                            << graph.num_nodes() << " nodes");
  GAT_CHECK(features.cols() == model.options().in_features,
            "infer: the features have " << features.cols() << " columns but the model expects "
                                        << model.options().in_features);
  const int hidden_layers = model.options().layers - 1;
  GAT_CHECK(options.embedding_layer >= -1 && options.embedding_layer < hidden_layers,
            "infer: embedding_layer " << options.embedding_layer << " is not a hidden layer of "
                                      << "this model (0 .. " << hidden_layers - 1
                                      << ", or -1 for the last)");
  const ThreadScope threads(options.threads);
  const CsrGraph prepared = model.prepare_graph(graph);
  const detail::ModelInput x(features);
  GatModelCache<float> cache;
  Inference out;
  out.logits = x.forward(model, prepared, cache, detail::kEvaluation);
  if (hidden_layers == 0) {
    out.embedding.resize(graph.num_nodes(), 0);
  } else {
    const int layer = options.embedding_layer < 0 ? hidden_layers - 1 : options.embedding_layer;
    out.embedding = std::move(cache.hidden[static_cast<std::size_t>(layer)]);
  }
  return out;
}

RowMatrix embed(const GatModel<float>& model, const CsrGraph& graph, FeatureView features,
                const InferOptions& options) {
  GAT_CHECK(model.options().layers >= 2,
            "embed: a one-layer model has no hidden layer to embed with; use infer(...).logits");
  return infer(model, graph, features, options).embedding;
}

}  // namespace gat
