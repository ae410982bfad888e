#pragma once
// Graph-classification checkpoints: a GraphClassifier<float> as a safetensors file in the format
// of checkpoint.hpp (F32 row-major tensors, string metadata, "format": "gat", "format_version":
// "1"), told apart from a node-classification checkpoint by metadata "model":
// "graph_classifier". Each loader refuses the other kind, naming the command that reads it, so
// a model is never built from tensors meant for another architecture.
//
// Tensors, in the order of GraphClassifier::parameters(), with W = H·F (heads × hidden):
//   layers.L.weight       (in_L, W)   GAT layer L = 0 .. layers-1; in_0 = in_features, then W
//   layers.L.att_src      (H, F)      as in checkpoint.hpp (the gat score; other scores have
//   layers.L.att_dst      (H, F)       their own tensors, as checkpoint.hpp lists them)
//   layers.L.bias         (1, W)
//   layers.L.res_weight   (in_L, W)   only when residual and in_L != W (else the identity)
//   layers.L.edge_weight  (D, W)      only when edge_features D > 0: W_e of the edge score term
//   layers.L.att_edge     (H, F)      only when D > 0: a_edge
//   <pool>.gate_hidden.weight (w, gate_hidden), <pool>.gate_hidden.bias (1, gate_hidden)
//                                     attention pooling with gate_hidden > 0
//   <pool>.gate.weight    (gate_hidden or w, 1)   attention pooling (no bias: softmax ignores it)
//   mlp.weight (R, mlp_hidden), mlp.bias (1, mlp_hidden)   only when mlp_hidden > 0
//   classifier.weight     (mlp_hidden or R, C),  classifier.bias (1, C)
// where <pool> is "pool" (the readout of h_L, width w = W, or in_features with no GAT layer), or
// with jumping_knowledge "pools.l" for each l = 0 .. layers (the readout of h_l, width w = in_l);
// mean, sum and max pooling have no tensors; R is the readouts' widths summed.
//
// Metadata (all strings): "format", "format_version", "model": "graph_classifier", every field
// of GraphClassifierOptions under its for_each_graph_option key (below; edge_fill as
// "edge_fill": mean/constant and "edge_fill_value"), and the caller's extras. `gat train --task
// graph --save` stores as extras: "dataset" (its name), "task": "graph", "fold" (1-based: the
// saved model is that fold's), "seed", "test_graphs" (the fold's held-out graphs: 0-based
// indices into the dataset, ascending, comma-separated, written and read by
// graph_indices_to_text / graph_indices_from_text) and "test_accuracy" (on those graphs, a
// fraction in [0, 1] in shortest round-trip form), so that `gat eval --task graph` scores the
// model on exactly the graphs it never trained on and sets the result beside the stored one.
//
// PyTorch Geometric: each layer is GATConv(in_L, F, heads=H, concat=True, edge_dim=D,
// negative_slope, add_self_loops=(self_loops == "add"), fill_value="mean" (edge_fill "constant":
// edge_fill_value), residual) mapped as in checkpoint.hpp, plus conv.lin_edge.weight =
// edge_weightᵀ and conv.att_edge = att_edge.view(1, H, F); every layer is followed by ELU.
// Attention pooling is AttentionalAggregation(gate_nn) with gate_nn = Linear(w, 1, bias=False)
// (or Linear(w, gate_hidden) → Tanh → Linear(gate_hidden, 1, bias=False)); the head is
// [Linear → ReLU →] Dropout(mlp_dropout) → Linear, each torch.nn.Linear.weight the transpose of
// ours.

#include <cstdint>
#include <string>
#include <vector>

#include "gat/io/checkpoint.hpp"
#include "gat/layers/graph_classifier.hpp"

namespace gat {

/// @brief The one table of GraphClassifierOptions, as for_each_option is GatModelOptions':
/// calls visit(info, member) for every field in a fixed order (EdgeFillOptions as its two
/// members). Checkpoints walk it both ways, so a new option is one line here. `flag` is the
/// `gat train --task graph` flag where there is one.
template <typename Options, typename Visit>
void for_each_graph_option(Options& o, Visit&& visit) {
  visit(OptionInfo{"in_features", "", "node input width (from the dataset)"}, o.in_features);
  visit(OptionInfo{"edge_features", "", "edge-feature width D (0: attention ignores edges)"},
        o.edge_features);
  visit(OptionInfo{"num_classes", "", "classes (from the dataset)"}, o.num_classes);
  visit(OptionInfo{"layers", "--layers", "GAT layers (0: the readout sees the input)"}, o.layers);
  visit(OptionInfo{"hidden", "--hidden", "Features per head"}, o.hidden);
  visit(OptionInfo{"heads", "--heads", "Heads (concatenated)"}, o.heads);
  visit(OptionInfo{"dropout", "--dropout", "Dropout on every GAT layer's input"}, o.dropout);
  visit(OptionInfo{"attention_dropout", "--attn-dropout", "Dropout on attention weights"},
        o.attention_dropout);
  visit(OptionInfo{"negative_slope", "--negative-slope", "LeakyReLU slope of edge scores"},
        o.negative_slope);
  visit(OptionInfo{"score", "--score", "Edge score of every GAT layer"}, o.score);
  visit(OptionInfo{"align", "--align", "How scores become weights in every GAT layer"}, o.align);
  visit(OptionInfo{"residual", "", "Residual connection in every GAT layer"}, o.residual);
  visit(OptionInfo{"self_loops", "--self-loops", "Self loops: add (one per node), keep, remove"},
        o.self_loops);
  visit(OptionInfo{"edge_fill", "", "Edge features of added self loops: mean or constant"},
        o.edge_fill.kind);
  visit(OptionInfo{"edge_fill_value", "", "Edge feature value of added self loops (constant)"},
        o.edge_fill.value);
  visit(OptionInfo{"pool", "--pool", "Graph readout: attention, mean, sum, max"}, o.pool);
  visit(OptionInfo{"gate_hidden", "--gate-hidden", "Hidden width of the attention gate (0: none)"},
        o.gate_hidden);
  visit(OptionInfo{"jumping_knowledge", "", "Read out every layer's output, not the last alone"},
        o.jumping_knowledge);
  visit(OptionInfo{"mlp_hidden", "", "Hidden width of the head (0: a linear classifier)"},
        o.mlp_hidden);
  visit(OptionInfo{"mlp_dropout", "", "Dropout on the input of the head's last Linear"},
        o.mlp_dropout);
}

/// The value of metadata "model" in a graph-classification checkpoint.
inline constexpr const char* kGraphClassifierModel = "graph_classifier";

/// @brief Every field of GraphClassifierOptions as a string, keyed by field name (see
/// for_each_graph_option); graph_options_from_metadata reads the same table.
CheckpointMetadata graph_options_to_metadata(const GraphClassifierOptions& options);

/// @brief GraphClassifierOptions from metadata: a missing field keeps its default, a present
/// field that does not parse is a gat::Error naming `source`, the field and the value. Keys that
/// are not fields are ignored.
GraphClassifierOptions graph_options_from_metadata(const CheckpointMetadata& metadata,
                                                   const std::string& source = "checkpoint");

/// @brief The parameters a GraphClassifier built from `options` has, in the order of its
/// parameters(): names and shapes, computed without allocating them (so that a checkpoint is
/// checked against the file before the model is built). Throws gat::Error for options whose GAT
/// layers the layer refuses.
std::vector<ParameterShape> graph_classifier_layout(const GraphClassifierOptions& options);

/// @brief Writes the model's parameters and options to `path` atomically (a crash leaves the
/// previous file intact), with metadata "model": "graph_classifier". `extras` are stored beside
/// the options; an extra may not reuse a reserved key ("format", "format_version", "model" or
/// an option field). Throws gat::Error for a reserved key, a non-finite parameter (named), or a
/// failed write.
void save_graph_classifier(const std::string& path, const GraphClassifier<float>& model,
                           const CheckpointMetadata& extras = {});

/// @brief A loaded graph classifier with the metadata it was saved with.
struct GraphCheckpoint {
  GraphClassifier<float> model;
  CheckpointMetadata metadata;
};

/// @brief Loads a graph-classification checkpoint. Throws gat::Error naming the file and what is
/// wrong, as load_checkpoint_with_metadata does (format, version, options, and by name a
/// missing, extra, wrongly shaped, non-F32 or non-finite tensor; shapes checked before the model
/// is allocated), and for a node-classification checkpoint, saying that gat eval and gat predict
/// read it without --task graph.
GraphCheckpoint load_graph_classifier(const std::string& path);

/// @brief Graph indices as a checkpoint stores them: "0,5,17" (as given; empty for none).
std::string graph_indices_to_text(const std::vector<std::int64_t>& graphs);

/// @brief Parses graph_indices_to_text's form: decimal indices without signs or spaces,
/// comma-separated, strictly ascending, each below `num_graphs`, at least one. Throws gat::Error
/// naming `source` (the file and the key) and the offending entry otherwise.
std::vector<std::int64_t> graph_indices_from_text(const std::string& text, std::int64_t num_graphs,
                                                  const std::string& source);

}  // namespace gat
