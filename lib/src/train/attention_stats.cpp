#include "gat/train/attention_stats.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <utility>

#include "gat/core/error.hpp"
#include "gat/core/sparse_matrix.hpp"
#include "gat/core/threads.hpp"
#include "gat/train/metrics.hpp"
#include "gat/train/trainer.hpp"
#include "train_util.hpp"

namespace gat {
namespace {

using detail::check_dataset;

// The model whose forward pass leaves its weights in slot order: `model` itself when its
// attention is sparse; else a sparse-attention copy with the same parameters, built in `twin`.
// Dense attention computes the same weights on an (N, N) grid per head, so the copy gives the
// same outputs while its weights come as (E, W) like every other layer's.
const GatModel<float>& sparse_model(const GatModel<float>& model,
                                    std::optional<GatModel<float>>& twin) {
  if (model.options().attention == AttentionMode::kSparse) return model;
  GatModelOptions options = model.options();
  options.attention = AttentionMode::kSparse;
  twin.emplace(options, 0);
  const auto from = model.parameters();
  const auto to = twin->parameters();
  GAT_CHECK(from.size() == to.size(),
            "attention analysis: the sparse copy of a dense-attention "
            "model has "
                << to.size() << " parameters, not " << from.size());
  for (std::size_t k = 0; k < from.size(); ++k) {
    GAT_CHECK(from[k]->name == to[k]->name, "attention analysis: parameter "
                                                << k << " of the sparse copy is " << to[k]->name
                                                << ", not " << from[k]->name);
    to[k]->value = from[k]->value;
  }
  return *twin;
}

void check_columns(Eigen::Index col_begin, Eigen::Index col_end, Eigen::Index width,
                   const char* where) {
  GAT_CHECK(0 <= col_begin && col_begin < col_end && col_end <= width,
            where << ": columns [" << col_begin << ", " << col_end
                  << ") are not a non-empty range of the " << width << " attention columns");
}

}  // namespace

ModelAttention model_attention(const GatModel<float>& model, const Dataset& data,
                               const ForwardContext& ctx) {
  GAT_CHECK(!ctx.training,
            "model_attention reads the weights of an inference pass; the context asks for "
            "training");
  check_dataset(model, data);
  std::optional<GatModel<float>> twin;
  const GatModel<float>& m = sparse_model(model, twin);
  ModelAttention out;
  out.graph = m.prepare_graph(data.graph);
  out.dst = out.graph.dst();
  const detail::ModelInput x(data.feature_view());
  GatModelCache<float> cache;
  ForwardContext keep = ctx;  // this pass exists to read the weights
  keep.keep_attention = true;
  out.logits = x.forward(m, out.graph, cache, keep);
  const auto& layers = m.layers();
  for (std::size_t l = 0; l < layers.size(); ++l) {
    RowMatrix alpha = cache.layers[l].take_attention();
    GAT_CHECK(alpha.rows() == out.graph.num_edges() && alpha.cols() == layers[l].attention_width(),
              "attention analysis: layer "
                  << l << " left weights of shape (" << alpha.rows() << ", " << alpha.cols()
                  << "), expected (" << out.graph.num_edges() << ", " << layers[l].attention_width()
                  << ")");
    out.alpha.push_back(std::move(alpha));
    out.heads.push_back(layers[l].options().heads);
  }
  return out;
}

void for_each_edge_attention(const ModelAttention& attention,
                             const std::function<void(const EdgeAttention&)>& visit) {
  const CsrGraph& g = attention.graph;
  const EdgeId edges = g.num_edges();
  GAT_CHECK(static_cast<EdgeId>(attention.dst.size()) == edges,
            "for_each_edge_attention: " << attention.dst.size() << " destinations for " << edges
                                        << " edges");
  const auto& src = g.src();
  EdgeAttention row;
  for (std::size_t l = 0; l < attention.alpha.size(); ++l) {
    const RowMatrix& alpha = attention.alpha[l];
    GAT_CHECK(alpha.rows() == edges, "for_each_edge_attention: layer "
                                         << l << " has " << alpha.rows() << " weight rows for "
                                         << edges << " edges");
    row.layer = static_cast<int>(l);
    for (Eigen::Index c = 0; c < alpha.cols(); ++c) {
      row.column = static_cast<int>(c);
      for (EdgeId p = 0; p < edges; ++p) {
        row.slot = p;
        row.source = src[p];
        row.destination = attention.dst[p];
        row.weight = alpha(p, c);
        row.self_loop = row.source == row.destination;
        visit(row);
      }
    }
  }
}

template <typename T>
NodeAttentionStats node_attention_stats(const CsrGraph& graph, MatrixCRef<T> alpha,
                                        const std::vector<std::int32_t>& labels) {
  const NodeId n = graph.num_nodes();
  GAT_CHECK(alpha.rows() == graph.num_edges(),
            "node_attention_stats: " << alpha.rows() << " weight rows for a graph of "
                                     << graph.num_edges() << " edges");
  GAT_CHECK(static_cast<NodeId>(labels.size()) == n,
            "node_attention_stats: " << labels.size() << " labels for " << n << " nodes");
  const Eigen::Index w = alpha.cols();
  NodeAttentionStats s;
  s.degree = graph.in_degrees();
  s.entropy = Matrix<double>::Zero(n, w);
  s.same_label = Matrix<double>::Zero(n, w);
  s.uniform_entropy.assign(n, 0.0);
  s.uniform_share.assign(n, 0.0);
  const auto& row_ptr = graph.row_ptr();
  const auto& src = graph.src();
  // −a·log a, with the limit 0 at a = 0 (sparsemax, hard and local attention give exact zeros).
  auto neg_a_log_a = [](double a) { return a > 0 ? -a * std::log(a) : 0.0; };
  // Each node's numbers depend on its own row only: chunks of nodes in parallel, each node
  // summed in slot order, so the result does not depend on the thread count.
  const long chunks = (static_cast<long>(n) + kRowChunk - 1) / kRowChunk;
#pragma omp parallel for schedule(static)
  for (long chunk = 0; chunk < chunks; ++chunk) {
    const NodeId end = static_cast<NodeId>(std::min<long>(n, (chunk + 1) * kRowChunk));
    for (NodeId i = static_cast<NodeId>(chunk * kRowChunk); i < end; ++i) {
      const EdgeId b = row_ptr[i], e = row_ptr[i + 1];
      if (b == e) continue;  // no in-edges: no weights, no statistics
      // The uniform baseline goes through the same arithmetic as the weights themselves, with
      // 1/deg rounded to T as a layer would store it: uniform attention then matches it exactly.
      const double u = static_cast<double>(T(1) / static_cast<T>(e - b));
      double uh = 0, up = 0;
      for (EdgeId p = b; p < e; ++p) {
        uh += neg_a_log_a(u);
        if (labels[src[p]] == labels[i]) up += u;
      }
      s.uniform_entropy[i] = uh;
      s.uniform_share[i] = up;
      for (Eigen::Index c = 0; c < w; ++c) {
        double h = 0, same = 0;
        for (EdgeId p = b; p < e; ++p) {
          const double a = static_cast<double>(alpha(p, c));
          h += neg_a_log_a(a);
          if (labels[src[p]] == labels[i]) same += a;
        }
        s.entropy(i, c) = h;
        s.same_label(i, c) = same;
      }
    }
  }
  return s;
}

AttentionSummary summarize_attention(const NodeAttentionStats& stats, Eigen::Index col_begin,
                                     Eigen::Index col_end, const std::vector<NodeId>* subset) {
  const auto n = static_cast<NodeId>(stats.degree.size());
  check_columns(col_begin, col_end, stats.entropy.cols(), "summarize_attention");
  GAT_CHECK(stats.entropy.rows() == n && stats.same_label.rows() == n &&
                static_cast<NodeId>(stats.uniform_entropy.size()) == n &&
                static_cast<NodeId>(stats.uniform_share.size()) == n,
            "summarize_attention: the statistics disagree on the number of nodes");
  AttentionSummary out;
  // Sums over (node, column) pairs, the baselines repeated once per column, so that equal
  // per-node values give bit-identical means.
  double h = 0, u = 0, same = 0, share = 0;
  auto add = [&](NodeId i) {
    GAT_CHECK(0 <= i && i < n,
              "summarize_attention: node " << i << " of the subset is not in [0, " << n << ")");
    if (stats.degree[i] == 0) {
      ++out.skipped;
      return;
    }
    ++out.nodes;
    for (Eigen::Index c = col_begin; c < col_end; ++c) {
      h += stats.entropy(i, c);
      u += stats.uniform_entropy[i];
      same += stats.same_label(i, c);
      share += stats.uniform_share[i];
    }
  };
  if (subset) {
    for (const NodeId i : *subset) add(i);
  } else {
    for (NodeId i = 0; i < n; ++i) add(i);
  }
  if (out.nodes == 0) return out;
  const double pairs = static_cast<double>(out.nodes) * static_cast<double>(col_end - col_begin);
  out.entropy = h / pairs;
  out.uniform_entropy = u / pairs;
  out.same_label = same / pairs;
  out.uniform_share = share / pairs;
  // Every node of degree 1 has H_i = U_i = 0: attention cannot differ from uniform there.
  out.entropy_ratio = u > 0 ? h / u : 1.0;
  return out;
}

std::pair<Eigen::Index, Eigen::Index> head_columns(const ModelAttention& attention, int layer,
                                                   int head) {
  const int layers = static_cast<int>(attention.alpha.size());
  GAT_CHECK(
      static_cast<int>(attention.heads.size()) == layers,
      "head_columns: " << attention.heads.size() << " head counts for " << layers << " layers");
  GAT_CHECK(0 <= layer && layer < layers,
            "layer " << layer << " is out of range: the model has layers 0.." << layers - 1);
  const int heads = attention.heads[layer];
  GAT_CHECK(0 <= head && head < heads, "head " << head << " is out of range: layer " << layer
                                               << " has heads 0.." << heads - 1);
  const Eigen::Index w = attention.alpha[layer].cols();
  GAT_CHECK(heads > 0 && w % heads == 0, "head_columns: layer " << layer << " has " << w
                                                                << " columns for " << heads
                                                                << " heads");
  const Eigen::Index per_head = w / heads;
  return {head * per_head, (head + 1) * per_head};
}

template <typename T>
std::vector<NeighbourAttention> node_neighbourhood(const CsrGraph& graph, MatrixCRef<T> alpha,
                                                   NodeId node, Eigen::Index col_begin,
                                                   Eigen::Index col_end) {
  GAT_CHECK(alpha.rows() == graph.num_edges(),
            "node_neighbourhood: " << alpha.rows() << " weight rows for a graph of "
                                   << graph.num_edges() << " edges");
  GAT_CHECK(
      0 <= node && node < graph.num_nodes(),
      "node " << node << " is out of range: the graph has nodes 0.." << graph.num_nodes() - 1);
  check_columns(col_begin, col_end, alpha.cols(), "node_neighbourhood");
  const auto& src = graph.src();
  const double count = static_cast<double>(col_end - col_begin);
  std::vector<NeighbourAttention> out;
  for (EdgeId p = graph.row_ptr()[node]; p < graph.row_ptr()[node + 1]; ++p) {
    double sum = 0;
    for (Eigen::Index c = col_begin; c < col_end; ++c) sum += static_cast<double>(alpha(p, c));
    out.push_back({p, src[p], sum / count});
  }
  return out;
}

AttentionAblation attention_ablation(const GatModel<float>& model, const Dataset& data,
                                     int permutations, std::uint64_t first_seed) {
  GAT_CHECK(permutations >= 1,
            "attention ablation: need at least one permutation, got " << permutations);
  GAT_CHECK(!data.test.empty(),
            "attention ablation: dataset '" << data.name << "' has no test nodes to score");
  AttentionAblation out;
  out.first_seed = first_seed;
  // The model as it is, through the trainer's own evaluation (which also checks the dataset).
  out.learned = evaluate(model, data).test_acc;

  std::optional<GatModel<float>> twin;
  const GatModel<float>& m = sparse_model(model, twin);
  const CsrGraph graph = m.prepare_graph(data.graph);
  const detail::ModelInput x(data.feature_view());
  GatModelCache<float> cache;
  auto test_accuracy = [&](AttentionOverride override_kind, std::uint64_t seed) {
    ForwardContext ctx = detail::kEvaluation;  // the accuracy only: keep no weights
    ctx.seed = seed;
    ctx.attention_override = override_kind;
    const RowMatrix logits = x.forward(m, graph, cache, ctx);
    return accuracy<float>(logits, data.labels, data.test);
  };
  out.uniform = test_accuracy(AttentionOverride::kUniform, first_seed);
  for (int r = 0; r < permutations; ++r) {
    out.permuted.push_back(
        test_accuracy(AttentionOverride::kPermute, first_seed + static_cast<std::uint64_t>(r)));
  }
  double sum = 0;
  for (const double a : out.permuted) sum += a;
  out.permuted_mean = sum / static_cast<double>(permutations);
  if (permutations > 1) {
    double sq = 0;
    for (const double a : out.permuted) sq += (a - out.permuted_mean) * (a - out.permuted_mean);
    out.permuted_std = std::sqrt(sq / static_cast<double>(permutations - 1));
  }
  return out;
}

#define GAT_INSTANTIATE(T)                                                               \
  template NodeAttentionStats node_attention_stats<T>(const CsrGraph&, MatrixCRef<T>,    \
                                                      const std::vector<std::int32_t>&); \
  template std::vector<NeighbourAttention> node_neighbourhood<T>(                        \
      const CsrGraph&, MatrixCRef<T>, NodeId, Eigen::Index, Eigen::Index);
GAT_INSTANTIATE(float)
GAT_INSTANTIATE(double)
#undef GAT_INSTANTIATE

}  // namespace gat
