#include "gat/io/input.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <system_error>

#include "gat/core/error.hpp"
#include "text.hpp"

namespace gat {

namespace {

std::string reason(int err) { return std::generic_category().message(err); }

bool exists_here(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

struct GzCloser {
  void operator()(gzFile f) const { gzclose(f); }
};

}  // namespace

std::string find_input(const std::string& path) {
  if (exists_here(path)) return path;
  std::string gz = path + ".gz";  // not const: returned by move
  if (exists_here(gz)) return gz;
  return path;
}

bool input_exists(const std::string& path) { return exists_here(find_input(path)); }

std::string read_input(const std::string& requested) {
  const std::string path = find_input(requested);
  // Open first, then look at what was opened (fstat), so that the check and the read are about
  // the same file. O_NONBLOCK keeps open() itself from waiting for a FIFO's writer; a regular
  // file ignores it.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    const int err = errno;
    GAT_FAIL(path << ": cannot open file (" << reason(err)
                  << (err == ENOENT && path == requested ? "; also looked for " + path + ".gz" : "")
                  << ")");
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    GAT_FAIL(path << ": not a regular file (" << io_detail::not_regular_kind(st)
                  << "); datasets are read from regular files");
  }
  std::unique_ptr<gzFile_s, GzCloser> file(gzdopen(fd, "rb"));
  if (!file) {
    ::close(fd);
    GAT_FAIL(path << ": cannot open file (out of memory)");
  }
  gzbuffer(file.get(), 1 << 17);
  std::string text;
  // The file's size is the exact size of a plain file and a lower bound for a compressed one,
  // so one reservation covers the first case and starts the second well.
  text.reserve(static_cast<std::size_t>(st.st_size));
  constexpr unsigned kChunk = 1u << 20;
  for (;;) {
    const std::size_t old = text.size();
    text.resize(old + kChunk);
    const int n = gzread(file.get(), text.data() + old, kChunk);
    if (n < 0) {
      int code = 0;
      const char* message = gzerror(file.get(), &code);
      GAT_FAIL(
          path << ": cannot read file ("
               << (code == Z_ERRNO ? reason(errno) : std::string("corrupt gzip data: ") + message)
               << ")");
    }
    text.resize(old + static_cast<std::size_t>(n));
    if (n == 0) break;
  }
  // gzread reports a gzip stream cut short as end of file; gzerror tells it apart.
  int code = 0;
  const char* message = gzerror(file.get(), &code);
  GAT_CHECK(code == Z_OK || code == Z_STREAM_END,
            path << ": cannot read file (corrupt or truncated gzip data: " << message << ")");
  return text;
}

}  // namespace gat
