#pragma once
// How much memory this process may still allocate, and a check that refuses work before it
// allocates more than that: an allocation past the limit otherwise ends in std::bad_alloc (or
// the OOM killer) after minutes of work, with no size in the message.
//
// The limit is the smallest of what applies to this process:
//   RLIMIT_AS (ulimit -v) minus the address space already mapped (VmSize),
//   the cgroup's memory.max minus memory.current (v2; memory.limit_in_bytes minus
//   memory.usage_in_bytes on v1), for the process's cgroup and each of its ancestors,
//   MemAvailable from /proc/meminfo.

#include <cstdint>
#include <string>

namespace gat {

/// Which bound a MemoryLimit comes from.
enum class MemoryLimitSource {
  kUnknown,    // nothing could be read: no bound is known
  kRlimitAs,   // RLIMIT_AS (ulimit -v)
  kCgroup,     // the cgroup's memory.max (or v1 memory.limit_in_bytes)
  kAvailable,  // MemAvailable of /proc/meminfo
};

/// @brief Bytes this process may still allocate, and which bound gives that number.
struct MemoryLimit {
  std::uint64_t bytes = 0;  // meaningless when source is kUnknown
  MemoryLimitSource source = MemoryLimitSource::kUnknown;
};

/// @brief The smallest of the bounds above, read now (each call reads /proc and /sys afresh).
MemoryLimit memory_limit();

/// @brief How a message names a source: "ulimit -v", "cgroup memory.max", "available memory".
const char* to_string(MemoryLimitSource source);

/// @brief A byte count for people: "12.40 GiB", "3.50 MiB", "512 bytes".
std::string format_bytes(std::uint64_t bytes);

/// @brief Throws gat::Error when `needed` bytes exceed memory_limit(): "<what> needs X, but
/// only Y are available (limit: ulimit -v); ...". `what` says what would be allocated, e.g.
/// "training the model (N = 2708 nodes, ...)". Does nothing when no limit is known.
void check_memory(std::uint64_t needed, const std::string& what);

}  // namespace gat
