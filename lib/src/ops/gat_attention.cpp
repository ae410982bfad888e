#include "gat/ops/gat_attention.hpp"

#include <algorithm>
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

// Whether to prefetch the rows a pass gathers: only when the node matrices outgrow the caches.
// On Cora (z is 0.7 MB) every row is a cache hit and the prefetch loops cost 10 % of a step.
template <typename T>
bool worth_prefetching(const MatrixCRef<T>& z) {
  constexpr Eigen::Index kCacheBytes = Eigen::Index{4} << 20;
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
  template <typename Values>  // detail::HeadValues<T, kH>
  void operator()(EdgeId p, Values& out, std::uint8_t* bits) const {
    // Locals, not members: a store to out (T) could alias scale (T) and force a reload per
    // head, which kept the loop from vectorising.
    const CounterRng r = rng;
    const std::uint32_t t = threshold;
    const T keep = scale;
    const std::uint64_t base = static_cast<std::uint64_t>(p) * static_cast<std::uint64_t>(heads);
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
    // Packed eight heads to a byte, each byte built in a register.
    for (std::uint32_t h0 = 0; h0 < h_count; h0 += 8) {
      std::uint32_t byte = 0;
      for (std::uint32_t h = h0; h < std::min(h0 + 8, h_count); ++h) {
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

template <typename T, int kH, int kF>
void forward_kernel(const CsrGraph& graph, const MatrixCRef<T>& s_src, const MatrixCRef<T>& s_dst,
                    T slope, const AttentionDropout& dropout, const MatrixCRef<T>& z,
                    MatrixRef<T>& alpha, MatrixRef<T>& out, std::uint8_t* mask) {
  const auto& rp = graph.row_ptr();
  const auto& src = graph.src();
  const NodeId n = graph.num_nodes();
  const Eigen::Index h_count = kH > 0 ? kH : s_src.cols();
  const Eigen::Index f_count = kF > 0 ? kF : z.cols() / h_count;
  const Eigen::Index bytes = mask_bytes(h_count);
  const bool drop = dropout.rate > 0;
  const DropDraw<T> draw{dropout.rng, CounterRng::drop_threshold(dropout.rate),
                         drop_scale<T>(dropout.rate), h_count};
  const MatrixCRef<T> weights(alpha);
  const bool prefetch = worth_prefetching(z);
#pragma omp parallel
  {
    detail::HeadValues<T, kH> mx(h_count), sum(h_count), keep(h_count);
    std::vector<T> used;  // the row's weights after dropout, (deg, H), reused across rows
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
      if (b < e) {
        detail::score_row<T, kH, false>(i, b, e, src, s_src, s_dst, nullptr, slope, h_count, alpha);
        detail::softmax_row<T, kH>(b, e, h_count, weights, alpha, mx, sum);
      }
      const T* w = row(alpha, b);
      Eigen::Index w_stride = alpha.outerStride();
      if (drop) {
        used.resize(static_cast<std::size_t>((e - b) * h_count));
        for (EdgeId p = b; p < e; ++p) {
          const T* ap = row(alpha, p);
          T* up = used.data() + (p - b) * h_count;
          draw(p, keep, mask + p * bytes);
#pragma omp simd
          for (Eigen::Index h = 0; h < h_count; ++h) up[h] = ap[h] * keep[h];
        }
        w = used.data();
        w_stride = h_count;
      }
      detail::aggregate_row<T, kH, kF>(b, e, src, w, w_stride, z, h_count, f_count, row(out, i));
    }
  }
}

template <typename T, int kH, int kF>
void backward_kernel(const CsrGraph& graph, const MatrixCRef<T>& s_src, const MatrixCRef<T>& s_dst,
                     T slope, double rate, const std::uint8_t* mask, const MatrixCRef<T>& z,
                     const MatrixCRef<T>& alpha, const MatrixCRef<T>& grad_out,
                     MatrixRef<T>& grad_s_src, MatrixRef<T>& grad_s_dst, MatrixRef<T>& grad_z) {
  const auto& rp = graph.row_ptr();
  const auto& src = graph.src();
  const NodeId n = graph.num_nodes();
  const Eigen::Index h_count = kH > 0 ? kH : s_src.cols();
  const Eigen::Index f_count = kF > 0 ? kF : z.cols() / h_count;
  const bool drop = rate > 0;
  const DropRead<T> factors{mask, drop_scale<T>(rate), h_count};
  const bool prefetch = worth_prefetching(z);
  // The gradient of the pre-activation score of slot p = (j → i) is, through the softmax,
  //   grad_e[p, h] = α[p, h] · (gα[p, h] - dot[i, h]),  dot[i, h] = Σ_{q in i's row} α · gα,
  // with gα[p, h] = keep[p, h] · <grad_out[i, h, :], z[j, h, :]> the gradient of the weight
  // before dropout (keep = the dropout factor, 1 without dropout). Both passes need it: the
  // destination pass for grad_s_dst[i], the source pass for grad_s_src[j]. Rather than keep
  // it for every slot (E, H), the destination pass keeps the row sums dot (N, H) and the
  // source pass computes grad_e again from them, with the same operations on the same values:
  // the same bits.
  Matrix<T> dots(n, h_count);
  MatrixRef<T> dot_rows(dots);
#pragma omp parallel
  {
    detail::HeadValues<T, kH> dot(h_count), keep(h_count);
    std::vector<T> ge;  // the row's gα, then grad_e in place, (deg, H), reused across rows
#pragma omp for schedule(dynamic, 64)
    for (NodeId i = 0; i < n; ++i) {
      const EdgeId b = rp[i], e = rp[i + 1];
      if (prefetch && i + 1 < n) {  // the next row's scattered reads, as in the forward
        for (EdgeId p = e; p < rp[i + 2]; ++p) {
          detail::prefetch_row(row(z, src[p]), z.cols());
          detail::prefetch_row(row(s_src, src[p]), h_count);
        }
      }
      T* dot_i = row(dot_rows, i);
      if (b == e) {
        for (Eigen::Index h = 0; h < h_count; ++h) dot_i[h] = T(0);
        continue;
      }
      ge.resize(static_cast<std::size_t>((e - b) * h_count));
      detail::aggregate_weight_grad_row<T, kH, kF>(b, e, src, row(grad_out, i), z, h_count, f_count,
                                                   ge.data(), h_count);
      if (drop) {
        for (EdgeId p = b; p < e; ++p) {
          T* gp = ge.data() + (p - b) * h_count;
          factors(p, keep);
#pragma omp simd
          for (Eigen::Index h = 0; h < h_count; ++h) gp[h] *= keep[h];
        }
      }
      detail::softmax_backward_row<T, kH>(e - b, h_count, row(alpha, b), alpha.outerStride(),
                                          ge.data(), h_count, ge.data(), h_count, dot);
      for (Eigen::Index h = 0; h < h_count; ++h) dot_i[h] = dot[h];
      // Through LeakyReLU into grad_s_dst[i]: a sum over i's slots, in slot order.
      const T* di = row(s_dst, i);
      T* gd = row(grad_s_dst, i);
      for (EdgeId p = b; p < e; ++p) {
        const T* sj = row(s_src, src[p]);
        const T* gp = ge.data() + (p - b) * h_count;
#pragma omp simd
        for (Eigen::Index h = 0; h < h_count; ++h) {
          gd[h] += gp[h] * detail::leaky_relu_slope(di[h] + sj[h], slope);
        }
      }
    }
  }
  // Per source row j, over its out-edges p = (j → i) on the transpose, in one loop:
  // grad_z[j] += α'[p] · grad_out[i] (α' = α times the stored mask) and grad_s_src[j] +=
  // grad_e[p] · ρ', with grad_e[p] computed again as above (z[j] is this row's own values).
  const auto& t = graph.transpose();
  const MatrixCRef<T> dot_in(dots);
#pragma omp parallel
  {
    detail::HeadValues<T, kH> w(h_count), keep(h_count), sum(h_count), ga(h_count), ge(h_count);
#pragma omp for schedule(dynamic, 64)
    for (NodeId j = 0; j < n; ++j) {
      // The next source's scattered rows: its slots' weights and masks, its destinations'
      // output gradients, scores and softmax sums.
      if (prefetch && j + 1 < n) {
        for (EdgeId q = t.row_ptr[j + 1]; q < t.row_ptr[j + 2]; ++q) {
          detail::prefetch_row(row(alpha, t.slot[q]), h_count);
          if (drop) __builtin_prefetch(mask + t.slot[q] * mask_bytes(h_count));
          detail::prefetch_row(row(grad_out, t.dst[q]), grad_out.cols());
          detail::prefetch_row(row(s_dst, t.dst[q]), h_count);
          detail::prefetch_row(row(dot_in, t.dst[q]), h_count);
        }
      }
      const T* sj = row(s_src, j);
      const T* zj = row(z, j);
      T* gs = row(grad_s_src, j);
      // Slot q's weights after dropout, for grad_z, and its grad_e into ge, for score_grad.
      const auto used = [&](EdgeId q) {
        const EdgeId p = t.slot[q];
        const NodeId i = t.dst[q];
        const T* ap = row(alpha, p);
        const T* dot_i = row(dot_in, i);
        detail::head_dots<T, kH, kF>(row(grad_out, i), zj, h_count, f_count, ga.data());
        if (drop) {
          factors(p, keep);
#pragma omp simd
          for (Eigen::Index h = 0; h < h_count; ++h) {
            ga[h] *= keep[h];
            w[h] = ap[h] * keep[h];
          }
        }
#pragma omp simd
        for (Eigen::Index h = 0; h < h_count; ++h) ge[h] = ap[h] * (ga[h] - dot_i[h]);
        return drop ? static_cast<const T*>(w.data()) : ap;
      };
      // Summed in a local copy of the row (the same additions in the same order), so that the
      // stores to grad_s_src need not be ordered against the loads of the other rows.
      for (Eigen::Index h = 0; h < h_count; ++h) sum[h] = gs[h];
      const auto score_grad = [&](EdgeId q) {
        const T* di = row(s_dst, t.dst[q]);
#pragma omp simd
        for (Eigen::Index h = 0; h < h_count; ++h) {
          sum[h] += ge[h] * detail::leaky_relu_slope(di[h] + sj[h], slope);
        }
      };
      detail::aggregate_source_grad_row<T, kH, kF>(j, t, used, grad_out, h_count, f_count,
                                                   row(grad_z, j), score_grad);
      for (Eigen::Index h = 0; h < h_count; ++h) gs[h] = sum[h];
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

template <typename T>
void check_inputs(const char* fn, const CsrGraph& graph, const MatrixCRef<T>& s_src,
                  const MatrixCRef<T>& s_dst, T slope, double rate, const MatrixCRef<T>& z,
                  Eigen::Index alpha_rows, Eigen::Index alpha_cols) {
  const Eigen::Index n = graph.num_nodes(), h = s_src.cols();
  GAT_CHECK(h >= 1 && s_src.rows() == n, fn << ": s_src has shape (" << s_src.rows() << ", " << h
                                            << "), expected (N, H) = (" << n << ", H) with H >= 1");
  check_shape(fn, "s_dst", s_dst.rows(), s_dst.cols(), "the shape of s_src (N, H)", n, h);
  GAT_CHECK(z.rows() == n && z.cols() % h == 0 && z.cols() > 0,
            fn << ": z has shape (" << z.rows() << ", " << z.cols() << "), expected (N, H·F) = ("
               << n << ", a positive multiple of H = " << h << ")");
  check_shape(fn, "alpha", alpha_rows, alpha_cols, "(E, H)", graph.num_edges(), h);
  GAT_CHECK(std::isfinite(slope), fn << ": negative slope must be finite, got " << slope);
  GAT_CHECK(rate >= 0 && rate < 1, fn << ": dropout rate must lie in [0, 1), got " << rate);
}

}  // namespace

template <typename T>
void gat_attention_forward(const CsrGraph& graph, MatrixCRef<T> s_src, MatrixCRef<T> s_dst,
                           T negative_slope, const AttentionDropout& dropout, MatrixCRef<T> z,
                           MatrixRef<T> alpha, MatrixRef<T> out, DropoutMask& mask) {
  constexpr const char* fn = "gat_attention_forward";
  check_inputs(fn, graph, s_src, s_dst, negative_slope, dropout.rate, z, alpha.rows(),
               alpha.cols());
  check_shape(fn, "out", out.rows(), out.cols(), "the shape of z (N, H·F)", z.rows(), z.cols());
  mask.assign(
      dropout.rate > 0 ? static_cast<std::size_t>(graph.num_edges() * mask_bytes(s_src.cols())) : 0,
      0);
  dispatch(s_src.cols(), z.cols() / s_src.cols(), [&](auto h, auto f) {
    forward_kernel<T, decltype(h)::value, decltype(f)::value>(graph, s_src, s_dst, negative_slope,
                                                              dropout, z, alpha, out, mask.data());
  });
}

template <typename T>
void gat_attention_backward(const CsrGraph& graph, MatrixCRef<T> s_src, MatrixCRef<T> s_dst,
                            T negative_slope, double dropout_rate, const DropoutMask& mask,
                            MatrixCRef<T> z, MatrixCRef<T> alpha, MatrixCRef<T> grad_out,
                            MatrixRef<T> grad_s_src, MatrixRef<T> grad_s_dst, MatrixRef<T> grad_z) {
  constexpr const char* fn = "gat_attention_backward";
  check_inputs(fn, graph, s_src, s_dst, negative_slope, dropout_rate, z, alpha.rows(),
               alpha.cols());
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
  dispatch(s_src.cols(), z.cols() / s_src.cols(), [&](auto h, auto f) {
    backward_kernel<T, decltype(h)::value, decltype(f)::value>(
        graph, s_src, s_dst, negative_slope, dropout_rate, mask.data(), z, alpha, grad_out,
        grad_s_src, grad_s_dst, grad_z);
  });
}

#define GAT_INSTANTIATE(T)                                                                         \
  template void gat_attention_forward<T>(const CsrGraph&, MatrixCRef<T>, MatrixCRef<T>, T,         \
                                         const AttentionDropout&, MatrixCRef<T>, MatrixRef<T>,     \
                                         MatrixRef<T>, DropoutMask&);                              \
  template void gat_attention_backward<T>(                                                         \
      const CsrGraph&, MatrixCRef<T>, MatrixCRef<T>, T, double, const DropoutMask&, MatrixCRef<T>, \
      MatrixCRef<T>, MatrixCRef<T>, MatrixRef<T>, MatrixRef<T>, MatrixRef<T>);
GAT_INSTANTIATE(float)
GAT_INSTANTIATE(double)
#undef GAT_INSTANTIATE

}  // namespace gat::ops
