#include "gat/ops/dropout.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "gat/core/error.hpp"
#include "kernel_util.hpp"
#include "row_access.hpp"

namespace gat::ops {
namespace {

// x[c] for counters first .. first + count - 1. The counter is split into 32-bit halves and
// the loop runs over stretches with a fixed high half, so that it vectorises (AVX2 has
// 32-bit but no 64-bit multiplies); dropping multiplies by 0 instead of branching.
template <typename T>
void dropout_span(T* x, std::uint64_t first, std::int64_t count, std::uint32_t threshold, T scale,
                  const CounterRng& rng) {
  while (count > 0) {
    const auto low = static_cast<std::uint32_t>(first);
    const auto high = static_cast<std::uint32_t>(first >> 32);
    const std::int64_t stretch = std::min<std::int64_t>(count, (std::int64_t{1} << 32) - low);
    for (std::int64_t c = 0; c < stretch; ++c) {
      const std::uint32_t bits = rng.bits32(low + static_cast<std::uint32_t>(c), high);
      x[c] *= bits >= threshold ? scale : T(0);
    }
    x += stretch;
    first += static_cast<std::uint64_t>(stretch);
    count -= stretch;
  }
}

// Bytes of mask per row of `cols` entries.
std::int64_t mask_row_bytes(Eigen::Index cols) { return (cols + 7) / 8; }

// The decisions for counters first .. first + count - 1 as 0/1 flags: dropout_span's loop with
// a flag for a product, so it vectorises the same way.
void keep_flags(std::uint8_t* flags, std::uint64_t first, std::int64_t count,
                std::uint32_t threshold, const CounterRng& rng) {
  while (count > 0) {
    const auto low = static_cast<std::uint32_t>(first);
    const auto high = static_cast<std::uint32_t>(first >> 32);
    const std::int64_t stretch = std::min<std::int64_t>(count, (std::int64_t{1} << 32) - low);
    for (std::int64_t c = 0; c < stretch; ++c) {
      flags[c] = rng.bits32(low + static_cast<std::uint32_t>(c), high) >= threshold ? 1 : 0;
    }
    flags += stretch;
    first += static_cast<std::uint64_t>(stretch);
    count -= stretch;
  }
}

// The same decisions as bits from bit 0 of out[0] (the last byte's spare bits zero): flags for
// up to 64 entries at a time, then packed eight to a byte (detail::pack_flags8).
void mask_span(std::uint8_t* out, std::uint64_t first, std::int64_t count, std::uint32_t threshold,
               const CounterRng& rng) {
  constexpr std::int64_t kBlock = 64;
  for (std::int64_t c0 = 0; c0 < count; c0 += kBlock) {
    const std::int64_t len = std::min(kBlock, count - c0);
    alignas(64) std::array<std::uint8_t, kBlock> flags{};  // zeros past len pack as zeros
    keep_flags(flags.data(), first + static_cast<std::uint64_t>(c0), len, threshold, rng);
    for (std::int64_t b = 0; b < (len + 7) / 8; ++b) {
      out[c0 / 8 + b] = detail::pack_flags8(flags.data() + b * 8);
    }
  }
}

// x[c] · (scale · bit c): scale · 1 is scale and scale · 0 is 0, so each entry is multiplied
// by exactly the factor dropout_span draws for it, without a branch. Eight entries per byte in
// a fixed-length loop: one vector of shifts, a conversion and two products.
template <typename T>
void apply_bits(T* __restrict x, const std::uint8_t* bits, Eigen::Index count, T scale) {
  const Eigen::Index full = count / 8;
  for (Eigen::Index b = 0; b < full; ++b) {
    const std::uint32_t byte = bits[b];
    T* __restrict xb = x + b * 8;
#pragma omp simd
    for (std::uint32_t k = 0; k < 8; ++k) xb[k] *= scale * static_cast<T>((byte >> k) & 1U);
  }
  for (Eigen::Index c = full * 8; c < count; ++c) {
    x[c] *= scale * static_cast<T>((bits[full] >> (c - full * 8)) & 1U);
  }
}

// A mask long enough for `rows` rows of `cols` entries.
void check_mask(const char* fn, std::span<const std::uint8_t> mask, Eigen::Index rows,
                Eigen::Index cols) {
  const auto need =
      static_cast<std::uint64_t>(rows) * static_cast<std::uint64_t>(mask_row_bytes(cols));
  GAT_CHECK(mask.size() >= need, fn << ": the mask has " << mask.size() << " bytes, rows of "
                                    << cols << " entries up to row " << rows << " need " << need
                                    << "; draw it with dropout_mask for the same shape");
}

// p is a probability of dropping, below 1 (p = 1 would scale the survivors by 1 / 0). The
// negated comparison also refuses NaN.
void check_rate(double p) {
  GAT_CHECK(p >= 0.0 && p < 1.0, "dropout: the rate p must be in [0, 1), got "
                                     << p << " (0 keeps every entry; 1 would drop all of them)");
}

// Flat stretches of kFlatChunk entries: the unit of parallel work for contiguous data.
constexpr std::int64_t kFlatChunk = 4096;

template <typename T>
void dropout_flat(T* x, std::int64_t n, std::uint32_t threshold, T scale, const CounterRng& rng) {
  const std::int64_t chunks = (n + kFlatChunk - 1) / kFlatChunk;
#pragma omp parallel for schedule(static)
  for (std::int64_t c = 0; c < chunks; ++c) {
    const std::int64_t b = c * kFlatChunk;
    dropout_span(x + b, static_cast<std::uint64_t>(b), std::min(kFlatChunk, n - b), threshold,
                 scale, rng);
  }
}

}  // namespace

using detail::row;

template <typename T>
void dropout(MatrixRef<T> x, double p, const CounterRng& rng) {
  check_rate(p);
  if (p <= 0.0) return;
  const T scale = static_cast<T>(1.0 / (1.0 - p));
  const std::uint32_t threshold = CounterRng::drop_threshold(p);
  const Eigen::Index cols = x.cols();
  // Entry (r, c) has counter r·cols + c either way; contiguous storage runs as one array.
  if (x.outerStride() == cols) return dropout_flat(x.data(), x.size(), threshold, scale, rng);
#pragma omp parallel for schedule(static)
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    dropout_span(row(x, r), static_cast<std::uint64_t>(r * cols), cols, threshold, scale, rng);
  }
}

template <typename T>
void dropout(std::vector<T>& x, double p, const CounterRng& rng) {
  check_rate(p);
  if (p <= 0.0) return;
  dropout_flat(x.data(), static_cast<std::int64_t>(x.size()), CounterRng::drop_threshold(p),
               static_cast<T>(1.0 / (1.0 - p)), rng);
}

void dropout_mask(Eigen::Index rows, Eigen::Index cols, const DropoutSpec& drop,
                  DropoutMask& mask) {
  check_rate(drop.rate);
  GAT_CHECK(rows >= 0 && cols >= 0,
            "dropout_mask: the shape (" << rows << ", " << cols << ") has a negative side");
  GAT_CHECK(
      drop.rows.empty() || static_cast<Eigen::Index>(drop.rows.size()) >= rows,
      "dropout_mask: " << drop.rows.size() << " row positions for a matrix of " << rows << " rows");
  if (drop.rate <= 0.0) {
    mask.clear();
    return;
  }
  const std::uint32_t threshold = CounterRng::drop_threshold(drop.rate);
  const std::int64_t bytes = mask_row_bytes(cols);
  mask.resize(static_cast<std::size_t>(rows * bytes));
#pragma omp parallel for schedule(static)
  for (Eigen::Index r = 0; r < rows; ++r) {
    const std::int64_t whole = drop.rows.empty() ? r : drop.rows[r];
    mask_span(mask.data() + r * bytes, static_cast<std::uint64_t>(whole * cols), cols, threshold,
              drop.rng);
  }
}

template <typename T>
void dropout(MatrixRef<T> x, const DropoutSpec& drop) {
  if (!drop.mask.empty()) {
    check_rate(drop.rate);
    check_mask("dropout", drop.mask, x.rows(), x.cols());
    if (drop.rate <= 0.0) return;
    const T scale = static_cast<T>(1.0 / (1.0 - drop.rate));
    const std::int64_t bytes = mask_row_bytes(x.cols());
#pragma omp parallel for schedule(static)
    for (Eigen::Index r = 0; r < x.rows(); ++r) {
      apply_bits(row(x, r), drop.mask.data() + r * bytes, x.cols(), scale);
    }
    return;
  }
  if (drop.rows.empty()) return dropout<T>(x, drop.rate, drop.rng);
  check_rate(drop.rate);
  GAT_CHECK(
      static_cast<Eigen::Index>(drop.rows.size()) >= x.rows(),
      "dropout: " << drop.rows.size() << " row positions for a matrix of " << x.rows() << " rows");
  if (drop.rate <= 0.0) return;
  const T scale = static_cast<T>(1.0 / (1.0 - drop.rate));
  const std::uint32_t threshold = CounterRng::drop_threshold(drop.rate);
  const Eigen::Index cols = x.cols();
#pragma omp parallel for schedule(static)
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    dropout_span(row(x, r), static_cast<std::uint64_t>(drop.rows[r] * cols), cols, threshold, scale,
                 drop.rng);
  }
}

template <typename T>
void dropout(std::vector<T>& x, const DropoutSpec& drop) {
  GAT_CHECK(drop.mask.empty(),
            "dropout: a mask holds a matrix's decisions; a flat array is dropped from rng");
  if (drop.rows.empty()) return dropout<T>(x, drop.rate, drop.rng);
  check_rate(drop.rate);
  const auto n = static_cast<std::int64_t>(x.size());
  GAT_CHECK(static_cast<std::int64_t>(drop.rows.size()) >= n,
            "dropout: " << drop.rows.size() << " positions for " << n << " entries");
  if (drop.rate <= 0.0) return;
  const T scale = static_cast<T>(1.0 / (1.0 - drop.rate));
  const std::uint32_t threshold = CounterRng::drop_threshold(drop.rate);
  // The positions come in runs (a part's non-zeros keep their rows' order in the whole): each
  // run of consecutive positions is one span, as the whole array drops it.
  std::int64_t k = 0;
  while (k < n) {
    std::int64_t end = k + 1;
    while (end < n && drop.rows[end] == drop.rows[end - 1] + 1) ++end;
    dropout_span(x.data() + k, static_cast<std::uint64_t>(drop.rows[k]), end - k, threshold, scale,
                 drop.rng);
    k = end;
  }
}

template <typename T>
void dropout_rows(MatrixCRef<T> x, Eigen::Index first_row, const DropoutSpec& drop,
                  MatrixRef<T> out) {
  check_rate(drop.rate);
  GAT_CHECK(first_row >= 0 && out.rows() == x.rows() && out.cols() == x.cols(),
            "dropout_rows: out has shape ("
                << out.rows() << ", " << out.cols() << "), expected the shape of x (" << x.rows()
                << ", " << x.cols() << "), and first_row " << first_row << " must be non-negative");
  out = x;
  if (drop.rate <= 0.0) return;
  const T scale = static_cast<T>(1.0 / (1.0 - drop.rate));
  const std::uint32_t threshold = CounterRng::drop_threshold(drop.rate);
  const Eigen::Index cols = x.cols();
  if (!drop.mask.empty()) {
    check_mask("dropout_rows", drop.mask, first_row + x.rows(), cols);
    const std::int64_t bytes = mask_row_bytes(cols);
    for (Eigen::Index r = 0; r < out.rows(); ++r) {
      apply_bits(row(out, r), drop.mask.data() + (first_row + r) * bytes, cols, scale);
    }
    return;
  }
  if (!drop.rows.empty()) {
    GAT_CHECK(static_cast<Eigen::Index>(drop.rows.size()) >= first_row + x.rows(),
              "dropout_rows: " << drop.rows.size() << " row positions, rows up to "
                               << first_row + x.rows() << " dropped");
    for (Eigen::Index r = 0; r < out.rows(); ++r) {
      dropout_span(row(out, r), static_cast<std::uint64_t>(drop.rows[first_row + r] * cols), cols,
                   threshold, scale, drop.rng);
    }
    return;
  }
  const auto first = static_cast<std::uint64_t>(first_row * cols);
  if (out.outerStride() == cols) {
    dropout_span(out.data(), first, out.size(), threshold, scale, drop.rng);
    return;
  }
  for (Eigen::Index r = 0; r < out.rows(); ++r) {
    dropout_span(row(out, r), first + static_cast<std::uint64_t>(r * cols), cols, threshold, scale,
                 drop.rng);
  }
}

template void dropout<float>(MatrixRef<float>, double, const CounterRng&);
template void dropout<double>(MatrixRef<double>, double, const CounterRng&);
template void dropout<float>(std::vector<float>&, double, const CounterRng&);
template void dropout<double>(std::vector<double>&, double, const CounterRng&);
template void dropout<float>(MatrixRef<float>, const DropoutSpec&);
template void dropout<double>(MatrixRef<double>, const DropoutSpec&);
template void dropout<float>(std::vector<float>&, const DropoutSpec&);
template void dropout<double>(std::vector<double>&, const DropoutSpec&);
template void dropout_rows<float>(MatrixCRef<float>, Eigen::Index, const DropoutSpec&,
                                  MatrixRef<float>);
template void dropout_rows<double>(MatrixCRef<double>, Eigen::Index, const DropoutSpec&,
                                   MatrixRef<double>);

}  // namespace gat::ops
