#include "gat/ops/dense_attention.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "check_util.hpp"
#include "gat/core/error.hpp"
#include "gat/core/memory.hpp"
#include "gat/core/threads.hpp"
#include "gat/ops/linear.hpp"
#include "kernel_util.hpp"
#include "linear_detail.hpp"
#include "row_access.hpp"

namespace gat::ops {

using detail::check_shape;
using detail::row;

namespace {

// ---- argument checks -------------------------------------------------------------------------

// Node and head counts of the memory estimate.
void check_counts(const char* fn, std::int64_t nodes, std::int64_t heads) {
  GAT_CHECK(nodes >= 0 && heads >= 0, fn << ": node and head counts must be non-negative, got N = "
                                         << nodes << ", H = " << heads);
}

// The node scores s_src, s_dst (N, H) of N nodes and the slope.
template <typename T>
void check_scores(const char* fn, Eigen::Index n, const MatrixCRef<T>& s_src,
                  const MatrixCRef<T>& s_dst, T negative_slope) {
  GAT_CHECK(s_src.rows() == n, fn << ": s_src has " << s_src.rows() << " rows, expected N = " << n
                                  << " (one per node)");
  check_shape(fn, "s_dst", s_dst.rows(), s_dst.cols(), "the shape of s_src (N, H)", s_src.rows(),
              s_src.cols());
  GAT_CHECK(std::isfinite(negative_slope),
            fn << ": negative slope must be finite, got " << negative_slope);
}

// The stacked attention alpha (H·N, N) of z (N, H·F); returns H. N = 0 gives H = 0 (there is
// nothing to compute, and the row count no longer determines H).
template <typename T>
Eigen::Index check_dense_heads(const char* fn, const MatrixCRef<T>& alpha, const MatrixCRef<T>& z) {
  const Eigen::Index n = z.rows();
  GAT_CHECK(alpha.cols() == n && (n == 0 ? alpha.rows() == 0 : alpha.rows() % n == 0),
            fn << ": alpha has shape (" << alpha.rows() << ", " << alpha.cols()
               << "), expected (H·N, N) with N = " << n << " (z's rows)");
  if (n == 0) return 0;
  const Eigen::Index h_count = alpha.rows() / n;
  GAT_CHECK(h_count > 0 && z.cols() % h_count == 0, fn << ": alpha stacks H = " << h_count
                                                       << " heads, which must be at least 1 and"
                                                       << " divide z's width H·F = " << z.cols());
  return h_count;
}

// Reduces f(0), …, f(n-1) with op over 8 interleaved lanes, then the lanes in order: the
// lanes make the loop vectorise (an in-order float reduction would not), and the order is
// fixed by n alone, so the result is still the same on every run and thread count.
template <typename T, typename F, typename Op>
T lane_reduce(Eigen::Index n, T init, F&& f, Op&& op) {
  constexpr int kLanes = 8;
  T lane[kLanes];
  for (T& l : lane) l = init;
  Eigen::Index j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    for (int l = 0; l < kLanes; ++l) lane[l] = op(lane[l], f(j + l));
  }
  for (; j < n; ++j) lane[0] = op(lane[0], f(j));
  T out = lane[0];
  for (int l = 1; l < kLanes; ++l) out = op(out, lane[l]);
  return out;
}

}  // namespace

template <typename T>
void dense_adjacency(const CsrGraph& graph, MatrixRef<T> a) {
  check_shape("dense_adjacency", "a", a.rows(), a.cols(), "(N, N)", graph.num_nodes(),
              graph.num_nodes());
  const auto& rp = graph.row_ptr();
  const auto& src = graph.src();
#pragma omp parallel for schedule(static)
  for (NodeId i = 0; i < graph.num_nodes(); ++i) {
    T* ai = row(a, i);
    std::fill(ai, ai + graph.num_nodes(), T(0));
    for (EdgeId p = rp[i]; p < rp[i + 1]; ++p) ai[src[p]] += T(1);
  }
}

template <typename T>
void dense_attention_forward(MatrixCRef<T> adj, MatrixCRef<T> s_src, MatrixCRef<T> s_dst,
                             T negative_slope, MatrixRef<T> alpha) {
  const Eigen::Index n = adj.rows(), h_count = s_src.cols();
  constexpr const char* fn = "dense_attention_forward";
  GAT_CHECK(adj.cols() == n,
            fn << ": adj has shape (" << n << ", " << adj.cols() << "); it must be square, (N, N)");
  check_scores(fn, n, s_src, s_dst, negative_slope);
  check_shape(fn, "alpha", alpha.rows(), alpha.cols(), "(H·N, N)", h_count * n, n);
  for (Eigen::Index h = 0; h < h_count; ++h) {
    // Head h's source scores as one contiguous vector (a column of s_src is strided).
    Eigen::Matrix<T, Eigen::Dynamic, 1> sh = s_src.col(h);
#pragma omp parallel for schedule(static)
    for (Eigen::Index i = 0; i < n; ++i) {
      const T* __restrict ai = row(adj, i);
      const T* __restrict sj = sh.data();
      T* __restrict yi = row(alpha, h * n + i);
      const T d = s_dst(i, h);
      // LeakyReLU of the pair score, and the same with -inf where there is no edge.
      auto score = [&](Eigen::Index j) {
        const T x = d + sj[j];
        return std::max(x, T(0)) + negative_slope * std::min(x, T(0));
      };
      auto masked = [&](Eigen::Index j) {
        return ai[j] > T(0) ? score(j) : -std::numeric_limits<T>::infinity();
      };
      const T m = lane_reduce<T>(n, -std::numeric_limits<T>::infinity(), masked,
                                 [](T a, T b) { return std::max(a, b); });
      if (m == -std::numeric_limits<T>::infinity()) {  // no in-edges: a zero row
        std::fill(yi, yi + n, T(0));
        continue;
      }
      // A[i, j]·exp(e_ij - m): min(·, 0) keeps masked entries (whose e may exceed m) from
      // overflowing before they are multiplied by their zero count.
      for (Eigen::Index j = 0; j < n; ++j) {
        yi[j] = ai[j] * detail::kernel_exp(std::min(score(j) - m, T(0)));
      }
      const T sum = lane_reduce<T>(
          n, T(0), [&](Eigen::Index j) { return yi[j]; }, std::plus<T>());
      const T inv = T(1) / sum;
      for (Eigen::Index j = 0; j < n; ++j) yi[j] *= inv;
    }
  }
}

template <typename T>
void dense_attention_backward(MatrixCRef<T> s_src, MatrixCRef<T> s_dst, T negative_slope,
                              MatrixCRef<T> alpha, MatrixCRef<T> grad_alpha,
                              MatrixRef<T> grad_s_src, MatrixRef<T> grad_s_dst) {
  const Eigen::Index n = s_src.rows(), h_count = s_src.cols();
  constexpr const char* fn = "dense_attention_backward";
  check_scores(fn, n, s_src, s_dst, negative_slope);
  check_shape(fn, "alpha", alpha.rows(), alpha.cols(), "(H·N, N)", h_count * n, n);
  check_shape(fn, "grad_alpha", grad_alpha.rows(), grad_alpha.cols(), "(H·N, N)", h_count * n, n);
  check_shape(fn, "grad_s_src", grad_s_src.rows(), grad_s_src.cols(), "the shape of s_src (N, H)",
              n, h_count);
  check_shape(fn, "grad_s_dst", grad_s_dst.rows(), grad_s_dst.cols(), "the shape of s_src (N, H)",
              n, h_count);
  const Eigen::Index chunks = (n + kRowChunk - 1) / kRowChunk;
  // Column sums (into sources) are a reduction over rows: per fixed chunk, then in order.
  Matrix<T> partial(chunks, n);
  for (Eigen::Index h = 0; h < h_count; ++h) {
    Eigen::Matrix<T, Eigen::Dynamic, 1> sh = s_src.col(h);
#pragma omp parallel for schedule(static)
    for (Eigen::Index c = 0; c < chunks; ++c) {
      std::vector<T> scratch(n);
      T* __restrict col_acc = partial.row(c).data();
      std::fill(col_acc, col_acc + n, T(0));
      const Eigen::Index end = std::min(n, (c + 1) * kRowChunk);
      for (Eigen::Index i = c * kRowChunk; i < end; ++i) {
        const T* __restrict yi = row(alpha, h * n + i);
        const T* __restrict gi = row(grad_alpha, h * n + i);
        const T* __restrict sj = sh.data();
        const T d = s_dst(i, h);
        // Softmax backward: g = y ⊙ (grad_y - <y, grad_y>); masked entries have y = 0.
        const T dot = lane_reduce<T>(
            n, T(0), [&](Eigen::Index j) { return yi[j] * gi[j]; }, std::plus<T>());
        T* __restrict g_row = scratch.data();
        for (Eigen::Index j = 0; j < n; ++j) {
          const T x = d + sj[j];
          const T slope = T(1) + (negative_slope - T(1)) * T(x <= T(0));
          g_row[j] = yi[j] * (gi[j] - dot) * slope;
          col_acc[j] += g_row[j];
        }
        const T row_sum = lane_reduce<T>(
            n, T(0), [&](Eigen::Index j) { return g_row[j]; }, std::plus<T>());
        grad_s_dst(i, h) += row_sum;
      }
    }
    for (Eigen::Index c = 0; c < chunks; ++c) grad_s_src.col(h) += partial.row(c).transpose();
  }
}

template <typename T>
void dense_aggregate_forward(MatrixCRef<T> alpha, MatrixCRef<T> z, MatrixRef<T> out) {
  constexpr const char* fn = "dense_aggregate_forward";
  check_dense_heads(fn, alpha, z);
  check_shape(fn, "out", out.rows(), out.cols(), "the shape of z (N, H·F)", z.rows(), z.cols());
  const Eigen::Index n = z.rows();
  if (n == 0) return;  // no nodes: nothing to write
  const Eigen::Index h_count = alpha.rows() / n, f = z.cols() / h_count;
  for (Eigen::Index h = 0; h < h_count; ++h) {
    matmul_forward<T>(alpha.middleRows(h * n, n), z.middleCols(h * f, f), out.middleCols(h * f, f));
  }
}

template <typename T>
void dense_aggregate_backward(MatrixCRef<T> alpha, MatrixCRef<T> z, MatrixCRef<T> grad_out,
                              MatrixRef<T> grad_alpha, MatrixRef<T> grad_z) {
  constexpr const char* fn = "dense_aggregate_backward";
  check_dense_heads(fn, alpha, z);
  check_shape(fn, "grad_out", grad_out.rows(), grad_out.cols(), "the shape of z (N, H·F)", z.rows(),
              z.cols());
  check_shape(fn, "grad_alpha", grad_alpha.rows(), grad_alpha.cols(), "the shape of alpha (H·N, N)",
              alpha.rows(), alpha.cols());
  check_shape(fn, "grad_z", grad_z.rows(), grad_z.cols(), "the shape of z (N, H·F)", z.rows(),
              z.cols());
  const Eigen::Index n = z.rows();
  if (n == 0) return;  // no nodes: nothing to write
  const Eigen::Index h_count = alpha.rows() / n, f = z.cols() / h_count;
  for (Eigen::Index h = 0; h < h_count; ++h) {
    // grad_alpha_h = grad_out_h · z_hᵀ (N, N); grad_z_h += alpha_hᵀ · grad_out_h (N, F).
    const Matrix<T> z_t = z.middleCols(h * f, f).transpose();
    matmul_forward<T>(grad_out.middleCols(h * f, f), z_t, grad_alpha.middleRows(h * n, n));
    detail::matmul_tn_accumulate<T>(alpha.middleRows(h * n, n), grad_out.middleCols(h * f, f),
                                    grad_z.middleCols(h * f, f));
  }
}

std::uint64_t dense_attention_bytes(std::int64_t nodes, std::int64_t heads, bool training,
                                    std::size_t scalar_bytes) {
  check_counts("dense_attention_bytes", nodes, heads);
  const auto n = static_cast<std::uint64_t>(nodes);
  // adjacency (N²) + attention (H·N²) [+ attention after dropout and its gradient in training]
  const std::uint64_t matrices = 1 + static_cast<std::uint64_t>(heads) * (training ? 3 : 1);
  // Products that overflow saturate: no memory holds that many bytes anyway.
  std::uint64_t n2 = 0, values = 0, bytes = 0;
  if (__builtin_mul_overflow(n, n, &n2) || __builtin_mul_overflow(matrices, n2, &values) ||
      __builtin_mul_overflow(values, static_cast<std::uint64_t>(scalar_bytes), &bytes)) {
    return std::numeric_limits<std::uint64_t>::max();
  }
  return bytes;
}

void check_dense_attention_fits(std::int64_t nodes, std::int64_t heads, bool training,
                                std::size_t scalar_bytes, std::uint64_t limit_bytes) {
  check_counts("check_dense_attention_fits", nodes, heads);
  const std::uint64_t need = dense_attention_bytes(nodes, heads, training, scalar_bytes);
  // An explicit limit is the user's; otherwise the process's real one, which is the smallest of
  // ulimit -v, the cgroup's memory.max and the memory available.
  const MemoryLimit limit =
      limit_bytes ? MemoryLimit{limit_bytes, MemoryLimitSource::kUnknown} : memory_limit();
  if (!limit_bytes && limit.source == MemoryLimitSource::kUnknown) return;  // nothing known
  GAT_CHECK(need <= limit.bytes,
            "dense attention needs "
                << format_bytes(need) << " for N = " << nodes << " nodes and H = " << heads
                << " heads (score matrices of N² values per head), but only "
                << format_bytes(limit.bytes)
                << (limit_bytes
                        ? std::string(" are allowed")
                        : std::string(" are available (limit: ") + to_string(limit.source) + ")")
                << "; use sparse attention for this graph");
}

#define GAT_INSTANTIATE(T)                                                                  \
  template void dense_adjacency<T>(const CsrGraph&, MatrixRef<T>);                          \
  template void dense_attention_forward<T>(MatrixCRef<T>, MatrixCRef<T>, MatrixCRef<T>, T,  \
                                           MatrixRef<T>);                                   \
  template void dense_attention_backward<T>(MatrixCRef<T>, MatrixCRef<T>, T, MatrixCRef<T>, \
                                            MatrixCRef<T>, MatrixRef<T>, MatrixRef<T>);     \
  template void dense_aggregate_forward<T>(MatrixCRef<T>, MatrixCRef<T>, MatrixRef<T>);     \
  template void dense_aggregate_backward<T>(MatrixCRef<T>, MatrixCRef<T>, MatrixCRef<T>,    \
                                            MatrixRef<T>, MatrixRef<T>);
GAT_INSTANTIATE(float)
GAT_INSTANTIATE(double)
#undef GAT_INSTANTIATE

}  // namespace gat::ops
