#include "gat/io/output.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <system_error>

#include "gat/core/error.hpp"

namespace gat {
namespace detail {

// A test-only hook called by the atomic replace at named stages ("partial": half the bytes are
// written to the temporary; "written": the temporary is complete, synced and closed, the
// rename not yet done), so that a test can kill the process or throw there. External linkage
// without a public header, like check_linqs_node_count in linqs.cpp.
using AtomicWriteHook = void (*)(const char* stage);
void set_atomic_write_hook(AtomicWriteHook hook);

namespace {
AtomicWriteHook g_atomic_write_hook = nullptr;
}  // namespace

void set_atomic_write_hook(AtomicWriteHook hook) { g_atomic_write_hook = hook; }

}  // namespace detail

namespace {

namespace fs = std::filesystem;

std::string errno_text(int err) { return std::generic_category().message(err); }

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// How a path is written, decided once by resolve() for write_output and check_output_path.
enum class Kind {
  kStdout,   // "-"
  kDirect,   // a device, FIFO or socket: open and write, never replace
  kAppend,   // a regular file reached through /proc (an open descriptor): append, never replace
  kReplace,  // a regular file or a new path: atomic replace of `target`
};

struct Target {
  Kind kind = Kind::kReplace;
  std::string target;  // the path to open (kDirect, kAppend) or to replace (kReplace)
};

// Follows `path` through its symlinks by hand (lstat + readlink) rather than with realpath,
// because the final target may not exist yet (a dangling link is a new file at its target)
// and because only the last name is replaced: the links themselves stay.
Target resolve(const std::string& path) {
  std::string cur = path;
  for (int hops = 0;; ++hops) {
    // /proc/self/fd/N and its kin are "magic" links to open descriptors whose text
    // ("pipe:[123]", "socket:[4]") is no path: ask the kernel where they lead instead.
    if (starts_with(cur, "/proc/")) {
      struct stat st {};
      if (stat(cur.c_str(), &st) != 0) {
        const int err = errno;
        GAT_FAIL("cannot write " << path << " (" << errno_text(err) << ")");
      }
      GAT_CHECK(!S_ISDIR(st.st_mode), "cannot write " << path << ": it is a folder");
      return {S_ISREG(st.st_mode) ? Kind::kAppend : Kind::kDirect, cur};
    }
    struct stat st {};
    if (lstat(cur.c_str(), &st) != 0) {
      const int err = errno;
      // A new file; whether its folder exists is found when the temporary is created.
      if (err == ENOENT) return {Kind::kReplace, cur};
      GAT_FAIL("cannot write " << path << (cur == path ? "" : " (its link target " + cur + ")")
                               << " (" << errno_text(err) << ")");
    }
    if (S_ISLNK(st.st_mode)) {
      GAT_CHECK(hops < 40, "cannot write " << path << ": too many levels of symbolic links");
      std::string buf(4096, '\0');
      const ssize_t len = readlink(cur.c_str(), buf.data(), buf.size());
      if (len < 0) {
        const int err = errno;
        GAT_FAIL("cannot write " << path << ": cannot read the link " << cur << " ("
                                 << errno_text(err) << ")");
      }
      buf.resize(static_cast<std::size_t>(len));
      const fs::path link_target(buf);
      cur = link_target.is_absolute() ? buf : (fs::path(cur).parent_path() / link_target).string();
      continue;
    }
    GAT_CHECK(!S_ISDIR(st.st_mode), "cannot write " << path << ": it is a folder");
    if (S_ISREG(st.st_mode)) return {Kind::kReplace, cur};
    return {Kind::kDirect, cur};  // character or block device, FIFO, socket
  }
}

// Writes all of `bytes` to fd, retrying short writes and EINTR; returns 0 or the errno.
int write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return 0;
}

void write_stdout(std::string_view bytes) {
  errno = 0;
  const std::size_t put = bytes.empty() ? 0 : std::fwrite(bytes.data(), 1, bytes.size(), stdout);
  // fflush hands our buffer to the kernel: only then does a full disk or a closed pipe show.
  const bool failed = put != bytes.size() || std::fflush(stdout) != 0 || std::ferror(stdout);
  if (failed) {
    const int err = errno;
    std::clearerr(stdout);  // a later write gets its own verdict
    GAT_FAIL("cannot write to standard output: " << (err ? errno_text(err) : "write error"));
  }
}

void write_direct(const std::string& path, const std::string& target, bool append,
                  std::string_view bytes) {
  // No O_CREAT (it exists) and no O_TRUNC: a device or FIFO is written as it is, and a file
  // reached through /proc is some other open descriptor's file, appended to as `>>` would.
  const int fd = ::open(target.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY | (append ? O_APPEND : 0));
  if (fd < 0) {
    const int err = errno;
    GAT_FAIL("cannot write " << path << ": cannot open it (" << errno_text(err) << ")");
  }
  int err = write_all(fd, bytes);
  if (::close(fd) != 0 && err == 0 && errno != EINTR) err = errno;
  GAT_CHECK(err == 0, "cannot write " << path << " (" << errno_text(err) << ")");
}

// A file created exclusively in `dir` under the name `.<name>.XXXXXX`: O_EXCL refuses any
// existing name, a planted symlink included, and the random suffix makes concurrent writers
// (threads or processes) pick different names. Returns the fd, or -1 with errno set.
int create_temporary(const fs::path& dir, const std::string& name, std::string& tmp_path) {
  static constexpr char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  thread_local std::mt19937_64 rng{std::random_device{}() ^
                                   (static_cast<std::uint64_t>(getpid()) << 32)};
  // Keep the name within NAME_MAX (255) whatever the target's name length.
  const std::string stem = "." + name.substr(0, 200) + ".";
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string suffix(8, 'x');
    for (char& c : suffix) c = kChars[rng() % (sizeof kChars - 1)];
    tmp_path = (dir / (stem + suffix)).string();
    // 0666 as any open would use: the kernel applies the umask, so a new file gets the usual
    // mode without calling umask(), which is not thread-safe.
    const int fd =
        ::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  errno = EEXIST;
  return -1;
}

fs::path folder_of(const std::string& target) {
  fs::path dir = fs::path(target).parent_path();
  return dir.empty() ? fs::path(".") : dir;
}

void replace_atomically(const std::string& path, const std::string& target,
                        std::string_view bytes) {
  const std::string where = target == path ? path : path + " (link target " + target + ")";
  const fs::path dir = folder_of(target);
  struct stat old {};
  const bool replacing = ::stat(target.c_str(), &old) == 0 && S_ISREG(old.st_mode);

  std::string tmp;
  int fd = create_temporary(dir, fs::path(target).filename().string(), tmp);
  if (fd < 0) {
    const int err = errno;
    GAT_FAIL("cannot write " << where << ": cannot create a temporary file in the folder "
                             << dir.string() << " (" << errno_text(err) << ")");
  }
  auto fail_if = [&](int err, const char* doing) {
    GAT_CHECK(err == 0, "cannot write " << where << ": " << doing << " " << tmp << " ("
                                        << errno_text(err) << ")");
  };
  try {
    const std::size_t half = bytes.size() / 2;
    fail_if(write_all(fd, bytes.substr(0, half)), "writing");
    if (detail::g_atomic_write_hook) detail::g_atomic_write_hook("partial");
    fail_if(write_all(fd, bytes.substr(half)), "writing");
    if (replacing) {
      // The replacement keeps the old file's owner (when we may) and mode: overwriting a
      // 0600 file must not publish it as 0644. chown first, since it clears set-id bits.
      if (old.st_uid != geteuid() || old.st_gid != getegid()) {
        (void)!fchown(fd, old.st_uid, old.st_gid);  // not permitted unless root: keep ours
      }
      fail_if(fchmod(fd, old.st_mode & 07777) == 0 ? 0 : errno, "setting the mode of");
    }
    // fsync moves the data to the disk, so that the rename below can never expose a file
    // whose data is still in flight.
    fail_if(fsync(fd) == 0 ? 0 : errno, "syncing");
    const int closing = fd;
    fd = -1;
    fail_if(::close(closing) == 0 ? 0 : errno, "closing");
    if (detail::g_atomic_write_hook) detail::g_atomic_write_hook("written");
    if (std::rename(tmp.c_str(), target.c_str()) != 0) {
      const int err = errno;
      GAT_FAIL("cannot write " << where << ": cannot rename " << tmp << " over it ("
                               << errno_text(err) << ")");
    }
  } catch (...) {
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  // The rename is a change to the folder; syncing the folder makes it survive a power cut.
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int err = dir_fd < 0 ? errno : 0;
  if (dir_fd >= 0) {
    if (fsync(dir_fd) != 0) err = errno;
    ::close(dir_fd);
  }
  // Some file systems cannot sync a folder (EINVAL); the data itself is already on disk.
  GAT_CHECK(err == 0 || err == EINVAL, "wrote " << where << " but cannot sync its folder "
                                                << dir.string() << " (" << errno_text(err) << ")");
}

}  // namespace

void write_output(const std::string& path, std::string_view bytes) {
  GAT_CHECK(!path.empty(),
            "cannot write to an empty path (give a file name, or - for "
            "standard output)");
  if (path == "-") return write_stdout(bytes);
  const Target t = resolve(path);
  switch (t.kind) {
    case Kind::kStdout:
      return write_stdout(bytes);
    case Kind::kDirect:
    case Kind::kAppend:
      return write_direct(path, t.target, t.kind == Kind::kAppend, bytes);
    case Kind::kReplace:
      return replace_atomically(path, t.target, bytes);
  }
}

void write_file_atomic(const std::string& path, std::string_view bytes) {
  write_output(path, bytes);
}

void check_output_path(const std::string& path, const std::string& flag) {
  GAT_CHECK(!path.empty(), flag << ": empty path (give a file name, or - for standard output)");
  if (path == "-") return;
  Target t;
  try {
    t = resolve(path);
  } catch (const Error& e) {
    GAT_FAIL(flag << ": " << e.what());
  }
  if (t.kind != Kind::kReplace) return;
  // access(W_OK) says yes to root even on a read-only mount; creating the very temporary
  // write_output will create is the only proof that the write will work.
  const fs::path dir = folder_of(t.target);
  std::string tmp;
  const int fd = create_temporary(dir, fs::path(t.target).filename().string(), tmp);
  if (fd < 0) {
    const int err = errno;
    GAT_FAIL(flag << " " << path << ": cannot create a file in the folder " << dir.string() << " ("
                  << errno_text(err) << ")");
  }
  ::close(fd);
  ::unlink(tmp.c_str());
}

}  // namespace gat
