#pragma once
// Synthetic graphs, deterministic by seed: Erdős–Rényi G(N, p), R-MAT power-law graphs, and
// the contextual stochastic block model (CSBM), whose class-correlated features make a
// generated graph learnable.
//
// Every random choice is a counter-based draw keyed by the seed (gat::CounterRng) and
// indexed by what it decides (a row and a candidate, an R-MAT draw and a level, a node and
// a feature), so the graphs are bit-identical whatever the thread count. Graphs contain no
// self loops and no duplicate edges; undirected graphs store each edge in both directions.

#include <cstdint>
#include <vector>

#include "gat/core/types.hpp"
#include "gat/graph/csr.hpp"

namespace gat {

/// @brief Erdős–Rényi G(N, p) with p = average_degree / (N - 1): expected in-degree of every
/// node equals average_degree.
/// @param n N ≥ 0 nodes
/// @param average_degree expected in-degree, in [0, N - 1]; for an undirected graph each
///   undirected edge counts once at each end (so E ≈ N·average_degree CSR slots either way)
/// @param seed keys every draw
/// @param undirected each unordered pair {i, j} is an edge with probability p (stored as i→j
///   and j→i); otherwise each ordered pair j→i independently
/// Edges are sampled exactly from G(N, p) by geometric skipping along each row (the gap to
/// the next edge among the candidates is Geometric(p)), in O(N + E) time, parallel over rows;
/// for p ≥ 0.1 a per-candidate Bernoulli test is cheaper and is used instead. There is no
/// bias: the mean degree is exact, and the realised edge count is Binomial, so the average
/// degree deviates from the target by a relative standard deviation of about
/// 1/sqrt(E_pairs), where E_pairs = N·d/2 undirected, N·d directed (0.14 % at N = 16000,
/// d = 64). The result is the same graph as erdos_renyi_density(n, average_degree / (n - 1)).
/// Throws gat::Error naming the argument when n or average_degree is out of range.
CsrGraph erdos_renyi(NodeId n, double average_degree, std::uint64_t seed, bool undirected = true);

/// @brief Erdős–Rényi G(N, p) by density p: each of the N(N - 1) possible directed edges
/// (undirected: each of the N(N - 1)/2 pairs) is present with probability `density`.
/// @param n N ≥ 0 nodes
/// @param density p in [0, 1]; 1 gives the complete graph without self loops. Expected edge
///   count E = p·N(N - 1) CSR slots in both modes.
/// @param seed keys every draw; @param undirected as for erdos_renyi
/// Sampled as erdos_renyi does; dense settings (N = 4096, p = 0.5: 8.4M slots) run as one
/// counter-based Bernoulli test per candidate, parallel over rows.
CsrGraph erdos_renyi_density(NodeId n, double density, std::uint64_t seed, bool undirected = true);

/// @brief Parameters of an R-MAT graph (Chakrabarti, Zhan & Faloutsos, 2004).
struct RmatOptions {
  int scale = 10;    // N = 2^scale nodes, 0 ≤ scale ≤ 30 (node ids are 32-bit)
  EdgeId edges = 0;  // distinct edges to return; undirected: pairs, so E = 2·edges slots
  // Probabilities of the four quadrants of the adjacency matrix (row = source) at each of the
  // `scale` recursive levels: a top-left, b top-right, c bottom-left, d = 1 - a - b - c.
  // The defaults are Graph500's; a > d gives a heavy-tailed degree distribution. Each level
  // is decided by 32 random bits, so the probabilities are resolved to 2^-32.
  double a = 0.57;
  double b = 0.19;
  double c = 0.19;
  std::uint64_t seed = 0;
  bool undirected = true;
  // Relabel nodes by a seeded bijection of [0, N) so that hubs are spread over the id range
  // (as Graph500 does), instead of crowding the low ids; the degree distribution is unchanged.
  bool scramble_ids = true;
};

/// @brief R-MAT power-law graph on 2^scale nodes with exactly options.edges distinct edges.
/// Each draw descends `scale` levels of the adjacency matrix, picking a quadrant with
/// probabilities (a, b, c, d) at each, and lands on one (source, destination) cell. Self
/// loops and repeated cells are dropped, and draws continue, in counter order, until
/// `edges` distinct edges have been seen: the graph is the first `edges` distinct edges of
/// the seed's draw sequence, so the edge count is exact and the result does not depend on
/// how the draws are batched or threaded. Dropping repeats thins the hubs slightly compared
/// with the multigraph of the raw draws (the usual R-MAT practice).
/// Throws gat::Error naming the option for a scale outside [0, 30], negative edges, more
/// edges than the N(N - 1) (undirected: N(N - 1)/2) possible, probabilities outside [0, 1] or
/// a + b + c > 1; and when 64·edges + 2^20 draws yield too few distinct edges (the request
/// nearly saturates the cells these probabilities reach).
CsrGraph rmat(const RmatOptions& options);

/// @brief R-MAT with positional parameters; see rmat(const RmatOptions&). Ids are scrambled.
/// @param scale N = 2^scale, @param edges distinct edges (undirected: pairs),
/// @param a, b, c quadrant probabilities (Graph500: 0.57, 0.19, 0.19), @param seed,
/// @param undirected store each edge in both directions
CsrGraph rmat(int scale, EdgeId edges, double a, double b, double c, std::uint64_t seed,
              bool undirected = true);

/// @brief Parameters of a contextual stochastic block model.
struct CsbmOptions {
  NodeId nodes = 0;  // N ≥ classes
  int classes = 2;   // C ≥ 1; class sizes differ by at most one
  double p_in = 0;   // probability of an edge between two distinct nodes of one class
  double p_out = 0;  // probability of an edge between nodes of different classes
  int features = 0;  // F ≥ 0, width of the feature matrix
  // ‖μ_c‖, the norm of every class mean. Features are x_i = μ_{y_i} + ε_i with ε_i ~ N(0, I_F)
  // and μ_c[f] = ±feature_signal/√F (random signs), so the signal-to-noise ratio does not
  // depend on F: two classes' means lie ≈ √2·feature_signal apart, and from its features
  // alone a node of one of two classes is told apart with accuracy ≈ Φ(feature_signal/√2).
  double feature_signal = 1.0;
  std::uint64_t seed = 0;
};

/// @brief A CSBM draw: an undirected graph, features and labels.
struct CsbmSample {
  CsrGraph graph;                    // N nodes, undirected, no self loops
  RowMatrix features;                // (N, F)
  std::vector<std::int32_t> labels;  // (N) class in [0, C)
  RowMatrix class_means;             // (C, F) the means μ_c the features were drawn around
};

/// @brief Draws a contextual stochastic block model (Deshpande et al., 2018).
/// Labels: a uniformly random balanced assignment (class sizes ⌊N/C⌋ or ⌈N/C⌉).
/// Edges: each unordered pair {i, j}, i ≠ j, independently with probability p_in when
///   y_i = y_j and p_out otherwise, so the expected degree of a node of class c is
///   p_in·(N_c - 1) + p_out·(N - N_c). Nodes are grouped by class internally and each row
///   is sampled by geometric skipping over its class blocks: O(N·C + E) time, not O(N²).
/// Features: x_i = μ_{y_i} + ε_i, noise by Box–Muller from counter draws (see CsbmOptions).
/// Throws gat::Error naming the option that is out of range.
CsbmSample csbm(const CsbmOptions& options);

/// @brief Edge probabilities of a balanced CSBM with a given expected average degree and edge
/// homophily.
struct CsbmProbabilities {
  double p_in = 0;
  double p_out = 0;
};

/// @brief p_in and p_out for which a balanced CSBM on N nodes and C classes has expected
/// average degree d and expected edge homophily h (the fraction of edges inside a class),
/// taking every class to have N/C nodes: p_in = h·d / (N/C - 1), p_out = (1 - h)·d / (N - N/C).
/// h = 1/C gives no community structure (p_in = p_out up to the N/C - 1 vs N/C difference).
/// @param nodes N ≥ 2 and ≥ 2·classes, @param classes C ≥ 1 (C = 1 requires h = 1),
/// @param average_degree d ≥ 0, @param homophily h in [0, 1]
/// Throws gat::Error when an argument is out of range or a probability would exceed 1.
CsbmProbabilities csbm_probabilities(NodeId nodes, int classes, double average_degree,
                                     double homophily);

}  // namespace gat
