#pragma once
// Private helpers of the CPU kernels: compile-time width dispatch and a vectorisable exp.

#include <Eigen/Core>
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace gat::ops::detail {

template <int N>
using Int = std::integral_constant<int, N>;

/// Calls fn(Int<W>{}) when a row width W has a specialised kernel, else fn(Int<0>{}) for the
/// run-time-width kernel. A compile-time width lets the compiler unroll the inner loops and
/// keep a whole output row in vector registers.
template <typename Fn>
void dispatch_width(Eigen::Index w, Fn&& fn) {
  switch (w) {
    case 8:
      return fn(Int<8>{});
    case 16:
      return fn(Int<16>{});
    case 32:
      return fn(Int<32>{});
    case 64:
      return fn(Int<64>{});
    case 128:
      return fn(Int<128>{});
    default:
      return fn(Int<0>{});
  }
}

/// The same for a head count H: fn(Int<H>{}) for H in {1, 2, 4, 8, 16}, else fn(Int<0>{}).
template <typename Fn>
void dispatch_head_count(Eigen::Index h, Fn&& fn) {
  switch (h) {
    case 1:
      return fn(Int<1>{});
    case 2:
      return fn(Int<2>{});
    case 4:
      return fn(Int<4>{});
    case 8:
      return fn(Int<8>{});
    case 16:
      return fn(Int<16>{});
    default:
      return fn(Int<0>{});
  }
}

/// The same for the (heads, features per head) pair of attention kernels: fn(Int<H>, Int<F>)
/// for common shapes (the paper's 8 × 8 among them), fn(Int<0>, Int<0>) otherwise.
template <typename Fn>
void dispatch_heads(Eigen::Index h, Eigen::Index f, Fn&& fn) {
  // The key below is unique only for f < 1000; wider heads take the run-time kernel.
  if (f >= 1000) return fn(Int<0>{}, Int<0>{});
  const auto key = h * 1000 + f;
  switch (key) {
    case 1008:
      return fn(Int<1>{}, Int<8>{});
    case 1016:
      return fn(Int<1>{}, Int<16>{});
    case 1032:
      return fn(Int<1>{}, Int<32>{});
    case 1064:
      return fn(Int<1>{}, Int<64>{});
    case 2008:
      return fn(Int<2>{}, Int<8>{});
    case 2016:
      return fn(Int<2>{}, Int<16>{});
    case 4008:
      return fn(Int<4>{}, Int<8>{});
    case 4016:
      return fn(Int<4>{}, Int<16>{});
    case 8008:
      return fn(Int<8>{}, Int<8>{});
    case 8016:
      return fn(Int<8>{}, Int<16>{});
    default:
      return fn(Int<0>{}, Int<0>{});
  }
}

/// exp(x) for float without a library call, so that loops over it vectorise; within about
/// 2 ulp of std::exp on [-87, 88] (larger inputs are clamped to 88; smaller give 0). Range
/// reduction x = n·ln2 + r with |r| ≤ ln2/2, then e^r by its Taylor series to degree 7 (truncation
/// error below 3e-9 relative), then the exponent n is added to the float's exponent bits.
inline float fast_exp(float x_in) {
  // Clamped with the bound first, so that a NaN becomes -87 here (std::max returns its first
  // argument when the comparison fails) and every integer step below is defined; the NaN is
  // given back at the end, so a diverging model still shows NaN, never a made-up number.
  const float x = std::min(std::max(-87.0f, x_in), 88.0f);
  // Round x·log2(e) to the nearest integer by adding and subtracting 1.5·2^23 (exact for
  // |v| < 2^22): plain arithmetic, so the loop vectorises where nearbyint would not.
  constexpr float kRound = 12582912.0f;
  const float n = (x * 1.44269504088896341f + kRound) - kRound;
  // ln 2 split into a part exact in float and a small remainder (Cody–Waite).
  const float r = (x - n * 0.693359375f) + n * 2.12194440e-4f;
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  // n lies in [-87, 127] after the clamp, so the biased exponent n + 127 is in [40, 254].
  const auto bits = static_cast<std::uint32_t>(static_cast<std::int32_t>(n) + 127) << 23;
  const float e = p * __builtin_bit_cast(float, bits);
  // Below -87 the true value is under 1.7e-38: return exactly 0, so that a score masked to
  // -inf (top-k local attention) gets exactly zero weight, as std::exp gives in double.
  return x_in == x_in ? (x_in < -87.0f ? 0.0f : e) : x_in;
}

/// Eight 0/1 flags (bytes) packed into one byte, flag k at bit k: the flags as the bytes of a
/// little-endian word w = Σ f_k·2^(8k), times Σ_k 2^(56-7k), puts f_k at bit 56 + k; every
/// other product term lands below bit 56 at a distinct position (no carries) or past bit 63.
/// One multiply instead of eight shifts and ors.
inline std::uint8_t pack_flags8(const std::uint8_t* flags) {
  std::uint64_t w = 0;
  std::memcpy(&w, flags, sizeof w);
  if constexpr (std::endian::native == std::endian::big) w = __builtin_bswap64(w);
  return static_cast<std::uint8_t>((w * 0x0102040810204080ULL) >> 56);
}

/// exp for the kernels: the fast float version, the exact library one in double (which the
/// gradient checks use).
inline float kernel_exp(float x) { return fast_exp(x); }
inline double kernel_exp(double x) { return std::exp(x); }

}  // namespace gat::ops::detail
