#pragma once
// Checkpoints: a GatModel<float> as a safetensors file (see safetensors.hpp) that PyTorch users
// can read with json and numpy alone.
//
// Tensors: one per parameter, named as Parameter::name, dtype F32, row-major, in our layouts:
//   layers.L.weight      (in_L, H·F)      projection; column h·F + f is feature f of head h
//   layers.L.att_src     (H, F)           attention vector applied to the source's z
//   layers.L.att_dst     (H, F)           attention vector applied to the destination's z
//   layers.L.bias        (1, out_width)   only when options.bias
//   layers.L.res_weight  (in_L, out_width) only when options.residual and in_L != out_width;
//                                         when they are equal the residual is the identity
// Attention variants (options.score, align) replace att_src/att_dst by their own parameters,
// named and shaped as GatConv::parameter_shapes lists them: weight_dst, att, score_bias
// (gatv2), weight_query (dot, scaled-dot), att_matrix, score_bias (general family); none with
// align = uniform.
// where layer L < layers-1 has H = heads, F = hidden, out_width = H·F (heads concatenated, then
// ELU), and the last layer has H = out_heads, F = num_classes, out_width = F (heads averaged).
//
// Metadata ("__metadata__", all strings): "format": "gat", "format_version": "1", every field of
// GatModelOptions under its own name (in_features, num_classes, layers, hidden, heads,
// out_heads, dropout, attention_dropout, feature_dropout, negative_slope, bias, residual,
// self_loops, attention, dense_memory_limit, score, share_weights, align, top_k, multi_dim), and
// the caller's extras (e.g. the dataset name). No "model" key: that key marks the other kind of
// checkpoint, "model": "graph_classifier" (graph_checkpoint.hpp), which the loader here refuses,
// naming the command that reads it. Numbers are written in shortest round-trip form,
// bools as true/false, self_loops as add/keep/remove, attention as sparse/dense, score and align
// by their CLI names. A file without the variant fields (written before they existed) reads as
// the gat score with softmax.
//
// The PyG mapping below is for the default variant (gat score, softmax, single-dimensional);
// gatv2 is torch_geometric.nn.GATv2Conv's score with lin_l = weight (the source side, also the
// values) and lin_r = weight_dst (share_weights = True when shared), except for biases: ours is
// one b inside the activation (score_bias, the survey's w·act(W_1 h_i + W_2 h_j + b)), PyG's
// are lin_l's and lin_r's own.
//
// Mapping to PyTorch Geometric (torch_geometric.nn.GATConv), layer by layer:
//   GATConv(in_L, F, heads=H, concat=(L < layers-1), negative_slope=negative_slope,
//           dropout=attention_dropout, add_self_loops=(self_loops == "add"), bias=bias,
//           residual=residual)
//   conv.lin.weight = weightᵀ, shape (H·F, in_L)   [releases before `lin` existed call it
//                                                   lin_src.weight, with lin_dst the same module]
//   conv.att_src    = att_src.view(1, H, F)
//   conv.att_dst    = att_dst.view(1, H, F)
//   conv.bias       = bias.view(-1), shape (out_width)
//   conv.res.weight = res_weightᵀ, shape (out_width, in_L); PyG's residual is always a bias-free
//                     Linear, so when this file has no res_weight (in_L == out_width) set it to
//                     the identity eye(out_width).
// Both compute z = x·W viewed as (N, H, F) with head-major columns, score each edge j→i as
// LeakyReLU(⟨z_j, att_src⟩ + ⟨z_i, att_dst⟩), softmax over i's in-edges, sum α·z_j, then
// concatenate or average heads, add the residual, then the bias. Between layers apply ELU.
// self_loops "add" matches add_self_loops=True (existing loops removed, one added per node);
// "keep" and "remove" match add_self_loops=False on the graph with its loops kept or removed
// (torch_geometric.utils.remove_self_loops). Input dropout (p = dropout) before every layer is
// a plain F.dropout in PyG models; feature_dropout has no PyG counterpart; neither acts at
// inference.

#include <map>
#include <string>

#include "gat/layers/gat_model.hpp"

namespace gat {

/// String metadata of a checkpoint ("__metadata__").
using CheckpointMetadata = std::map<std::string, std::string>;

/// The format this library writes, and the only version it reads.
inline constexpr const char* kCheckpointFormat = "gat";
inline constexpr const char* kCheckpointFormatVersion = "1";
/// The metadata key that says which model a checkpoint holds: absent for GatModel (node
/// classification), kGraphClassifierModel for GraphClassifier (graph_checkpoint.hpp).
inline constexpr const char* kCheckpointModelKey = "model";

/// @brief Every field of GatModelOptions as a string, keyed by field name. This function and
/// options_from_metadata share one table of fields, so a new field is added in one place.
CheckpointMetadata options_to_metadata(const GatModelOptions& options);

/// @brief GatModelOptions from metadata: a missing field keeps its default (a file from an older
/// version still loads); a present field that does not parse is a gat::Error naming `source`,
/// the field and the value. Keys that are not fields are ignored.
GatModelOptions options_from_metadata(const CheckpointMetadata& metadata,
                                      const std::string& source = "checkpoint");

/// @brief Writes the model's parameters and options to `path` atomically (a crash leaves the
/// previous file intact). `extras` are stored beside the options; an extra may not reuse a
/// reserved key ("format", "format_version", "model" or an option field). Throws gat::Error for a
/// reserved key, a non-finite parameter (named), or a failed write.
void save_checkpoint(const std::string& path, const GatModel<float>& model,
                     const CheckpointMetadata& extras = {});

/// @brief A loaded model with the metadata it was saved with (options, format and extras).
struct Checkpoint {
  GatModel<float> model;
  CheckpointMetadata metadata;
};

/// @brief Loads a checkpoint: builds the model from the metadata options and copies every
/// tensor in. Throws gat::Error naming the file and what is wrong: anything read_safetensors
/// refuses, a missing "format": "gat", an unknown format_version, a graph-classification
/// checkpoint (metadata "model"; the message names the commands that read it), options that do
/// not parse or build a model, and — naming the tensor — a missing, extra, wrongly shaped,
/// non-F32 or non-finite tensor. Shapes are checked before the model is allocated, so metadata
/// claiming an enormous model cannot make the load allocate more than the file holds.
Checkpoint load_checkpoint_with_metadata(const std::string& path);

/// @brief load_checkpoint_with_metadata without the metadata.
GatModel<float> load_checkpoint(const std::string& path);

}  // namespace gat
