#include "line_stream.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

#include "gat/core/error.hpp"
#include "gat/io/input.hpp"

namespace gat::io_detail {

namespace {

std::string reason(int err) { return std::generic_category().message(err); }

constexpr std::size_t kChunk = std::size_t{1} << 20;  // bytes read at a time

}  // namespace

LineStream::LineStream(const std::string& requested) : path_(find_input(requested)) {
  // As gat::read_input: open first, then look at what was opened, so that the check and the
  // read concern one file; O_NONBLOCK keeps open() from waiting for a FIFO's writer.
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    const int err = errno;
    GAT_FAIL(
        path_ << ": cannot open file (" << reason(err)
              << (err == ENOENT && path_ == requested ? "; also looked for " + path_ + ".gz" : "")
              << ")");
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    GAT_FAIL(path_ << ": not a regular file ("
                   << (S_ISDIR(st.st_mode)                          ? "a folder"
                       : S_ISFIFO(st.st_mode)                       ? "a FIFO"
                       : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
                                                                    : "not a plain file")
                   << "); datasets are read from regular files");
  }
  file_ = gzdopen(fd, "rb");
  if (!file_) {
    ::close(fd);
    GAT_FAIL(path_ << ": cannot open file (out of memory)");
  }
  // A small file gets small buffers: zlib's (it allocates twice the size for gzip) and ours.
  const auto size = static_cast<std::size_t>(std::max<off_t>(st.st_size, 0));
  gzbuffer(file_, static_cast<unsigned>(std::clamp<std::size_t>(size, 8192, 1 << 17)));
  buffer_.resize(std::clamp<std::size_t>(size + 1, 4096, kChunk));
}

LineStream::~LineStream() {
  if (file_) gzclose(file_);
}

bool LineStream::fill() {
  if (eof_) return false;
  // Keep the unfinished line: move it to the front, and grow the buffer when it fills it.
  if (pos_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + pos_, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
  }
  if (end_ == buffer_.size()) {
    GAT_CHECK(buffer_.size() < kMaxLine, path_ << ":" << line_ + 1 << ": line longer than "
                                               << (kMaxLine >> 20)
                                               << " MiB; is this a text edge list?");
    buffer_.resize(std::min(buffer_.size() * 2, kMaxLine));
  }
  const auto room = static_cast<unsigned>(std::min(buffer_.size() - end_, kChunk));
  const int n = gzread(file_, buffer_.data() + end_, room);
  if (n < 0) {
    int code = 0;
    const char* message = gzerror(file_, &code);
    GAT_FAIL(
        path_ << ": cannot read file ("
              << (code == Z_ERRNO ? reason(errno) : std::string("corrupt gzip data: ") + message)
              << ")");
  }
  if (n == 0) {
    // gzread reports a gzip stream cut short as the end of the file; gzerror tells it apart.
    int code = 0;
    const char* message = gzerror(file_, &code);
    GAT_CHECK(code == Z_OK || code == Z_STREAM_END,
              path_ << ": cannot read file (corrupt or truncated gzip data: " << message << ")");
    eof_ = true;
    return false;
  }
  end_ += static_cast<std::size_t>(n);
  if (!started_) {
    started_ = true;
    if (end_ >= 3 && std::memcmp(buffer_.data(), "\xEF\xBB\xBF", 3) == 0) pos_ = 3;
  }
  return true;
}

bool LineStream::next(char*& first, std::size_t& size) {
  for (;;) {
    char* begin = buffer_.data() + pos_;
    const std::size_t have = end_ - pos_;
    if (scanned_ < have) {
      auto* newline = static_cast<char*>(std::memchr(begin + scanned_, '\n', have - scanned_));
      if (newline) {
        first = begin;
        size = static_cast<std::size_t>(newline - begin);
        pos_ += size + 1;
        scanned_ = 0;
        ++line_;
        return true;
      }
      scanned_ = have;
    }
    if (!fill()) {
      if (pos_ == end_) return false;
      first = buffer_.data() + pos_;  // the last line, without '\n'
      size = end_ - pos_;
      pos_ = end_;
      scanned_ = 0;
      ++line_;
      return true;
    }
    // fill() moved the kept bytes to the front: scanned_ still counts from pos_.
  }
}

}  // namespace gat::io_detail
