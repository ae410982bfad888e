#include "gat/ops/pooling.hpp"

#include <algorithm>

#include "check_util.hpp"
#include "gat/core/error.hpp"
#include "gat/core/threads.hpp"
#include "row_access.hpp"

namespace gat::ops {

using detail::row;

namespace {

// Graphs per chunk of the parallel loops. Each graph is reduced by one thread, in row order,
// so which thread takes which chunk changes nothing in the result.
constexpr Eigen::Index kGraphChunk = 16;

// Calls fn(g, b, e) for every graph g with rows [b, e), in parallel over fixed chunks of
// graphs. Small inputs run on the calling thread: an OpenMP region would cost more than the
// work (finite-difference checks call these thousands of times on a few rows).
template <typename Fn>
void for_each_segment(const std::vector<EdgeId>& offsets, Fn&& fn) {
  const auto segments = static_cast<Eigen::Index>(offsets.size()) - 1;
  const Eigen::Index chunks = (segments + kGraphChunk - 1) / kGraphChunk;
  const bool parallel = chunks > 1 && offsets.back() >= kRowChunk;
#pragma omp parallel for schedule(dynamic, 1) if (parallel)
  for (Eigen::Index chunk = 0; chunk < chunks; ++chunk) {
    const Eigen::Index end = std::min(segments, (chunk + 1) * kGraphChunk);
    for (Eigen::Index g = chunk * kGraphChunk; g < end; ++g) fn(g, offsets[g], offsets[g + 1]);
  }
}

// Shape checks shared by the entry points: the node matrix matches the offsets, the pooled
// matrix has one row per graph, and both have the same width.
template <typename NodeMat, typename GraphMat>
void check_shapes(const char* what, const std::vector<EdgeId>& offsets, const NodeMat& nodes,
                  const GraphMat& graphs) {
  check_segment_offsets(offsets, nodes.rows(), what);
  const auto g = static_cast<Eigen::Index>(offsets.size()) - 1;
  GAT_CHECK(graphs.rows() == g && graphs.cols() == nodes.cols(),
            what << ": pooled matrix has shape (" << graphs.rows() << ", " << graphs.cols()
                 << "), expected (" << g << ", " << nodes.cols() << ") for " << g
                 << " graphs of width " << nodes.cols());
}

}  // namespace

void check_segment_offsets(const std::vector<EdgeId>& offsets, std::int64_t rows,
                           const char* what) {
  detail::check_segments(what, offsets, rows, "node matrix");
}

// ---- sum ------------------------------------------------------------------------------

template <typename T>
void segment_sum_forward(const std::vector<EdgeId>& offsets, MatrixCRef<T> x, MatrixRef<T> out) {
  check_shapes("segment_sum_forward", offsets, x, out);
  const Eigen::Index c_count = x.cols();
  for_each_segment(offsets, [&](Eigen::Index g, EdgeId b, EdgeId e) {
    T* og = row(out, g);
    std::fill(og, og + c_count, T(0));
    for (EdgeId i = b; i < e; ++i) {
      const T* xi = row(x, i);
      for (Eigen::Index c = 0; c < c_count; ++c) og[c] += xi[c];
    }
  });
}

template <typename T>
void segment_sum_backward(const std::vector<EdgeId>& offsets, MatrixCRef<T> grad_out,
                          MatrixRef<T> grad_x) {
  check_shapes("segment_sum_backward", offsets, grad_x, grad_out);
  const Eigen::Index c_count = grad_x.cols();
  // out[g] = Σ_{i in g} x[i]  →  ∂out[g]/∂x[i] = I: every row gets its graph's gradient.
  for_each_segment(offsets, [&](Eigen::Index g, EdgeId b, EdgeId e) {
    const T* gg = row(grad_out, g);
    for (EdgeId i = b; i < e; ++i) std::copy(gg, gg + c_count, row(grad_x, i));
  });
}

// ---- mean -----------------------------------------------------------------------------

template <typename T>
void segment_mean_forward(const std::vector<EdgeId>& offsets, MatrixCRef<T> x, MatrixRef<T> out) {
  check_shapes("segment_mean_forward", offsets, x, out);
  const Eigen::Index c_count = x.cols();
  for_each_segment(offsets, [&](Eigen::Index g, EdgeId b, EdgeId e) {
    T* og = row(out, g);
    std::fill(og, og + c_count, T(0));
    if (b == e) return;  // an empty graph: 0, not 0 / 0
    for (EdgeId i = b; i < e; ++i) {
      const T* xi = row(x, i);
      for (Eigen::Index c = 0; c < c_count; ++c) og[c] += xi[c];
    }
    const T n = static_cast<T>(e - b);
    for (Eigen::Index c = 0; c < c_count; ++c) og[c] /= n;
  });
}

template <typename T>
void segment_mean_backward(const std::vector<EdgeId>& offsets, MatrixCRef<T> grad_out,
                           MatrixRef<T> grad_x) {
  check_shapes("segment_mean_backward", offsets, grad_x, grad_out);
  const Eigen::Index c_count = grad_x.cols();
  // out[g] = (1/n_g) Σ_{i in g} x[i]  →  grad_x[i] = grad_out[g] / n_g.
  for_each_segment(offsets, [&](Eigen::Index g, EdgeId b, EdgeId e) {
    const T* gg = row(grad_out, g);
    const T n = static_cast<T>(e - b);
    for (EdgeId i = b; i < e; ++i) {
      T* gx = row(grad_x, i);
      for (Eigen::Index c = 0; c < c_count; ++c) gx[c] = gg[c] / n;
    }
  });
}

// ---- max ------------------------------------------------------------------------------

template <typename T>
void segment_max_forward(const std::vector<EdgeId>& offsets, MatrixCRef<T> x, MatrixRef<T> out,
                         std::vector<EdgeId>& argmax) {
  check_shapes("segment_max_forward", offsets, x, out);
  const Eigen::Index c_count = x.cols();
  argmax.assign(static_cast<std::size_t>(out.rows() * c_count), -1);
  for_each_segment(offsets, [&](Eigen::Index g, EdgeId b, EdgeId e) {
    T* og = row(out, g);
    EdgeId* ag = argmax.data() + g * c_count;
    if (b == e) {  // an empty graph: zeros and no arg-max, never -inf
      std::fill(og, og + c_count, T(0));
      return;
    }
    std::copy(row(x, b), row(x, b) + c_count, og);
    std::fill(ag, ag + c_count, b);
    // Strictly greater: on a tie the earlier row keeps the arg-max.
    for (EdgeId i = b + 1; i < e; ++i) {
      const T* xi = row(x, i);
      for (Eigen::Index c = 0; c < c_count; ++c) {
        if (xi[c] > og[c]) {
          og[c] = xi[c];
          ag[c] = i;
        }
      }
    }
  });
}

template <typename T>
void segment_max_backward(const std::vector<EdgeId>& offsets, const std::vector<EdgeId>& argmax,
                          MatrixCRef<T> grad_out, MatrixRef<T> grad_x) {
  check_shapes("segment_max_backward", offsets, grad_x, grad_out);
  const Eigen::Index c_count = grad_x.cols();
  GAT_CHECK(static_cast<Eigen::Index>(argmax.size()) == grad_out.rows() * c_count,
            "segment_max_backward: argmax has " << argmax.size() << " entries, expected "
                                                << grad_out.rows() * c_count
                                                << " (G·C) from segment_max_forward");
  // Each arg-max must be a row of its own graph (or -1 for an empty one): O(G·C), the size of
  // grad_out, so cheap beside the O(N·C) of the op.
  for (Eigen::Index g = 0; g < grad_out.rows(); ++g) {
    const EdgeId b = offsets[g], e = offsets[g + 1];
    for (Eigen::Index c = 0; c < c_count; ++c) {
      const EdgeId a = argmax[g * c_count + c];
      GAT_CHECK(a < 0 || (a >= b && a < e), "segment_max_backward: argmax["
                                                << g << "·C + " << c << "] = " << a
                                                << " is not a row of graph " << g << ", rows [" << b
                                                << ", " << e
                                                << "); pass the argmax segment_max_forward "
                                                   "returned for these offsets");
    }
  }
  // out[g, c] = x[argmax[g, c], c]  →  that one entry receives grad_out[g, c], the rest 0.
  for_each_segment(offsets, [&](Eigen::Index g, EdgeId b, EdgeId e) {
    for (EdgeId i = b; i < e; ++i) std::fill(row(grad_x, i), row(grad_x, i) + c_count, T(0));
    const T* gg = row(grad_out, g);
    const EdgeId* ag = argmax.data() + g * c_count;
    for (Eigen::Index c = 0; c < c_count; ++c) {
      if (ag[c] < 0) continue;  // empty graph
      row(grad_x, ag[c])[c] = gg[c];
    }
  });
}

// ---- weighted sum ---------------------------------------------------------------------

namespace {

// K heads of F channels each; K = 1 shares one weight across all C = F channels.
template <typename T>
Eigen::Index check_weighted_shapes(const char* what, const std::vector<EdgeId>& offsets,
                                   const MatrixCRef<T>& beta, const MatrixCRef<T>& h) {
  check_segment_offsets(offsets, h.rows(), what);
  GAT_CHECK(beta.rows() == h.rows(), what << ": weights have " << beta.rows()
                                          << " rows but the node matrix has " << h.rows());
  GAT_CHECK(beta.cols() >= 1 && h.cols() % beta.cols() == 0,
            what << ": weights have " << beta.cols() << " columns; expected 1, or H heads with "
                 << "the node width " << h.cols() << " a multiple of H");
  return h.cols() / beta.cols();
}

}  // namespace

template <typename T>
void segment_weighted_sum_forward(const std::vector<EdgeId>& offsets, MatrixCRef<T> beta,
                                  MatrixCRef<T> h, MatrixRef<T> out) {
  const char* what = "segment_weighted_sum_forward";
  const Eigen::Index f = check_weighted_shapes<T>(what, offsets, beta, h);
  check_shapes(what, offsets, h, out);
  const Eigen::Index k_count = beta.cols(), c_count = h.cols();
  for_each_segment(offsets, [&](Eigen::Index g, EdgeId b, EdgeId e) {
    T* og = row(out, g);
    std::fill(og, og + c_count, T(0));
    for (EdgeId i = b; i < e; ++i) {
      const T* bi = row(beta, i);
      const T* hi = row(h, i);
      for (Eigen::Index k = 0; k < k_count; ++k) {
        const T w = bi[k];
        for (Eigen::Index c = k * f; c < (k + 1) * f; ++c) og[c] += w * hi[c];
      }
    }
  });
}

template <typename T>
void segment_weighted_sum_backward(const std::vector<EdgeId>& offsets, MatrixCRef<T> beta,
                                   MatrixCRef<T> h, MatrixCRef<T> grad_out, MatrixRef<T> grad_beta,
                                   MatrixRef<T> grad_h) {
  const char* what = "segment_weighted_sum_backward";
  const Eigen::Index f = check_weighted_shapes<T>(what, offsets, beta, h);
  check_shapes(what, offsets, h, grad_out);
  GAT_CHECK(grad_beta.rows() == beta.rows() && grad_beta.cols() == beta.cols(),
            what << ": grad_beta has shape (" << grad_beta.rows() << ", " << grad_beta.cols()
                 << "), expected that of the weights (" << beta.rows() << ", " << beta.cols()
                 << ")");
  GAT_CHECK(grad_h.rows() == h.rows() && grad_h.cols() == h.cols(),
            what << ": grad_h has shape (" << grad_h.rows() << ", " << grad_h.cols()
                 << "), expected that of the nodes (" << h.rows() << ", " << h.cols() << ")");
  const Eigen::Index k_count = beta.cols();
  for_each_segment(offsets, [&](Eigen::Index g, EdgeId b, EdgeId e) {
    const T* gg = row(grad_out, g);
    for (EdgeId i = b; i < e; ++i) {
      const T* bi = row(beta, i);
      const T* hi = row(h, i);
      T* gb = row(grad_beta, i);
      T* gh = row(grad_h, i);
      for (Eigen::Index k = 0; k < k_count; ++k) {
        // out[g, c] += β[i, k] · h[i, c] for c in head k: the weight sees <h[i, head k],
        // grad_out[g, head k]>, the features see β[i, k] · grad_out[g].
        const T w = bi[k];
        T dot = T(0);
        for (Eigen::Index c = k * f; c < (k + 1) * f; ++c) {
          dot += hi[c] * gg[c];
          gh[c] = w * gg[c];
        }
        gb[k] = dot;
      }
    }
  });
}

#define GAT_INSTANTIATE(T)                                                                         \
  template void segment_sum_forward<T>(const std::vector<EdgeId>&, MatrixCRef<T>, MatrixRef<T>);   \
  template void segment_sum_backward<T>(const std::vector<EdgeId>&, MatrixCRef<T>, MatrixRef<T>);  \
  template void segment_mean_forward<T>(const std::vector<EdgeId>&, MatrixCRef<T>, MatrixRef<T>);  \
  template void segment_mean_backward<T>(const std::vector<EdgeId>&, MatrixCRef<T>, MatrixRef<T>); \
  template void segment_max_forward<T>(const std::vector<EdgeId>&, MatrixCRef<T>, MatrixRef<T>,    \
                                       std::vector<EdgeId>&);                                      \
  template void segment_max_backward<T>(const std::vector<EdgeId>&, const std::vector<EdgeId>&,    \
                                        MatrixCRef<T>, MatrixRef<T>);                              \
  template void segment_weighted_sum_forward<T>(const std::vector<EdgeId>&, MatrixCRef<T>,         \
                                                MatrixCRef<T>, MatrixRef<T>);                      \
  template void segment_weighted_sum_backward<T>(const std::vector<EdgeId>&, MatrixCRef<T>,        \
                                                 MatrixCRef<T>, MatrixCRef<T>, MatrixRef<T>,       \
                                                 MatrixRef<T>);
GAT_INSTANTIATE(float)
GAT_INSTANTIATE(double)
#undef GAT_INSTANTIATE

}  // namespace gat::ops
