#include "gat/graph/generate.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

#include "gat/core/error.hpp"
#include "gat/core/random.hpp"
#include "gat/core/threads.hpp"

namespace gat {
namespace {

// Streams of the generators' draws: the seed is the user's, the stream keeps each use of
// randomness apart from the others (and from the training streams of RngStream).
enum GenerateStream : std::uint64_t {
  kStreamEdges = 101,     // ER and CSBM edge tests, counter (row << 32) + k
  kStreamRmat = 102,      // R-MAT quadrant choices, counter draw·⌈scale/2⌉ + level/2
  kStreamRmatIds = 103,   // keys of the R-MAT id scrambling
  kStreamLabels = 104,    // CSBM label permutation
  kStreamMeans = 105,     // CSBM class-mean signs
  kStreamFeatures = 106,  // CSBM feature noise
};

// Above this probability one Bernoulli test per candidate (one hash) is cheaper than geometric
// skipping (one hash and one logarithm per success).
constexpr double kDenseFrom = 0.1;

// Independent Bernoulli(p) trials over runs of candidate columns. Both ways of sampling give
// exactly the same law; which one runs depends only on p, so results stay deterministic.
class BernoulliSampler {
 public:
  explicit BernoulliSampler(double p)
      : p_(p),
        dense_(p >= kDenseFrom),
        log_q_(p > 0 && p < 1 ? std::log1p(-p) : 0.0),
        threshold_(static_cast<std::uint64_t>(std::ldexp(p, 53))) {}

  // Appends to `out`, ascending, every column of [lo, hi) whose trial succeeds. Draws use
  // counters counter, counter + 1, ... and leave `counter` past the last one used.
  void sample(const CounterRng& rng, std::uint64_t& counter, NodeId lo, NodeId hi,
              std::vector<NodeId>& out) const {
    if (p_ <= 0 || lo >= hi) return;
    if (dense_) {
      // Success when a 53-bit uniform integer is below p·2^53, i.e. uniform < p.
      for (NodeId j = lo; j < hi; ++j) {
        if ((rng.bits(counter++) >> 11) < threshold_) out.push_back(j);
      }
      return;
    }
    // The number of failures before the next success is Geometric(p): P(g) = (1 - p)^g·p.
    // For U uniform on (0, 1], g = ⌊ln U / ln(1 - p)⌋ has exactly this law, since
    // P(g ≥ k) = P(ln U ≤ k·ln(1 - p)) = (1 - p)^k.
    std::int64_t j = lo;
    for (;;) {
      const double u = 1.0 - rng.uniform(counter++);
      const double gap = std::floor(std::log(u) / log_q_);
      if (gap >= static_cast<double>(hi - j)) return;
      j += static_cast<std::int64_t>(gap);
      out.push_back(static_cast<NodeId>(j));
      ++j;
    }
  }

 private:
  double p_;
  bool dense_;
  double log_q_;  // ln(1 - p)
  std::uint64_t threshold_;
};

// The first counter of row r: rows draw at most 2N + C < 2^32 numbers each, so rows never
// share a counter.
std::uint64_t row_counter(NodeId r) { return static_cast<std::uint64_t>(r) << 32; }

// Runs sample_row(r, out), which appends row r's columns, for every r in [0, rows), in
// parallel chunks of kRowChunk rows, and concatenates the rows in order into (row_ptr, cols).
// A row depends only on r, so the result is the same at any thread count.
template <typename SampleRow>
void sample_rows(NodeId rows, const SampleRow& sample_row, std::vector<EdgeId>& row_ptr,
                 std::vector<NodeId>& cols) {
  const long chunks = (static_cast<long>(rows) + kRowChunk - 1) / kRowChunk;
  std::vector<std::vector<NodeId>> parts(chunks);
  row_ptr.assign(static_cast<std::size_t>(rows) + 1, 0);
#pragma omp parallel for schedule(dynamic)
  for (long c = 0; c < chunks; ++c) {
    const auto begin = static_cast<NodeId>(c * kRowChunk);
    const auto end = static_cast<NodeId>(std::min<long>(rows, (c + 1) * kRowChunk));
    for (NodeId r = begin; r < end; ++r) {
      sample_row(r, parts[c]);
      row_ptr[r + 1] = static_cast<EdgeId>(parts[c].size());  // offset inside the chunk
    }
  }
  std::vector<EdgeId> chunk_begin(chunks + 1, 0);
  for (long c = 0; c < chunks; ++c) {
    chunk_begin[c + 1] = chunk_begin[c] + static_cast<EdgeId>(parts[c].size());
  }
  cols.resize(chunk_begin[chunks]);
#pragma omp parallel for schedule(dynamic)
  for (long c = 0; c < chunks; ++c) {
    std::copy(parts[c].begin(), parts[c].end(), cols.begin() + chunk_begin[c]);
    std::vector<NodeId>().swap(parts[c]);
    const auto begin = static_cast<NodeId>(c * kRowChunk);
    const auto end = static_cast<NodeId>(std::min<long>(rows, (c + 1) * kRowChunk));
    for (NodeId r = begin; r < end; ++r) row_ptr[r + 1] += chunk_begin[c];
  }
}

// The undirected CSR of a strictly lower-triangular one (row t lists sources s < t, each pair
// {s, t} once), optionally relabelling node t as relabel[t]. Every pair becomes the two slots
// s→t and t→s. Without relabelling, scattering in ascending t leaves each row sorted: row i
// receives its own lower row (all < i) at t = i, then the t > i whose lower row holds i, in
// ascending order. Relabelled rows are sorted afterwards, in parallel.
CsrGraph symmetric_csr(NodeId n, const std::vector<EdgeId>& lower_ptr,
                       const std::vector<NodeId>& lower_src, const std::vector<NodeId>* relabel) {
  auto id = [&](NodeId t) { return relabel ? (*relabel)[t] : t; };
  std::vector<EdgeId> row_ptr(static_cast<std::size_t>(n) + 1, 0);
  for (NodeId t = 0; t < n; ++t) {
    row_ptr[id(t) + 1] += lower_ptr[t + 1] - lower_ptr[t];
    for (EdgeId k = lower_ptr[t]; k < lower_ptr[t + 1]; ++k) ++row_ptr[id(lower_src[k]) + 1];
  }
  for (NodeId i = 0; i < n; ++i) row_ptr[i + 1] += row_ptr[i];
  std::vector<NodeId> src(row_ptr[n]);
  std::vector<EdgeId> next(row_ptr.begin(), row_ptr.end() - 1);
  for (NodeId t = 0; t < n; ++t) {
    const NodeId u = id(t);
    for (EdgeId k = lower_ptr[t]; k < lower_ptr[t + 1]; ++k) {
      const NodeId v = id(lower_src[k]);
      src[next[u]++] = v;
      src[next[v]++] = u;
    }
  }
  if (relabel) {
#pragma omp parallel for schedule(dynamic, 64)
    for (NodeId i = 0; i < n; ++i)
      std::sort(src.begin() + row_ptr[i], src.begin() + row_ptr[i + 1]);
  }
  return CsrGraph(n, std::move(row_ptr), std::move(src));
}

// G(N, p): independent trials over the N(N - 1)/2 pairs (undirected) or the N(N - 1) ordered
// pairs (directed). Undirected rows sample their lower triangle s < t; directed rows sample
// every source but themselves.
CsrGraph gnp(NodeId n, double p, std::uint64_t seed, bool undirected) {
  const CounterRng rng(seed, 0, 0, kStreamEdges);
  const BernoulliSampler trial(p);
  std::vector<EdgeId> row_ptr;
  std::vector<NodeId> src;
  if (undirected) {
    sample_rows(
        n,
        [&](NodeId t, std::vector<NodeId>& out) {
          std::uint64_t counter = row_counter(t);
          trial.sample(rng, counter, 0, t, out);
        },
        row_ptr, src);
    return symmetric_csr(n, row_ptr, src, nullptr);
  }
  sample_rows(
      n,
      [&](NodeId i, std::vector<NodeId>& out) {
        std::uint64_t counter = row_counter(i);
        trial.sample(rng, counter, 0, i, out);
        trial.sample(rng, counter, i + 1, n, out);
      },
      row_ptr, src);
  return CsrGraph(n, std::move(row_ptr), std::move(src));
}

// ---- R-MAT -------------------------------------------------------------------------------

// A seeded bijection of [0, 2^scale): multiplying by an odd number, adding, and x ^= x >> k
// (k ≥ 1) are each invertible modulo 2^scale, so their composition permutes the ids.
class IdScrambler {
 public:
  IdScrambler(int scale, std::uint64_t seed, bool enabled)
      : enabled_(enabled && scale > 0),
        mask_((std::uint64_t{1} << scale) - 1),
        shift_((scale + 1) / 2) {
    const CounterRng rng(seed, 0, 0, kStreamRmatIds);
    for (int r = 0; r < kRounds; ++r) {
      mul_[r] = rng.bits(2 * r) | 1;
      add_[r] = rng.bits(2 * r + 1);
    }
  }

  std::uint64_t operator()(std::uint64_t x) const {
    if (!enabled_) return x;
    for (int r = 0; r < kRounds; ++r) {
      x = (x * mul_[r] + add_[r]) & mask_;
      x ^= x >> shift_;
    }
    return x;
  }

 private:
  static constexpr int kRounds = 3;
  bool enabled_;
  std::uint64_t mask_;
  int shift_;
  std::uint64_t mul_[kRounds] = {};
  std::uint64_t add_[kRounds] = {};
};

// One R-MAT draw with the counter it came from. With s = scale, the key packs the edge into
// 2s bits so that ascending keys are CSR order: directed dst·2^s + src; undirected
// max·2^s + min, the lower triangle. Self loops get the largest key, 2^(2s) - 1 (the loop
// N-1 → N-1, itself never an edge), so they sort last.
struct RmatDraw {
  std::uint64_t key;
  std::uint64_t index;
};

// Sorts draws by key, keeping equal keys in their input order: a least-significant-digit
// radix sort with 8-bit digits over the `bits` low bits of the key, each pass a stable
// counting sort. O(bits/8 · n), against O(n log n) comparisons with unpredictable branches.
void radix_sort(std::vector<RmatDraw>& draws, int bits) {
  std::vector<RmatDraw> buffer(draws.size());
  for (int shift = 0; shift < bits; shift += 8) {
    std::size_t start[257] = {};
    for (const RmatDraw& d : draws) ++start[((d.key >> shift) & 0xff) + 1];
    for (int b = 0; b < 256; ++b) start[b + 1] += start[b];
    for (const RmatDraw& d : draws) buffer[start[(d.key >> shift) & 0xff]++] = d;
    draws.swap(buffer);
  }
}

// The integer threshold T with r < p·2^32 ⟺ r < T for a 32-bit uniform integer r (so
// P(r < T) = T/2^32, p rounded up to a multiple of 2^-32).
std::uint64_t threshold32(double p) {
  return static_cast<std::uint64_t>(std::ceil(std::ldexp(p, 32)));
}

CsrGraph rmat_impl(const RmatOptions& o) {
  GAT_CHECK(o.scale >= 0 && o.scale <= 30,
            "rmat: scale must be in [0, 30] (N = 2^scale nodes with 32-bit ids), got " << o.scale);
  GAT_CHECK(o.edges >= 0, "rmat: edges must be non-negative, got " << o.edges);
  for (const auto& [name, value] : {std::pair{"a", o.a}, {"b", o.b}, {"c", o.c}}) {
    GAT_CHECK(value >= 0 && value <= 1,
              "rmat: quadrant probability " << name << " must be in [0, 1], got " << value);
  }
  const double abc = o.a + o.b + o.c;
  GAT_CHECK(abc <= 1 + 1e-12, "rmat: a + b + c must be at most 1 (d = 1 - a - b - c), got "
                                  << abc << " for a = " << o.a << ", b = " << o.b
                                  << ", c = " << o.c);
  const NodeId n = NodeId{1} << o.scale;
  const EdgeId ordered_pairs = static_cast<EdgeId>(n) * (n - 1);
  const EdgeId possible = o.undirected ? ordered_pairs / 2 : ordered_pairs;
  GAT_CHECK(o.edges <= possible,
            "rmat: edges = " << o.edges << " exceeds the " << possible
                             << (o.undirected ? " node pairs" : " ordered node pairs") << " of 2^"
                             << o.scale << " nodes");
  if (o.edges == 0) return CsrGraph(n, std::vector<EdgeId>(static_cast<std::size_t>(n) + 1, 0), {});
  GAT_CHECK(o.b + o.c > 0,
            "rmat: b + c must be positive: with b = c = 0 every draw stays on the "
            "diagonal, i.e. is a self loop, and no edge can be made");

  const CounterRng rng(o.seed, 0, 0, kStreamRmat);
  const IdScrambler scramble(o.scale, o.seed, o.scramble_ids);
  const int scale = o.scale;
  const std::uint64_t ta = threshold32(o.a), tab = threshold32(o.a + o.b), tabc = threshold32(abc);
  const bool undirected = o.undirected;
  const std::uint64_t no_edge = (std::uint64_t{1} << 2 * scale) - 1;
  // Draw `index` descends one level per 32-bit uniform r (one 64-bit counter draw serves two
  // levels). The quadrant is a (r < a), b, c or d (r ≥ a + b + c) by cumulative thresholds; it
  // adds a bit to the source u (bottom half: c or d, i.e. r ≥ a + b) and to the destination v
  // (right half: b or d). The three tests r ≥ a, r ≥ a + b, r ≥ a + b + c turn true in that
  // order, so "b or d" is their exclusive or.
  const auto draws_per_edge = static_cast<std::uint64_t>((scale + 1) / 2);
  auto draw_key = [&](std::uint64_t index) {
    std::uint64_t u = 0, v = 0, bits = 0;
    for (int level = 0; level < scale; ++level) {
      if (level % 2 == 0) bits = rng.bits(index * draws_per_edge + level / 2);
      const std::uint64_t r = level % 2 == 0 ? bits >> 32 : bits & 0xffffffffULL;
      const std::uint64_t bottom = r >= tab;
      const std::uint64_t right = (r >= ta) ^ (r >= tab) ^ (r >= tabc);
      u = (u << 1) | bottom;
      v = (v << 1) | right;
    }
    u = scramble(u);
    v = scramble(v);
    if (u == v) return no_edge;
    if (undirected) return std::max(u, v) << scale | std::min(u, v);
    return v << scale | u;
  };

  // The graph is the first `target` distinct edges of the draw sequence 0, 1, 2, ...; rounds
  // of draws only change how much is drawn at once, never which edges are kept.
  const auto target = static_cast<std::uint64_t>(o.edges);
  const std::uint64_t max_draws = 64 * target + (std::uint64_t{1} << 20);
  const std::uint64_t max_batch = 4 * target + (std::uint64_t{1} << 20);
  const std::uint64_t min_batch = std::uint64_t{1} << 16;
  std::vector<std::uint64_t> kept;  // ascending keys of the edges kept so far
  std::uint64_t drawn = 0;
  std::uint64_t batch = target + target / 4 + min_batch;
  while (kept.size() < target) {
    GAT_CHECK(drawn < max_draws,
              "rmat: only " << kept.size() << " distinct edges after " << drawn
                            << " draws, short of edges = " << target << " on 2^" << scale
                            << " nodes; these quadrant probabilities rarely reach the remaining "
                               "cells: lower edges, raise scale, or make a, b, c, d more even");
    batch = std::min({batch, max_batch, max_draws - drawn});
    std::vector<RmatDraw> draws(batch);
#pragma omp parallel for schedule(static)
    for (std::int64_t k = 0; k < static_cast<std::int64_t>(batch); ++k) {
      const std::uint64_t index = drawn + static_cast<std::uint64_t>(k);
      draws[k] = {draw_key(index), index};
    }
    radix_sort(draws, 2 * scale);
    // The first draw of every key that is neither a self loop nor kept already (draws and
    // kept are both ascending, so one merge-like pass; equal keys are in draw order).
    std::vector<RmatDraw> fresh;
    std::size_t q = 0;
    for (std::size_t k = 0; k < draws.size() && draws[k].key != no_edge; ++k) {
      if (k > 0 && draws[k - 1].key == draws[k].key) continue;
      while (q < kept.size() && kept[q] < draws[k].key) ++q;
      if (q < kept.size() && kept[q] == draws[k].key) continue;
      fresh.push_back(draws[k]);
    }
    std::vector<RmatDraw>().swap(draws);
    const std::uint64_t found = fresh.size();
    const std::uint64_t need = target - kept.size();
    if (fresh.size() > need) {
      // Keep the `need` earliest first draws: those whose index is at most the need-th
      // smallest (indices are distinct), filtered in place so the keys stay ascending.
      std::vector<std::uint64_t> index(fresh.size());
      for (std::size_t k = 0; k < fresh.size(); ++k) index[k] = fresh[k].index;
      std::nth_element(index.begin(), index.begin() + static_cast<std::ptrdiff_t>(need - 1),
                       index.end());
      const std::uint64_t last = index[need - 1];
      fresh.erase(std::remove_if(fresh.begin(), fresh.end(),
                                 [&](const RmatDraw& d) { return d.index > last; }),
                  fresh.end());
    }
    std::vector<std::uint64_t> merged;
    merged.reserve(kept.size() + fresh.size());
    std::size_t f = 0;
    for (std::uint64_t key : kept) {
      while (f < fresh.size() && fresh[f].key < key) merged.push_back(fresh[f++].key);
      merged.push_back(key);
    }
    while (f < fresh.size()) merged.push_back(fresh[f++].key);
    kept.swap(merged);
    drawn += batch;
    // Size the next round from this round's yield of new edges, with 25 % to spare.
    const double yield =
        std::max(static_cast<double>(found) / static_cast<double>(batch), 1.0 / 64);
    const std::uint64_t remaining = target - std::min<std::uint64_t>(target, kept.size());
    batch = static_cast<std::uint64_t>(1.25 * static_cast<double>(remaining) / yield) + min_batch;
  }

  // Ascending keys are CSR order: row = high half, source = low half.
  const std::uint64_t mask = (std::uint64_t{1} << scale) - 1;
  std::vector<EdgeId> row_ptr(static_cast<std::size_t>(n) + 1, 0);
  std::vector<NodeId> src(kept.size());
  for (std::size_t k = 0; k < kept.size(); ++k) {
    ++row_ptr[(kept[k] >> scale) + 1];
    src[k] = static_cast<NodeId>(kept[k] & mask);
  }
  std::vector<std::uint64_t>().swap(kept);
  for (NodeId i = 0; i < n; ++i) row_ptr[i + 1] += row_ptr[i];
  if (undirected) return symmetric_csr(n, row_ptr, src, nullptr);
  return CsrGraph(n, std::move(row_ptr), std::move(src));
}

}  // namespace

CsrGraph erdos_renyi(NodeId n, double average_degree, std::uint64_t seed, bool undirected) {
  GAT_CHECK(n >= 0, "erdos_renyi: node count n must be non-negative, got " << n);
  const double max_degree = n > 1 ? static_cast<double>(n - 1) : 0.0;
  GAT_CHECK(average_degree >= 0 && average_degree <= max_degree,
            "erdos_renyi: average_degree must be in [0, n - 1] = [0, "
                << max_degree << "] for n = " << n << " nodes (no self loops or duplicates), got "
                << average_degree);
  const double p = n > 1 ? average_degree / static_cast<double>(n - 1) : 0.0;
  return gnp(n, std::min(p, 1.0), seed, undirected);
}

CsrGraph erdos_renyi_density(NodeId n, double density, std::uint64_t seed, bool undirected) {
  GAT_CHECK(n >= 0, "erdos_renyi_density: node count n must be non-negative, got " << n);
  GAT_CHECK(density >= 0 && density <= 1,
            "erdos_renyi_density: density must be in [0, 1], got " << density);
  return gnp(n, density, seed, undirected);
}

CsrGraph rmat(const RmatOptions& options) { return rmat_impl(options); }

CsrGraph rmat(int scale, EdgeId edges, double a, double b, double c, std::uint64_t seed,
              bool undirected) {
  RmatOptions o;
  o.scale = scale;
  o.edges = edges;
  o.a = a;
  o.b = b;
  o.c = c;
  o.seed = seed;
  o.undirected = undirected;
  return rmat_impl(o);
}

CsbmSample csbm(const CsbmOptions& o) {
  GAT_CHECK(o.classes >= 1, "csbm: classes must be at least 1, got " << o.classes);
  GAT_CHECK(o.nodes >= o.classes, "csbm: nodes must be at least classes = "
                                      << o.classes << " (every class needs a node), got "
                                      << o.nodes);
  GAT_CHECK(o.p_in >= 0 && o.p_in <= 1, "csbm: p_in must be in [0, 1], got " << o.p_in);
  GAT_CHECK(o.p_out >= 0 && o.p_out <= 1, "csbm: p_out must be in [0, 1], got " << o.p_out);
  GAT_CHECK(o.features >= 0, "csbm: features must be non-negative, got " << o.features);
  GAT_CHECK(std::isfinite(o.feature_signal) && o.feature_signal >= 0,
            "csbm: feature_signal must be finite and non-negative, got " << o.feature_signal);
  const NodeId n = o.nodes;
  const int classes = o.classes;
  const int f = o.features;
  CsbmSample out;

  // Internally nodes are grouped by class: internal index t belongs to the block of class c
  // when block[c] ≤ t < block[c + 1]. Node id perm[t] is a uniformly random permutation, so
  // labels are a uniformly random balanced assignment.
  std::vector<NodeId> block(static_cast<std::size_t>(classes) + 1, 0);
  for (int c = 0; c < classes; ++c) block[c + 1] = block[c] + n / classes + (c < n % classes);
  std::vector<std::int32_t> class_of(n);
  for (int c = 0; c < classes; ++c) {
    std::fill(class_of.begin() + block[c], class_of.begin() + block[c + 1], c);
  }
  std::vector<NodeId> perm(n);
  std::iota(perm.begin(), perm.end(), 0);
  const CounterRng label_rng(o.seed, 0, 0, kStreamLabels);
  for (NodeId t = n - 1; t > 0; --t) {  // Fisher–Yates: swap t with a uniform j in [0, t]
    const double u = label_rng.uniform(static_cast<std::uint64_t>(t));
    const auto j = std::min(static_cast<NodeId>(u * static_cast<double>(t + 1)), t);
    std::swap(perm[t], perm[j]);
  }
  out.labels.resize(n);
  for (NodeId t = 0; t < n; ++t) out.labels[perm[t]] = class_of[t];

  // Edges: row t tests the pairs {s, t}, s < t, block by block, with p_in inside its own block
  // and p_out in the others; geometric skipping makes a block cost O(1 + edges found).
  const CounterRng edge_rng(o.seed, 0, 0, kStreamEdges);
  const BernoulliSampler inside(o.p_in), across(o.p_out);
  std::vector<EdgeId> lower_ptr;
  std::vector<NodeId> lower_src;
  sample_rows(
      n,
      [&](NodeId t, std::vector<NodeId>& row) {
        std::uint64_t counter = row_counter(t);
        const int ct = class_of[t];
        for (int c = 0; c <= ct; ++c) {
          const NodeId hi = std::min(block[c + 1], t);
          (c == ct ? inside : across).sample(edge_rng, counter, block[c], hi, row);
        }
      },
      lower_ptr, lower_src);
  out.graph = symmetric_csr(n, lower_ptr, lower_src, &perm);

  // Class means μ_c[k] = ±signal/√F, so ‖μ_c‖ = signal.
  const CounterRng mean_rng(o.seed, 0, 0, kStreamMeans);
  const double amplitude = f > 0 ? o.feature_signal / std::sqrt(static_cast<double>(f)) : 0.0;
  std::vector<double> means(static_cast<std::size_t>(classes) * f);
  for (std::size_t k = 0; k < means.size(); ++k) {
    means[k] = (mean_rng.bits(k) >> 63) ? amplitude : -amplitude;
  }
  out.class_means.resize(classes, f);
  for (std::size_t k = 0; k < means.size(); ++k) {
    out.class_means.data()[k] = static_cast<float>(means[k]);
  }

  // Features x_i = μ_{y_i} + ε_i. Box–Muller turns the uniforms (U1, U2) of pair m into two
  // independent standard normals r·cos θ and r·sin θ, with r = √(-2 ln U1) and θ = 2π·U2; pair m
  // covers entries 2m and 2m + 1 of the row-major (N, F) matrix.
  out.features.resize(n, f);
  const CounterRng noise_rng(o.seed, 0, 0, kStreamFeatures);
  const std::int64_t entries = static_cast<std::int64_t>(n) * f;
  float* x = out.features.data();
  const double two_pi = 2.0 * std::acos(-1.0);
  auto mean_of = [&](std::int64_t e) {
    return means[static_cast<std::size_t>(out.labels[e / f]) * f + static_cast<std::size_t>(e % f)];
  };
#pragma omp parallel for schedule(static)
  for (std::int64_t m = 0; m < (entries + 1) / 2; ++m) {
    const auto e = static_cast<std::uint64_t>(2 * m);
    const double r = std::sqrt(-2.0 * std::log(1.0 - noise_rng.uniform(e)));
    const double theta = two_pi * noise_rng.uniform(e + 1);
    x[2 * m] = static_cast<float>(mean_of(2 * m) + r * std::cos(theta));
    if (2 * m + 1 < entries)
      x[2 * m + 1] = static_cast<float>(mean_of(2 * m + 1) + r * std::sin(theta));
  }
  return out;
}

CsbmProbabilities csbm_probabilities(NodeId nodes, int classes, double average_degree,
                                     double homophily) {
  GAT_CHECK(classes >= 1, "csbm_probabilities: classes must be at least 1, got " << classes);
  GAT_CHECK(nodes >= 2 && nodes >= 2 * static_cast<std::int64_t>(classes),
            "csbm_probabilities: nodes must be at least 2 and at least 2·classes = "
                << 2 * static_cast<std::int64_t>(classes) << ", got " << nodes);
  GAT_CHECK(
      std::isfinite(average_degree) && average_degree >= 0,
      "csbm_probabilities: average_degree must be finite and non-negative, got " << average_degree);
  GAT_CHECK(homophily >= 0 && homophily <= 1,
            "csbm_probabilities: homophily must be in [0, 1], got " << homophily);
  GAT_CHECK(classes > 1 || homophily == 1,
            "csbm_probabilities: with one class every edge lies inside it, so homophily must be "
            "1, got "
                << homophily);
  const double per_class = static_cast<double>(nodes) / classes;
  CsbmProbabilities p;
  p.p_in = homophily * average_degree / (per_class - 1);
  p.p_out = classes > 1 ? (1 - homophily) * average_degree / (nodes - per_class) : 0.0;
  GAT_CHECK(p.p_in <= 1,
            "csbm_probabilities: homophily·average_degree = "
                << homophily * average_degree << " needs p_in = " << p.p_in << " > 1 with "
                << per_class
                << " nodes per class: lower average_degree or homophily, or add nodes");
  GAT_CHECK(p.p_out <= 1, "csbm_probabilities: (1 - homophily)·average_degree = "
                              << (1 - homophily) * average_degree << " needs p_out = " << p.p_out
                              << " > 1: lower average_degree or raise homophily, or add nodes");
  return p;
}

}  // namespace gat
