#include "gat/ops/gat_attention.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "attention_rows.hpp"
#include "check_util.hpp"
#include "gat/core/error.hpp"
#include "kernel_util.hpp"
#include "row_access.hpp"

namespace gat::ops {

using detail::check_shape;
using detail::row;

namespace {

// Whether to prefetch the rows a pass gathers: only when the node matrices outgrow a core's L2
// (1 MiB on the AMD VMs, 1-2 MiB on current Intel). On Cora (z is 0.7 MB) every row is a
// cache hit and the prefetch loops cost 10 % of a step; PubMed's output layer (z is 8 heads of
// 3, 1.9 MB) missed L2 on most gathers without them: with the threshold lowered from 4 MiB to
// 1 MiB, perf gave that layer's forward 19 % and its backward 31 % fewer samples (relative to
// the unchanged sparse projection).
template <typename T>
bool worth_prefetching(const MatrixCRef<T>& z) {
  constexpr Eigen::Index kCacheBytes = Eigen::Index{1} << 20;
  return z.size() * static_cast<Eigen::Index>(sizeof(T)) > kCacheBytes;
}

// Bytes of dropout mask per slot: one bit per head.
Eigen::Index mask_bytes(Eigen::Index heads) { return (heads + 7) / 8; }

// Draws the dropout factors of slot p's H heads, 1/(1 - rate) if kept, else 0, from counters
// p·H + h (what dropout() draws for entry (p, h) of an (E, H) matrix), and records them as bits.
// The counter is split into 32-bit halves with the high half fixed over the slot (a slot
// crossing a multiple of 2^32 takes the exact 64-bit path), so that the H draws vectorise.
template <typename T>
struct DropDraw {
  CounterRng rng;
  std::uint32_t threshold;
  T scale;
  Eigen::Index heads;
  const std::int64_t* rows;   // slot p draws the counters of slot rows[p] of the whole (null: p)
  template <typename Values>  // detail::HeadValues<T, kH>
  void operator()(EdgeId p, Values& out, std::uint8_t* bits) const {
    // Locals, not members: a store to out (T) could alias scale (T) and force a reload per
    // head, which kept the loop from vectorising.
    const CounterRng r = rng;
    const std::uint32_t t = threshold;
    const T keep = scale;
    const std::uint64_t base =
        static_cast<std::uint64_t>(rows ? rows[p] : p) * static_cast<std::uint64_t>(heads);
    const auto low = static_cast<std::uint32_t>(base);
    const auto high = static_cast<std::uint32_t>(base >> 32);
    const auto h_count = static_cast<std::uint32_t>(out.size());  // fixed when H is known
    T* __restrict o = out.data();
    if (low <= 0xffffffffU - h_count) {
      // Without the simd request GCC unrolls the H hashes into scalar code before it tries
      // to vectorise them.
#pragma omp simd
      for (std::uint32_t h = 0; h < h_count; ++h) o[h] = r.bits32(low + h, high) >= t ? keep : T(0);
    } else {
      for (std::uint32_t h = 0; h < h_count; ++h) o[h] = r.bits32(base + h) >= t ? keep : T(0);
    }
    // Packed eight heads to a byte: whole bytes from eight flags by one multiply
    // (detail::pack_flags8), the last partial byte bit by bit.
    std::uint32_t h0 = 0;
    for (; h0 + 8 <= h_count; h0 += 8) {
      std::array<std::uint8_t, 8> flags{};
#pragma omp simd
      for (std::uint32_t k = 0; k < 8; ++k) flags[k] = o[h0 + k] != T(0) ? 1 : 0;
      bits[h0 / 8] = detail::pack_flags8(flags.data());
    }
    if (h0 < h_count) {
      std::uint32_t byte = 0;
      for (std::uint32_t h = h0; h < h_count; ++h) {
        byte |= static_cast<std::uint32_t>(o[h] != T(0)) << (h - h0);
      }
      bits[h0 / 8] = static_cast<std::uint8_t>(byte);
    }
  }
};

// The same factors read back from the bits, without a branch (a kept or dropped head is a
// coin flip the branch predictor cannot learn): scale · bit is exactly scale or 0.
template <typename T>
struct DropRead {
  const std::uint8_t* mask;
  T scale;
  Eigen::Index heads;
  template <typename Values>  // detail::HeadValues<T, kH>: out.size() is H, fixed when known
  void operator()(EdgeId p, Values& out) const {
    const std::uint8_t* bits = mask + p * mask_bytes(heads);
    const T keep = scale;
    T* __restrict o = out.data();
#pragma omp simd
    for (Eigen::Index h = 0; h < out.size(); ++h) {
      o[h] = keep * static_cast<T>((bits[h / 8] >> (h % 8)) & 1U);
    }
  }
};

template <typename T>
T drop_scale(double rate) {
  return static_cast<T>(1.0 / (1.0 - rate));
}

// Per destination row: scores, softmax (whose statistics go to row_max and row_inv_sum),
// dropout, aggregation. alpha (contiguous, (E, H)) receives the weights when not null; else a
// row's weights live in a per-thread buffer.
template <typename T, int kH, int kF>
void forward_kernel(const CsrGraph& graph, const MatrixCRef<T>& s_src, const MatrixCRef<T>& s_dst,
                    T slope, const AttentionDropout& dropout, const MatrixCRef<T>& z,
                    MatrixRef<T>& out, MatrixRef<T>& row_max, MatrixRef<T>& row_inv_sum,
                    std::uint8_t* mask, T* alpha) {
  const auto& rp = graph.row_ptr();
  const auto& src = graph.src();
  const NodeId n = graph.num_nodes();
  const Eigen::Index h_count = kH > 0 ? kH : s_src.cols();
  const Eigen::Index f_count = kF > 0 ? kF : z.cols() / h_count;
  const Eigen::Index bytes = mask_bytes(h_count);
  const bool drop = dropout.rate > 0;
  const DropDraw<T> draw{dropout.rng, CounterRng::drop_threshold(dropout.rate),
                         drop_scale<T>(dropout.rate), h_count,
                         dropout.rows.empty() ? nullptr : dropout.rows.data()};
  const bool prefetch = worth_prefetching(z);
#pragma omp parallel
  {
    detail::HeadValues<T, kH> mx(h_count), sum(h_count), keep(h_count);
    // The row's weights (deg, H) when alpha is null, or its weights after dropout when alpha
    // keeps those before: reused across rows.
    std::vector<T> scratch;
#pragma omp for schedule(dynamic, 64)
    for (NodeId i = 0; i < n; ++i) {
      const EdgeId b = rp[i], e = rp[i + 1];
      // The neighbours' rows are scattered over memory: ask for this row's values (read after
      // the softmax) and the next row's source scores now, so that the misses overlap.
      if (prefetch) {
        for (EdgeId p = b; p < e; ++p) detail::prefetch_row(row(z, src[p]), z.cols());
      }
      if (prefetch && i + 1 < n) {
        for (EdgeId p = e; p < rp[i + 2]; ++p) detail::prefetch_row(row(s_src, src[p]), h_count);
      }
      const auto deg = static_cast<std::size_t>(e - b);
      const auto row_size = deg * static_cast<std::size_t>(h_count);
      // Slot p's weights at w + (p - b)·H.
      T* w = alpha ? alpha + b * h_count : (scratch.resize(row_size), scratch.data());
      T* mi = row(row_max, i);
      T* ri = row(row_inv_sum, i);
      if (b < e) {
        detail::score_row<T, kH, false>(i, b, e, src, s_src, s_dst, nullptr, slope, h_count, w,
                                        h_count);
        detail::softmax_row<T, kH>(e - b, h_count, w, h_count, w, h_count, mx, sum);
        for (Eigen::Index h = 0; h < h_count; ++h) {
          mi[h] = mx[h];
          ri[h] = sum[h];
        }
      } else {
        for (Eigen::Index h = 0; h < h_count; ++h) mi[h] = ri[h] = T(0);
      }
      if (drop) {
        // α' = α · keep, in place when α is not kept.
        T* used = alpha ? (scratch.resize(row_size), scratch.data()) : w;
        for (EdgeId p = b; p < e; ++p) {
          const T* ap = w + (p - b) * h_count;
          T* up = used + (p - b) * h_count;
          draw(p, keep, mask + p * bytes);
#pragma omp simd
          for (Eigen::Index h = 0; h < h_count; ++h) up[h] = ap[h] * keep[h];
        }
        w = used;
      }
      detail::aggregate_row<T, kH, kF>(b, e, src, w, h_count, z, h_count, f_count, row(out, i));
    }
  }
}

// Where the backward's source pass finds row i of destination i's four (N, H) terms: s_dst,
// the softmax maximum and reciprocal sum, and dot (k = 0..3), base[k] + i·stride[k].
template <typename T>
struct DestinationRows {
  std::array<const T*, 4> base;
  std::array<Eigen::Index, 4> stride;
  const T* at(int k, NodeId i) const {
    return base[static_cast<std::size_t>(k)] + i * stride[static_cast<std::size_t>(k)];
  }
};

// With the forward's weights at hand (small graphs), what the source pass needs of each slot
// p, written by the destination pass at p's position in the transpose (position[p], the
// inverse of CsrTranspose::slot), so that the source pass reads it in order instead of
// gathering it by slot: α'[p] = α[p]·keep[p] (E, H) and grad_e[p]·ρ'[p] (E, H), the
// score gradient through LeakyReLU. All null: computed again in the source pass.
template <typename T>
struct KeptByTranspose {
  const EdgeId* position = nullptr;
  T* weights = nullptr;
  T* score_grads = nullptr;
};

template <typename T, int kH, int kF>
void backward_kernel(const CsrGraph& graph, const MatrixCRef<T>& s_src, const MatrixCRef<T>& s_dst,
                     T slope, double rate, const std::uint8_t* mask, const MatrixCRef<T>& row_max,
                     const MatrixCRef<T>& row_inv_sum, const T* alpha,
                     const KeptByTranspose<T>& kept, const MatrixCRef<T>& z,
                     const MatrixCRef<T>& grad_out, MatrixRef<T>& grad_s_src,
                     MatrixRef<T>& grad_s_dst, MatrixRef<T>& grad_z) {
  const auto& rp = graph.row_ptr();
  const auto& src = graph.src();
  const NodeId n = graph.num_nodes();
  const Eigen::Index h_count = kH > 0 ? kH : s_src.cols();
  const Eigen::Index f_count = kF > 0 ? kF : z.cols() / h_count;
  const bool drop = rate > 0;
  const DropRead<T> factors{mask, drop_scale<T>(rate), h_count};
  const bool prefetch = worth_prefetching(z);
  // Every weight α[p] is computed again from the node scores and the softmax statistics of its
  // destination (weights_again: the forward's bits). The gradient of the pre-activation score
  // of slot p = (j → i) is, through the softmax,
  //   grad_e[p, h] = α[p, h] · (gα[p, h] - dot[i, h]),  dot[i, h] = Σ_{q in i's row} α · gα,
  // with gα[p, h] = keep[p, h] · <grad_out[i, h, :], z[j, h, :]> the gradient of the weight
  // before dropout (keep = the dropout factor, 1 without dropout). Both passes need it: the
  // destination pass for grad_s_dst[i], the source pass for grad_s_src[j]. Rather than keep
  // it for every slot (E, H), the destination pass keeps the row sums dot (N, H) and the
  // source pass computes grad_e again from them, with the same operations on the same values:
  // the same bits.
  if (n == 0) return;  // nothing to do, and no pointer arithmetic on empty matrices below
  // The source pass reads, for every out-slot (j → i), four (N, H) rows of the scattered
  // destination i: s_dst[i], its softmax statistics and dot[i]. When the four fit in one
  // cache line (H ≤ 4 in float; a one-head layer has 4 bytes in each of four lines), the
  // destination pass lays them side by side in one (N, 4H) row of `terms`, [s_dst | max |
  // inv_sum | dot]: one line per slot instead of four. Wider rows are read where they are
  // (packing eight heads saved about 3 % of that backward for 96 more bytes per node).
  // Copies of the same values: the same bits. With the weights kept (KeptByTranspose) the
  // source pass reads none of these rows, so nothing is copied.
  const bool pack = !kept.position && 4 * h_count * static_cast<Eigen::Index>(sizeof(T)) <= 64;
  Matrix<T> terms(n, pack ? 4 * h_count : h_count);  // the packed rows, or dot alone
  MatrixRef<T> term_rows(terms);
  const Eigen::Index dot_col = pack ? 3 * h_count : 0;
  const DestinationRows<T> dest =
      pack ? DestinationRows<T>{{terms.data(), terms.data() + h_count, terms.data() + 2 * h_count,
                                 terms.data() + dot_col},
                                {4 * h_count, 4 * h_count, 4 * h_count, 4 * h_count}}
           : DestinationRows<T>{
                 {s_dst.data(), row_max.data(), row_inv_sum.data(), terms.data()},
                 {s_dst.outerStride(), row_max.outerStride(), row_inv_sum.outerStride(), h_count}};
#pragma omp parallel
  {
    detail::HeadValues<T, kH> dot(h_count), keep(h_count);
    // The row's weights α (deg, H), then its gα, turned into grad_e in place (deg, H): reused
    // across rows.
    std::vector<T> scratch;
#pragma omp for schedule(dynamic, 64)
    for (NodeId i = 0; i < n; ++i) {
      const EdgeId b = rp[i], e = rp[i + 1];
      if (prefetch && i + 1 < n) {  // the next row's scattered reads, as in the forward
        for (EdgeId p = e; p < rp[i + 2]; ++p) {
          detail::prefetch_row(row(z, src[p]), z.cols());
          detail::prefetch_row(row(s_src, src[p]), h_count);
        }
      }
      T* ti = row(term_rows, i);
      T* dot_i = ti + dot_col;
      if (pack) {
        std::copy(row(s_dst, i), row(s_dst, i) + h_count, ti);
        std::copy(row(row_max, i), row(row_max, i) + h_count, ti + h_count);
        std::copy(row(row_inv_sum, i), row(row_inv_sum, i) + h_count, ti + 2 * h_count);
      }
      if (b == e) {
        for (Eigen::Index h = 0; h < h_count; ++h) dot_i[h] = T(0);
        continue;
      }
      const auto row_size = static_cast<std::size_t>((e - b) * h_count);
      scratch.resize(2 * row_size);
      T* ge = scratch.data() + row_size;  // the row's score gradients (deg, H)
      const T* di = row(s_dst, i);
      const T* a = alpha ? alpha + b * h_count : scratch.data();  // the row's weights (deg, H)
      if (!alpha) {
        const T* mi = row(row_max, i);
        const T* ri = row(row_inv_sum, i);
        for (EdgeId p = b; p < e; ++p) {
          detail::weights_again(di, row(s_src, src[p]), mi, ri, slope, h_count,
                                scratch.data() + (p - b) * h_count);
        }
      }
      detail::aggregate_weight_grad_row<T, kH, kF>(b, e, src, row(grad_out, i), z, h_count, f_count,
                                                   ge, h_count);
      if (drop) {
        for (EdgeId p = b; p < e; ++p) {
          T* gp = ge + (p - b) * h_count;
          factors(p, keep);
#pragma omp simd
          for (Eigen::Index h = 0; h < h_count; ++h) gp[h] *= keep[h];
        }
      }
      detail::softmax_backward_row<T, kH>(e - b, h_count, a, h_count, ge, h_count, ge, h_count,
                                          dot);
      for (Eigen::Index h = 0; h < h_count; ++h) dot_i[h] = dot[h];
      // Through LeakyReLU into grad_s_dst[i]: a sum over i's slots, in slot order.
      T* gd = row(grad_s_dst, i);
      for (EdgeId p = b; p < e; ++p) {
        const T* sj = row(s_src, src[p]);
        const T* gp = ge + (p - b) * h_count;
        if (!kept.position) {
#pragma omp simd
          for (Eigen::Index h = 0; h < h_count; ++h) {
            gd[h] += gp[h] * detail::leaky_relu_slope(di[h] + sj[h], slope);
          }
          continue;
        }
        // The same product serves grad_s_dst[i] here and grad_s_src[j] in the source pass.
        const T* ap = a + (p - b) * h_count;
        T* wq = kept.weights + kept.position[p] * h_count;
        T* gq = kept.score_grads + kept.position[p] * h_count;
        if (drop) factors(p, keep);
#pragma omp simd
        for (Eigen::Index h = 0; h < h_count; ++h) {
          const T term = gp[h] * detail::leaky_relu_slope(di[h] + sj[h], slope);
          gd[h] += term;
          gq[h] = term;
          wq[h] = drop ? ap[h] * keep[h] : ap[h];
        }
      }
    }
  }
  // Per source row j, over its out-edges p = (j → i) on the transpose, in one loop:
  // grad_z[j] += α'[p] · grad_out[i] (α' = α times the stored mask) and grad_s_src[j] +=
  // grad_e[p] · ρ', with α[p] and grad_e[p] computed again as above (z[j] is this row's own
  // values), or read in order where the destination pass wrote them (KeptByTranspose).
  const auto& t = graph.transpose();
#pragma omp parallel
  {
    detail::HeadValues<T, kH> keep(h_count), sum(h_count);
    // The row's weights (after dropout, once grad_e is taken) and score gradients, (deg, H)
    // each, computed over j's slots before the aggregation reads them: reused across rows.
    std::vector<T> scratch;
#pragma omp for schedule(dynamic, 64)
    for (NodeId j = 0; j < n; ++j) {
      const EdgeId qb = t.row_ptr[j], qe = t.row_ptr[j + 1];
      // The next source's scattered rows: its slots' masks, its destinations' output
      // gradients, scores, softmax statistics and sums.
      if (prefetch && j + 1 < n) {
        for (EdgeId q = qe; q < t.row_ptr[j + 2]; ++q) {
          const NodeId i = t.dst[q];
          detail::prefetch_row(row(grad_out, i), grad_out.cols());
          if (kept.position) continue;
          if (drop) __builtin_prefetch(mask + t.slot[q] * mask_bytes(h_count));
          if (pack) {
            detail::prefetch_row(dest.at(0, i), 4 * h_count);
          } else {
            for (int k = 0; k < 4; ++k) detail::prefetch_row(dest.at(k, i), h_count);
          }
        }
      }
      T* gs = row(grad_s_src, j);
      // Summed in a local copy of the row (the same additions in the same order), so that the
      // stores to grad_s_src need not be ordered against the loads of the other rows.
      for (Eigen::Index h = 0; h < h_count; ++h) sum[h] = gs[h];
      if (kept.position) {
        // The destination pass wrote α' and grad_e·ρ' of j's slots here, in order.
        const auto used = [&](EdgeId q) {
          return static_cast<const T*>(kept.weights + q * h_count);
        };
        const auto score_grad = [&](EdgeId q) {
          const T* gq = kept.score_grads + q * h_count;
#pragma omp simd
          for (Eigen::Index h = 0; h < h_count; ++h) sum[h] += gq[h];
        };
        detail::aggregate_source_grad_row<T, kH, kF>(j, t, used, grad_out, h_count, f_count,
                                                     row(grad_z, j), score_grad);
        for (Eigen::Index h = 0; h < h_count; ++h) gs[h] = sum[h];
        continue;
      }
      const T* sj = row(s_src, j);
      const T* zj = row(z, j);
      const auto row_size = static_cast<std::size_t>((qe - qb) * h_count);
      scratch.resize(2 * row_size);
      T* a = scratch.data();
      T* ge = a + row_size;
      // Computed again, the weights from the statistics and the score gradients from the sums.
      for (EdgeId q = qb; q < qe; ++q) {
        const NodeId i = t.dst[q];
        detail::weights_again(dest.at(0, i), sj, dest.at(1, i), dest.at(2, i), slope, h_count,
                              a + (q - qb) * h_count);
      }
      for (EdgeId q = qb; q < qe; ++q) {
        const NodeId i = t.dst[q];
        T* aq = a + (q - qb) * h_count;
        T* gq = ge + (q - qb) * h_count;  // gα, then grad_e in place
        const T* dot_i = dest.at(3, i);
        detail::head_dots<T, kH, kF>(row(grad_out, i), zj, h_count, f_count, gq);
        if (drop) factors(t.slot[q], keep);
#pragma omp simd
        for (Eigen::Index h = 0; h < h_count; ++h) {
          if (drop) gq[h] *= keep[h];
          gq[h] = aq[h] * (gq[h] - dot_i[h]);
          if (drop) aq[h] *= keep[h];  // α', for grad_z
        }
      }
      const auto used = [&](EdgeId q) { return static_cast<const T*>(a + (q - qb) * h_count); };
      const auto score_grad = [&](EdgeId q) {
        const T* di = dest.at(0, t.dst[q]);  // s_dst[i]
        const T* gq = ge + (q - qb) * h_count;
#pragma omp simd
        for (Eigen::Index h = 0; h < h_count; ++h) {
          sum[h] += gq[h] * detail::leaky_relu_slope(di[h] + sj[h], slope);
        }
      };
      detail::aggregate_source_grad_row<T, kH, kF>(j, t, used, grad_out, h_count, f_count,
                                                   row(grad_z, j), score_grad);
      for (Eigen::Index h = 0; h < h_count; ++h) gs[h] = sum[h];
    }
  }
}

// α of every slot again, per destination row.
template <typename T, int kH>
void weights_kernel(const CsrGraph& graph, const MatrixCRef<T>& s_src, const MatrixCRef<T>& s_dst,
                    T slope, const MatrixCRef<T>& row_max, const MatrixCRef<T>& row_inv_sum,
                    MatrixRef<T>& alpha) {
  const auto& rp = graph.row_ptr();
  const auto& src = graph.src();
  const Eigen::Index h_count = kH > 0 ? kH : s_src.cols();
#pragma omp parallel for schedule(dynamic, 64)
  for (NodeId i = 0; i < graph.num_nodes(); ++i) {
    for (EdgeId p = rp[i]; p < rp[i + 1]; ++p) {
      detail::weights_again(row(s_dst, i), row(s_src, src[p]), row(row_max, i), row(row_inv_sum, i),
                            slope, h_count, row(alpha, p));
    }
  }
}

// fn(Int<H>, Int<F>) for the common shapes, else fn(Int<H>, Int<0>) when only the head count
// is common (an output layer of C classes: H = 1, F = C), else fn(Int<0>, Int<0>).
template <typename Fn>
void dispatch(Eigen::Index h, Eigen::Index f, Fn&& fn) {
  detail::dispatch_heads(h, f, [&](auto kh, auto kf) {
    if constexpr (decltype(kh)::value > 0) {
      fn(kh, kf);
    } else {
      detail::dispatch_head_count(h, [&](auto kh2) { fn(kh2, detail::Int<0>{}); });
    }
  });
}

// The node scores and the slope: (N, H) each, H ≥ 1, a finite slope.
template <typename T>
void check_scores(const char* fn, const CsrGraph& graph, const MatrixCRef<T>& s_src,
                  const MatrixCRef<T>& s_dst, T slope) {
  const Eigen::Index n = graph.num_nodes(), h = s_src.cols();
  GAT_CHECK(h >= 1 && s_src.rows() == n, fn << ": s_src has shape (" << s_src.rows() << ", " << h
                                            << "), expected (N, H) = (" << n << ", H) with H >= 1");
  check_shape(fn, "s_dst", s_dst.rows(), s_dst.cols(), "the shape of s_src (N, H)", n, h);
  GAT_CHECK(std::isfinite(slope), fn << ": negative slope must be finite, got " << slope);
}

// The same, and the values z (N, H·F) and the dropout rate.
template <typename T>
void check_inputs(const char* fn, const CsrGraph& graph, const MatrixCRef<T>& s_src,
                  const MatrixCRef<T>& s_dst, T slope, double rate, const MatrixCRef<T>& z) {
  check_scores(fn, graph, s_src, s_dst, slope);
  const Eigen::Index n = graph.num_nodes(), h = s_src.cols();
  GAT_CHECK(z.rows() == n && z.cols() % h == 0 && z.cols() > 0,
            fn << ": z has shape (" << z.rows() << ", " << z.cols() << "), expected (N, H·F) = ("
               << n << ", a positive multiple of H = " << h << ")");
  GAT_CHECK(rate >= 0 && rate < 1, fn << ": dropout rate must lie in [0, 1), got " << rate);
}

// The statistics must be a forward's on this graph and head count.
template <typename T>
void check_stats(const char* fn, const SoftmaxStats<T>& stats, const MatrixCRef<T>& s_src) {
  const char* what = "the (N, H) gat_attention_forward writes for these scores";
  check_shape(fn, "stats.max", stats.max.rows(), stats.max.cols(), what, s_src.rows(),
              s_src.cols());
  check_shape(fn, "stats.inv_sum", stats.inv_sum.rows(), stats.inv_sum.cols(), what, s_src.rows(),
              s_src.cols());
}

}  // namespace

template <typename T>
void gat_attention_forward(const CsrGraph& graph, MatrixCRef<T> s_src, MatrixCRef<T> s_dst,
                           T negative_slope, const AttentionDropout& dropout, MatrixCRef<T> z,
                           MatrixRef<T> out, SoftmaxStats<T>& stats, DropoutMask& mask,
                           Matrix<T>* alpha) {
  constexpr const char* fn = "gat_attention_forward";
  check_inputs(fn, graph, s_src, s_dst, negative_slope, dropout.rate, z);
  check_shape(fn, "out", out.rows(), out.cols(), "the shape of z (N, H·F)", z.rows(), z.cols());
  GAT_CHECK(
      dropout.rows.empty() || static_cast<EdgeId>(dropout.rows.size()) >= graph.num_edges(),
      fn << ": " << dropout.rows.size() << " slot positions for " << graph.num_edges() << " edges");
  const Eigen::Index n = graph.num_nodes(), h = s_src.cols();
  stats.max.resize(n, h);
  stats.inv_sum.resize(n, h);
  MatrixRef<T> row_max(stats.max), row_inv_sum(stats.inv_sum);
  if (alpha) alpha->resize(graph.num_edges(), h);
  mask.assign(dropout.rate > 0 ? static_cast<std::size_t>(graph.num_edges() * mask_bytes(h)) : 0,
              0);
  dispatch(h, z.cols() / h, [&](auto kh, auto kf) {
    forward_kernel<T, decltype(kh)::value, decltype(kf)::value>(
        graph, s_src, s_dst, negative_slope, dropout, z, out, row_max, row_inv_sum, mask.data(),
        alpha ? alpha->data() : nullptr);
  });
}

template <typename T>
void gat_attention_weights(const CsrGraph& graph, MatrixCRef<T> s_src, MatrixCRef<T> s_dst,
                           T negative_slope, const SoftmaxStats<T>& stats, MatrixRef<T> alpha) {
  constexpr const char* fn = "gat_attention_weights";
  check_scores(fn, graph, s_src, s_dst, negative_slope);
  check_stats(fn, stats, s_src);
  check_shape(fn, "alpha", alpha.rows(), alpha.cols(), "(E, H)", graph.num_edges(), s_src.cols());
  const MatrixCRef<T> row_max(stats.max), row_inv_sum(stats.inv_sum);
  detail::dispatch_head_count(s_src.cols(), [&](auto kh) {
    weights_kernel<T, decltype(kh)::value>(graph, s_src, s_dst, negative_slope, row_max,
                                           row_inv_sum, alpha);
  });
}

template <typename T>
void gat_attention_backward(const CsrGraph& graph, MatrixCRef<T> s_src, MatrixCRef<T> s_dst,
                            T negative_slope, double dropout_rate, const DropoutMask& mask,
                            const SoftmaxStats<T>& stats, const Matrix<T>* alpha, MatrixCRef<T> z,
                            MatrixCRef<T> grad_out, MatrixRef<T> grad_s_src,
                            MatrixRef<T> grad_s_dst, MatrixRef<T> grad_z) {
  constexpr const char* fn = "gat_attention_backward";
  check_inputs(fn, graph, s_src, s_dst, negative_slope, dropout_rate, z);
  check_stats(fn, stats, s_src);
  if (alpha) {
    check_shape(fn, "alpha", alpha->rows(), alpha->cols(), "(E, H), the forward's weights",
                graph.num_edges(), s_src.cols());
  }
  const auto mask_size = dropout_rate > 0 ? graph.num_edges() * mask_bytes(s_src.cols()) : 0;
  GAT_CHECK(static_cast<Eigen::Index>(mask.size()) == mask_size,
            fn << ": the dropout mask has " << mask.size() << " bytes, expected " << mask_size
               << " (the mask gat_attention_forward wrote with the same dropout rate)");
  check_shape(fn, "grad_out", grad_out.rows(), grad_out.cols(), "the shape of z (N, H·F)", z.rows(),
              z.cols());
  check_shape(fn, "grad_s_src", grad_s_src.rows(), grad_s_src.cols(), "the shape of s_src (N, H)",
              s_src.rows(), s_src.cols());
  check_shape(fn, "grad_s_dst", grad_s_dst.rows(), grad_s_dst.cols(), "the shape of s_src (N, H)",
              s_src.rows(), s_src.cols());
  check_shape(fn, "grad_z", grad_z.rows(), grad_z.cols(), "the shape of z (N, H·F)", z.rows(),
              z.cols());
  const MatrixCRef<T> row_max(stats.max), row_inv_sum(stats.inv_sum);
  // With the weights at hand the graph is small (GatConv keeps them only then): the
  // destination pass also writes what the source pass needs of each slot, in the transpose's
  // order (KeptByTranspose), instead of the source pass computing it again.
  const EdgeId e = graph.num_edges();
  const Eigen::Index h = s_src.cols();
  std::vector<EdgeId> position;
  Matrix<T> weights_t, score_grads_t;
  KeptByTranspose<T> kept;
  if (alpha) {
    const CsrTranspose& t = graph.transpose();
    position.resize(static_cast<std::size_t>(e));
#pragma omp parallel for schedule(static)
    for (EdgeId q = 0; q < e; ++q) position[static_cast<std::size_t>(t.slot[q])] = q;
    weights_t.resize(e, h);
    score_grads_t.resize(e, h);
    kept = {position.data(), weights_t.data(), score_grads_t.data()};
  }
  dispatch(h, z.cols() / h, [&](auto kh, auto kf) {
    backward_kernel<T, decltype(kh)::value, decltype(kf)::value>(
        graph, s_src, s_dst, negative_slope, dropout_rate, mask.data(), row_max, row_inv_sum,
        alpha ? alpha->data() : nullptr, kept, z, grad_out, grad_s_src, grad_s_dst, grad_z);
  });
}

#define GAT_INSTANTIATE(T)                                                                     \
  template void gat_attention_forward<T>(const CsrGraph&, MatrixCRef<T>, MatrixCRef<T>, T,     \
                                         const AttentionDropout&, MatrixCRef<T>, MatrixRef<T>, \
                                         SoftmaxStats<T>&, DropoutMask&, Matrix<T>*);          \
  template void gat_attention_weights<T>(const CsrGraph&, MatrixCRef<T>, MatrixCRef<T>, T,     \
                                         const SoftmaxStats<T>&, MatrixRef<T>);                \
  template void gat_attention_backward<T>(const CsrGraph&, MatrixCRef<T>, MatrixCRef<T>, T,    \
                                          double, const DropoutMask&, const SoftmaxStats<T>&,  \
                                          const Matrix<T>*, MatrixCRef<T>, MatrixCRef<T>,      \
                                          MatrixRef<T>, MatrixRef<T>, MatrixRef<T>);
GAT_INSTANTIATE(float)
GAT_INSTANTIATE(double)
#undef GAT_INSTANTIATE

}  // namespace gat::ops
