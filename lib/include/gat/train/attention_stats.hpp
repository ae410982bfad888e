#pragma once
// Attention analysis of a trained GatModel: the weights every layer puts on every edge, how
// peaked they are and how much of them goes to neighbours of the node's own class, compared
// with what plain mean aggregation (uniform attention) would give, and an ablation that
// measures what the learned weights are worth for accuracy.
//
// Weights are the layer's α (GatConvCache::alpha) of an inference pass: (E, W) in the prepared
// graph's CSR slot order, W = H, or H·F with multi-dimensional attention, where column c of a
// multi-dimensional layer is channel f of head h for c = h·F + f. "Column" below is a column of
// α; a head owns columns [h·W/H, (h+1)·W/H). Each column sums to one over a node's in-edges
// (a node without in-edges has no slots and no weights).
//
// Per node i with deg_i ≥ 1 in-edges (slots; a duplicate edge counts twice, a self loop once)
// and one column of α:
//   entropy          H_i = −Σ_j α_{j→i} log α_{j→i}     (natural log, 0·log 0 = 0)
//   uniform entropy  U_i = the same of α = 1/deg_i       (= log deg_i up to rounding)
//   same-label       S_i = Σ_{j: y_j = y_i} α_{j→i}     (a self loop i→i counts: y_i = y_i)
//   uniform share    P_i = |{j: y_j = y_i}| / deg_i      (S_i of uniform attention)
// H_i / U_i < 1 means attention is more peaked than averaging; S_i > P_i means attention
// favours same-class neighbours more than averaging does. U_i and P_i are computed with the
// same arithmetic as H_i and S_i applied to the weights 1/deg_i rounded to the type of α, so
// that uniform attention gives H_i == U_i and S_i == P_i exactly. Nodes without in-edges have
// no statistics: their entries are 0, degree 0, and summaries skip them (see
// AttentionSummary::nodes).

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "gat/core/types.hpp"
#include "gat/data/dataset.hpp"
#include "gat/graph/csr.hpp"
#include "gat/layers/gat_model.hpp"

namespace gat {

/// @brief The attention weights of every layer of a model over one graph.
struct ModelAttention {
  CsrGraph graph;                // the prepared graph (self-loop policy applied): N nodes, E slots
  std::vector<NodeId> dst;       // (E) destination of each slot (graph.dst(), kept once)
  std::vector<RowMatrix> alpha;  // per layer l: (E, W_l) weights in slot order
  std::vector<int> heads;        // per layer l: H_l; a head owns W_l / H_l columns
  RowMatrix logits;              // (N, C) the model's output in the same pass
};

/// @brief Runs one inference pass of `model` over `data` and keeps every layer's weights in slot
/// order. `ctx` may ask for an attention_override (then α holds the replaced weights) and its
/// seed keys kPermute; it must be an inference context. A model with dense attention is run
/// with sparse attention (same parameters, same outputs) so that its weights come in slots.
ModelAttention model_attention(const GatModel<float>& model, const Dataset& data,
                               const ForwardContext& ctx = {});

/// @brief One row of the edge listing: the weight of column `column` of layer `layer` on the
/// edge source → destination held in slot `slot`.
struct EdgeAttention {
  int layer = 0;
  int column = 0;  // head h (or channel h·F + f with multi-dimensional attention)
  EdgeId slot = 0;
  NodeId source = 0, destination = 0;
  float weight = 0;
  bool self_loop = false;  // source == destination
};

/// @brief Calls `visit` once per (layer, column, slot), ordered by layer, then column, then slot
/// (so by destination): E · Σ_l W_l rows, streamed without being stored.
void for_each_edge_attention(const ModelAttention& attention,
                             const std::function<void(const EdgeAttention&)>& visit);

/// @brief Per-node statistics of one layer's weights (see the top of this file).
struct NodeAttentionStats {
  std::vector<EdgeId> degree;           // (N) in-edges (slots) of each node; 0: no statistics
  Matrix<double> entropy;               // (N, W) H_i per column
  std::vector<double> uniform_entropy;  // (N) U_i
  Matrix<double> same_label;            // (N, W) S_i per column
  std::vector<double> uniform_share;    // (N) P_i
};

/// @brief Entropy and same-label weight of every node and column of α.
/// @param graph the graph α lives on (N nodes, E slots)
/// @param alpha (E, W) weights in slot order
/// @param labels (N) class of each node
template <typename T>
NodeAttentionStats node_attention_stats(const CsrGraph& graph, MatrixCRef<T> alpha,
                                        const std::vector<std::int32_t>& labels);

/// @brief Means of NodeAttentionStats over nodes and a range of columns.
struct AttentionSummary {
  std::int64_t nodes = 0;      // nodes averaged: those of the subset with at least one in-edge
  std::int64_t skipped = 0;    // nodes of the subset without in-edges (not averaged)
  double entropy = 0;          // mean H_i over (node, column) pairs
  double uniform_entropy = 0;  // mean U_i over the same pairs
  double entropy_ratio = 1;    // entropy / uniform_entropy; 1 when both are 0 (all deg_i = 1)
  double same_label = 0;       // mean S_i
  double uniform_share = 0;    // mean P_i
};

/// @brief Averages node statistics over columns [col_begin, col_end) (one head: its columns)
/// and over the nodes of `subset` (node indices; nullptr: all nodes). A node listed twice
/// counts twice. The means are ratios of sums taken in node order, so they are reproducible.
AttentionSummary summarize_attention(const NodeAttentionStats& stats, Eigen::Index col_begin,
                                     Eigen::Index col_end,
                                     const std::vector<NodeId>* subset = nullptr);

/// @brief Columns [begin, end) of α owned by head `head` of layer `layer`.
std::pair<Eigen::Index, Eigen::Index> head_columns(const ModelAttention& attention, int layer,
                                                   int head);

/// @brief One in-edge of a node with its weight.
struct NeighbourAttention {
  EdgeId slot = 0;
  NodeId source = 0;
  double weight = 0;  // mean of the columns asked for
};

/// @brief The in-edges of `node` in slot order with their weights averaged over columns
/// [col_begin, col_end) (one column, one head's columns, or all); the weights still sum to one.
/// @param alpha (E, W) weights in `graph`'s slot order
template <typename T>
std::vector<NeighbourAttention> node_neighbourhood(const CsrGraph& graph, MatrixCRef<T> alpha,
                                                   NodeId node, Eigen::Index col_begin,
                                                   Eigen::Index col_end);

/// @brief Test accuracy of a model with its learned attention and with attention ablated.
struct AttentionAblation {
  double learned = 0;            // the model as trained (train/trainer.hpp evaluate)
  double uniform = 0;            // AttentionOverride::kUniform: mean aggregation
  std::vector<double> permuted;  // (R) AttentionOverride::kPermute, one per seed
  double permuted_mean = 0;      // mean of permuted
  double permuted_std = 0;       // sample standard deviation (R - 1); 0 when R = 1
  std::uint64_t first_seed = 0;  // permutation r used ForwardContext::seed = first_seed + r
};

/// @brief Inference-mode test accuracy with learned, uniform and (over `permutations` seeds
/// first_seed, first_seed + 1, ...) permuted attention. Permuting keeps each neighbourhood's
/// weights but reassigns them to neighbours at random: what remains of the accuracy is what the
/// distribution of weights is worth without knowing which neighbour deserves which.
AttentionAblation attention_ablation(const GatModel<float>& model, const Dataset& data,
                                     int permutations = 10, std::uint64_t first_seed = 0);

}  // namespace gat
