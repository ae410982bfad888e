#pragma once
// Running a trained model from a program of one's own: gat::infer gives the logits and a
// hidden layer's output (the node embedding) of one inference pass, on the graph the model was
// trained on or on a new one (inductive use: the weights do not depend on N). The graph is
// taken as built and the model applies its self-loop policy itself, so a graph cannot reach
// the layers unprepared; the features are a FeatureView (sparse, or the caller's dense memory).

#include <cstdint>

#include "gat/core/types.hpp"
#include "gat/data/features.hpp"
#include "gat/graph/csr.hpp"
#include "gat/layers/gat_model.hpp"

namespace gat {

/// @brief Options of gat::infer and gat::embed.
struct InferOptions {
  // OpenMP threads for this call, from whichever thread makes it; 0: the count set with
  // gat::set_num_threads (or OpenMP's default). Results are the same at any count.
  int threads = 0;
  // The hidden layer whose output is the embedding: 0 .. layers-2, or -1 for the last one.
  int embedding_layer = -1;
};

/// @brief What one inference pass gives.
struct Inference {
  RowMatrix logits;     // (N, C) class scores (log-softmax is monotone: arg-max = prediction)
  RowMatrix embedding;  // (N, H·F) the chosen hidden layer's output (after ELU); (N, 0) for a
                        // one-layer model, which has no hidden layer
};

/// @brief One inference pass (no dropout) of `model` over `graph` with node `features`.
/// Throws gat::Error when the features' width is not the model's input width, when their rows
/// are not one per node, or when an output is not finite (naming the layer).
Inference infer(const GatModel<float>& model, const CsrGraph& graph, FeatureView features,
                const InferOptions& options = {});

/// @brief infer(...).embedding, for a model with at least one hidden layer (else gat::Error).
RowMatrix embed(const GatModel<float>& model, const CsrGraph& graph, FeatureView features,
                const InferOptions& options = {});

}  // namespace gat
