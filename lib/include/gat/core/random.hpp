#pragma once
// Counter-based random numbers. Every random draw is a pure function of
// (seed, step, layer, stream, index), so a dropout mask or an initial weight is the same
// whichever thread computes it and in whatever order: results are bit-identical at any
// thread count, and a backward pass can recompute a forward mask instead of storing it.

#include <cstdint>

// The dropout masks are drawn on the GPU too (gat/train/cuda_trainer.hpp): the 32-bit path is
// compiled for both sides from this one definition, so the masks cannot drift apart.
#if defined(__CUDACC__)
#define GAT_HOST_DEVICE __host__ __device__
#else
#define GAT_HOST_DEVICE
#endif

namespace gat {

/// @brief 64-bit finaliser (the splitmix64 output function): a bijection that scatters
/// nearby counters to unrelated outputs.
inline std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

/// @brief 32-bit finaliser (MurmurHash3's fmix32): a bijection with full avalanche. Unlike
/// mix64 it needs only 32-bit multiplies, so loops over it vectorise with AVX2.
GAT_HOST_DEVICE inline std::uint32_t mix32(std::uint32_t x) {
  x ^= x >> 16;
  x *= 0x85ebca6bU;
  x ^= x >> 13;
  x *= 0xc2b2ae35U;
  x ^= x >> 16;
  return x;
}

/// @brief A stream of random numbers indexed by a counter, keyed by (seed, step, layer, stream).
class CounterRng {
 public:
  CounterRng(std::uint64_t seed, std::uint64_t step, std::uint64_t layer, std::uint64_t stream)
      : key_(mix64(mix64(mix64(mix64(seed) ^ step) ^ layer) ^ stream)) {}

  /// @brief 32 random bits for counter `index`: two keyed rounds of mix32, the second
  /// folding in the high half of the index. Used for dropout masks, where speed matters.
  std::uint32_t bits32(std::uint64_t index) const {
    return bits32(static_cast<std::uint32_t>(index), static_cast<std::uint32_t>(index >> 32));
  }
  /// @brief bits32 of the index whose low and high halves are given: loops that keep `high`
  /// fixed and step `low` vectorise.
  std::uint32_t bits32(std::uint32_t low, std::uint32_t high) const {
    return bits32(key_, low, high);
  }
  /// @brief bits32 of a stream given by its key (key()): what a GPU kernel computes per entry.
  GAT_HOST_DEVICE static std::uint32_t bits32(std::uint64_t key, std::uint32_t low,
                                              std::uint32_t high) {
    const std::uint32_t h = mix32(low ^ static_cast<std::uint32_t>(key));
    return mix32(h ^ high ^ static_cast<std::uint32_t>(key >> 32));
  }
  /// @brief The stream's key, a function of (seed, step, layer, stream).
  std::uint64_t key() const { return key_; }

  /// @brief The bits32 threshold below which an entry is dropped with rate p in [0, 1).
  static std::uint32_t drop_threshold(double p) {
    const double t = p * 4294967296.0;
    return t >= 4294967295.0 ? 0xffffffffU : static_cast<std::uint32_t>(t);
  }

  /// @brief 64 random bits for counter `index`.
  std::uint64_t bits(std::uint64_t index) const {
    return mix64(key_ + 0x9e3779b97f4a7c15ULL * (index + 1));
  }
  /// @brief Uniform double in [0, 1) with 53 random bits.
  double uniform(std::uint64_t index) const {
    return static_cast<double>(bits(index) >> 11) * 0x1.0p-53;
  }
  /// @brief Whether entry `index` survives dropout: true with probability 1 - p, where
  /// threshold = drop_threshold(p).
  bool keep(std::uint64_t index, std::uint32_t threshold) const {
    return bits32(index) >= threshold;
  }

 private:
  std::uint64_t key_;
};

/// Streams: which use of randomness a draw belongs to, so that two uses in one layer and
/// step never share numbers.
enum RngStream : std::uint64_t {
  kStreamInit = 1,
  kStreamInputDropout = 2,
  kStreamAttentionDropout = 3,
  kStreamShuffle = 4,
  kStreamFeatureDropout = 5,
  kStreamHardAttention = 6,  // sampled neighbours of hard attention
  kStreamPermute = 7,        // permuted attention of the ablation (AttentionOverride::kPermute)
};

}  // namespace gat
