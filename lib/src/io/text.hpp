#pragma once
// Private text-parsing helpers of the dataset readers (linqs.cpp, tu.cpp), one habit for both:
// the whole file (plain or gzip) is read into memory and parsed through string views into that one
// buffer, so there is no per-line or per-token allocation (PubMed's .content is 27 MB of short
// tokens); every message starts "path:line: " with a 1-based line number, and a token quoted in a
// message goes through shown().

#include <sys/stat.h>

#include <cerrno>
#include <cfloat>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include "gat/core/error.hpp"
#include "gat/core/types.hpp"
#include "gat/io/input.hpp"

namespace gat::io_detail {

/// @brief The whole file at `path` (or `path.gz`), decompressed; see gat::read_input.
inline std::string read_file(const std::string& path) { return read_input(path); }

/// @brief Whitespace between tokens. '\r' counts, so that CRLF files parse like LF files; TU
/// attribute files also pad values with spaces (" 23.000000").
inline bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/// @brief `s` without leading and trailing whitespace.
inline std::string_view trim(std::string_view s) {
  std::size_t b = 0;
  std::size_t e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  return s.substr(b, e - b);
}

/// @brief A token as it appears in a message: quoted, cut short, control bytes replaced, so
/// that a binary or enormous token cannot garble the message.
inline std::string shown(std::string_view token) {
  constexpr std::size_t kMax = 40;
  std::string out = "'";
  for (std::size_t i = 0; i < token.size() && i < kMax; ++i) {
    const auto c = static_cast<unsigned char>(token[i]);
    out += (c < 0x20 || c == 0x7F) ? '?' : static_cast<char>(c);
  }
  if (token.size() > kMax) out += "...";
  out += "'";
  return out;
}

/// @brief Where a number in [first, last) starts for std::from_chars: past one explicit plus
/// sign, which from_chars (unlike strtol and strtod) rejects but writers such as printf("%+g")
/// emit. "+", "++1" and "+-1" are left as they are, so that they still fail to parse.
inline const char* skip_plus(const char* first, const char* last) {
  return last - first > 1 && first[0] == '+' && first[1] != '+' && first[1] != '-' ? first + 1
                                                                                   : first;
}

/// @brief What a path that is not a regular file is, for the message refusing it.
inline const char* not_regular_kind(const struct stat& st) {
  return S_ISDIR(st.st_mode)                          ? "a folder"
         : S_ISFIFO(st.st_mode)                       ? "a FIFO"
         : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
                                                      : "not a plain file";
}

/// @brief A whole token as a 64-bit decimal integer: an optional sign ('-', or one '+'), digits.
inline bool parse_int(std::string_view token, std::int64_t& value) {
  const char* last = token.data() + token.size();
  const char* first = skip_plus(token.data(), last);
  const auto [ptr, ec] = std::from_chars(first, last, value);
  return ec == std::errc() && ptr == last && first != last;
}

/// @brief A whole token as a finite float. from_chars is locale-independent; "nan" and "inf"
/// parse and are then refused (a feature or weight must be a real number); a value below
/// float's range (1e-50) is a real number that rounds to zero or a subnormal, so it is read as
/// double and narrowed, while one above it (1e39) is refused.
inline bool parse_finite_float(std::string_view token, float& value) {
  const char* last = token.data() + token.size();
  const char* first = skip_plus(token.data(), last);
  const auto [ptr, ec] = std::from_chars(first, last, value);
  if (ptr != last || first == last) return false;
  if (ec == std::errc::result_out_of_range) {
    double wide = 0;
    const auto result = std::from_chars(first, last, wide);
    if (result.ec != std::errc() || result.ptr != last || !(std::fabs(wide) <= FLT_MAX)) {
      return false;
    }
    value = static_cast<float>(wide);
    return true;
  }
  return ec == std::errc() && std::isfinite(value);
}

/// @brief Whether a token reads as a number, finite or not ("nan", "inf", "1e99" included).
/// Header lines are told from data by tokens that are not numbers at all, so that a first row
/// holding a NaN is refused as data rather than taken for a header and silently dropped.
inline bool looks_numeric(std::string_view token) {
  const char* last = token.data() + token.size();
  const char* first = skip_plus(token.data(), last);
  if (first == last) return false;
  double d = 0;
  const auto [ptr, ec] = std::from_chars(first, last, d);
  return ptr == last && (ec == std::errc() || ec == std::errc::result_out_of_range);
}

/// @brief An integer, or a floating-point number that is a whole number in int64's range
/// ("3.0", or "3.000000000000000000e+00" as np.savetxt writes integers).
inline bool parse_whole(std::string_view token, std::int64_t& value) {
  if (parse_int(token, value)) return true;
  const char* last = token.data() + token.size();
  const char* first = skip_plus(token.data(), last);
  double d = 0;
  const auto [ptr, ec] = std::from_chars(first, last, d);
  constexpr double kLimit = 9223372036854775808.0;
  if (first == last || ec != std::errc() || ptr != last || !std::isfinite(d) ||
      std::trunc(d) != d || d < -kLimit || d >= kLimit) {
    return false;
  }
  value = static_cast<std::int64_t>(d);
  return true;
}

/// @brief Throws unless `count` nodes fit 32-bit node ids; `path` and `line` place the node
/// that would not fit.
inline void check_node_count(std::int64_t count, const std::string& path, std::int64_t line) {
  constexpr std::int64_t kMaxNodes = std::numeric_limits<NodeId>::max();
  GAT_CHECK(count <= kMaxNodes, path << ":" << line
                                     << ": too many nodes: node ids are 32-bit, so a "
                                     << "dataset holds at most " << kMaxNodes << " nodes");
}

/// @brief Natural order of class names: runs of digits compare by numeric value ("class2" <
/// "class10"), everything else byte by byte. Strings equal up to leading zeros ("a01", "a1") fall
/// back to plain byte order, so the order is strict and the class numbering never depends on the
/// order of the file.
inline bool natural_less(std::string_view a, std::string_view b) {
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < a.size() && j < b.size()) {
    if (is_digit(a[i]) && is_digit(b[j])) {
      while (i < a.size() && a[i] == '0') ++i;
      while (j < b.size() && b[j] == '0') ++j;
      const std::size_t a_start = i;
      const std::size_t b_start = j;
      while (i < a.size() && is_digit(a[i])) ++i;
      while (j < b.size() && is_digit(b[j])) ++j;
      // Without leading zeros, a longer run is a larger number; equal lengths compare as text.
      if (i - a_start != j - b_start) return i - a_start < j - b_start;
      const int c = a.substr(a_start, i - a_start).compare(b.substr(b_start, j - b_start));
      if (c != 0) return c < 0;
    } else {
      if (a[i] != b[j]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[j]);
      ++i;
      ++j;
    }
  }
  if (i == a.size() && j == b.size()) return a < b;
  return i == a.size();
}

/// Walks a buffer line by line, yielding each line with its surrounding whitespace trimmed,
/// and keeps the 1-based number of the line last returned for error messages. A UTF-8
/// byte-order mark, as some editors write, is skipped: it is not part of the first token.
class LineReader {
 public:
  explicit LineReader(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {
    if (text.size() >= 3 && text.compare(0, 3, "\xEF\xBB\xBF") == 0) p_ += 3;
  }

  /// @brief The next line, trimmed; a blank line gives an empty view. False at the end.
  bool next(std::string_view& line) {
    if (p_ >= end_) return false;
    const auto* newline = static_cast<const char*>(std::memchr(p_, '\n', end_ - p_));
    const char* end = newline ? newline : end_;
    line = trim(std::string_view(p_, static_cast<std::size_t>(end - p_)));
    p_ = newline ? newline + 1 : end_;
    ++line_;
    return true;
  }

  /// @brief The next line that is not blank, trimmed. False when only blank lines remain.
  bool next_nonblank(std::string_view& line) {
    while (next(line)) {
      if (!line.empty()) return true;
    }
    return false;
  }

  /// @brief The 1-based number of the line last returned (0 before the first).
  std::int64_t line_number() const { return line_; }

 private:
  const char* p_;
  const char* end_;
  std::int64_t line_ = 0;
};

}  // namespace gat::io_detail
