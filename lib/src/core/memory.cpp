#include "gat/core/memory.hpp"

#include <sys/resource.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "gat/core/error.hpp"

namespace gat {
namespace {

// Above this a "limit" means none (cgroup v1 writes 2^63 rounded down to a page for "no limit").
constexpr std::uint64_t kNoLimit = std::uint64_t{1} << 60;

// The value after `key` in a "Key:   123 kB" file (/proc/self/status, /proc/meminfo), in bytes;
// false when the key is absent.
bool read_kib_field(const char* file, const std::string& key, std::uint64_t& bytes) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, key.size(), key) != 0) continue;
    std::istringstream fields(line.substr(key.size()));
    std::uint64_t kib = 0;
    if (!(fields >> kib)) return false;
    bytes = kib * 1024;
    return true;
  }
  return false;
}

// A file holding one number, or "max" (cgroup v2 for no limit): false when absent or "max".
bool read_number(const std::string& file, std::uint64_t& value) {
  std::ifstream in(file);
  std::string text;
  if (!(in >> text) || text == "max") return false;
  try {
    std::size_t used = 0;
    value = std::stoull(text, &used);
    return used == text.size();
  } catch (const std::exception&) {
    return false;
  }
}

// The room left under the cgroup limits of this process: its own cgroup and every ancestor
// limit it (a container's limit usually sits on an ancestor of the process's cgroup). In a
// cgroup namespace /proc/self/cgroup names paths relative to the namespace root, which is
// where /sys/fs/cgroup is mounted, so the walk ends at the mount itself.
bool cgroup_room(std::uint64_t& room) {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  bool found = false;
  auto consider = [&](const std::string& dir, const char* limit_file, const char* usage_file) {
    std::uint64_t limit = 0, usage = 0;
    if (!read_number(dir + "/" + limit_file, limit) || limit >= kNoLimit) return;
    if (!read_number(dir + "/" + usage_file, usage)) usage = 0;
    const std::uint64_t left = usage < limit ? limit - usage : 0;
    if (!found || left < room) room = left;
    found = true;
  };
  auto walk = [&](const std::string& mount, std::string rel, const char* limit_file,
                  const char* usage_file) {
    while (true) {
      consider(mount + rel, limit_file, usage_file);
      if (rel.empty() || rel == "/") break;
      const auto slash = rel.find_last_of('/');
      rel = slash == std::string::npos ? std::string() : rel.substr(0, slash);
    }
  };
  while (std::getline(in, line)) {
    // "hierarchy-id:controllers:path"; v2 is "0::/path", v1's memory line names "memory".
    const auto first = line.find(':');
    const auto second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1);
    const std::string rel = line.substr(second + 1);
    if (line.compare(0, first, "0") == 0 && controllers.empty()) {
      walk("/sys/fs/cgroup", rel, "memory.max", "memory.current");
    } else if (("," + controllers + ",").find(",memory,") != std::string::npos) {
      walk("/sys/fs/cgroup/memory", rel, "memory.limit_in_bytes", "memory.usage_in_bytes");
    }
  }
  return found;
}

}  // namespace

MemoryLimit memory_limit() {
  MemoryLimit out;
  auto offer = [&](std::uint64_t bytes, MemoryLimitSource source) {
    if (out.source == MemoryLimitSource::kUnknown || bytes < out.bytes) out = {bytes, source};
  };
  rlimit as{};
  if (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY) {
    // The limit counts address space already mapped (code, stacks, heap), not just what we
    // are about to allocate: what is left is the limit minus VmSize.
    std::uint64_t mapped = 0;
    read_kib_field("/proc/self/status", "VmSize:", mapped);
    const auto cur = static_cast<std::uint64_t>(as.rlim_cur);
    offer(mapped < cur ? cur - mapped : 0, MemoryLimitSource::kRlimitAs);
  }
  std::uint64_t room = 0;
  if (cgroup_room(room)) offer(room, MemoryLimitSource::kCgroup);
  std::uint64_t available = 0;
  if (read_kib_field("/proc/meminfo", "MemAvailable:", available)) {
    offer(available, MemoryLimitSource::kAvailable);
  }
  return out;
}

const char* to_string(MemoryLimitSource source) {
  switch (source) {
    case MemoryLimitSource::kRlimitAs:
      return "ulimit -v";
    case MemoryLimitSource::kCgroup:
      return "cgroup memory.max";
    case MemoryLimitSource::kAvailable:
      return "available memory";
    case MemoryLimitSource::kUnknown:
      break;
  }
  return "unknown";
}

std::string format_bytes(std::uint64_t bytes) {
  char buf[48];
  const auto b = static_cast<double>(bytes);
  if (bytes >= (std::uint64_t{1} << 30)) {
    std::snprintf(buf, sizeof buf, "%.2f GiB", b / (1024.0 * 1024 * 1024));
  } else if (bytes >= (std::uint64_t{1} << 20)) {
    std::snprintf(buf, sizeof buf, "%.2f MiB", b / (1024.0 * 1024));
  } else {
    std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(bytes));
  }
  return buf;
}

void check_memory(std::uint64_t needed, const std::string& what) {
  const MemoryLimit limit = memory_limit();
  if (limit.source == MemoryLimitSource::kUnknown) return;  // let the allocation decide
  GAT_CHECK(needed <= limit.bytes, what << " needs " << format_bytes(needed) << ", but only "
                                        << format_bytes(limit.bytes)
                                        << " are available (limit: " << to_string(limit.source)
                                        << "); use a smaller model or graph, or raise the limit");
}

}  // namespace gat
