#pragma once
// Private streaming line source of the readers of large files (edge_list.cpp): a file, plain
// or gzip, read through a fixed buffer, line by line, so that the memory a reader needs does
// not grow with the file (text.hpp's LineReader walks a whole file held in memory instead).

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace gat::io_detail {

/// Reads find_input(path) line by line. A line is handed out as a writable span into the
/// buffer, valid until the next call (a reader may unescape a field in place). A UTF-8
/// byte-order mark at the start is skipped; the '\n' is removed, a '\r' before it is kept
/// (callers trim whitespace). A line longer than kMaxLine bytes is an error.
class LineStream {
 public:
  static constexpr std::size_t kMaxLine = std::size_t{64} << 20;

  /// @brief Opens the file; throws gat::Error as gat::read_input does for a file that is
  /// missing or not a regular file.
  explicit LineStream(const std::string& path);
  ~LineStream();
  LineStream(const LineStream&) = delete;
  LineStream& operator=(const LineStream&) = delete;

  /// @brief The next line as [first, first + size). False at the end of the file. Throws
  /// gat::Error for a read error, corrupt or truncated gzip data, or a line over kMaxLine.
  bool next(char*& first, std::size_t& size);

  /// @brief The 1-based number of the line last returned (0 before the first).
  std::int64_t line_number() const { return line_; }

  /// @brief The path that was opened (the name given, or that name + ".gz").
  const std::string& path() const { return path_; }

 private:
  // Reads more bytes after the kept ones at [pos_, end_); false at the end of the file.
  bool fill();

  std::string path_;
  gzFile file_ = nullptr;
  std::vector<char> buffer_;
  std::size_t pos_ = 0;      // first byte not yet handed out
  std::size_t end_ = 0;      // end of the valid bytes
  std::size_t scanned_ = 0;  // bytes after pos_ already known to hold no '\n'
  bool eof_ = false;
  bool started_ = false;  // the byte-order mark check is done
  std::int64_t line_ = 0;
};

}  // namespace gat::io_detail
