#include "gat/io/arrays.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>
#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <cerrno>
#include <cfloat>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/io/input.hpp"
#include "text.hpp"

namespace gat {

namespace {

using io_detail::looks_numeric;
using io_detail::parse_int;
using io_detail::parse_whole;

using io_detail::is_space;
using io_detail::LineReader;
using io_detail::shown;

std::string reason(int err) { return std::generic_category().message(err); }

// ---- Byte sources: a file (plain or gzip) or a member of a zip archive -------------------------

// Deflate never expands more than 1032 to 1; with margin, the most bytes that `compressed` bytes
// of deflate (gzip, zip) data can hold. A header claiming more is refused before allocating.
std::uint64_t inflated_bound(std::uint64_t compressed) {
  constexpr std::uint64_t kRatio = 1040;
  constexpr std::uint64_t kSlack = 1 << 20;
  return compressed > (std::numeric_limits<std::uint64_t>::max() - kSlack) / kRatio
             ? std::numeric_limits<std::uint64_t>::max()
             : compressed * kRatio + kSlack;
}

// A stream of bytes with a name for messages and what is known of its length.
class Source {
 public:
  explicit Source(std::string name) : name_(std::move(name)) {}
  virtual ~Source() = default;
  Source(const Source&) = delete;
  Source& operator=(const Source&) = delete;

  const std::string& name() const { return name_; }

  /// Reads up to n bytes into dst; fewer only at the end. Throws gat::Error on a read error.
  std::size_t read(void* dst, std::size_t n) {
    auto* p = static_cast<unsigned char*>(dst);
    std::size_t got = 0;
    while (got < n) {
      const std::size_t k = read_some(p + got, n - got);
      if (k == 0) break;
      got += k;
    }
    consumed_ += got;
    return got;
  }
  /// Whether the source ends here (reads one byte to find out).
  bool at_end() {
    unsigned char c = 0;
    return read(&c, 1) == 0;
  }
  /// Bytes read so far.
  std::uint64_t consumed() const { return consumed_; }
  /// The exact number of bytes left when the length is known, else -1.
  virtual std::int64_t exact_remaining() const = 0;
  /// The most bytes that can be left.
  virtual std::uint64_t max_remaining() const = 0;

 protected:
  virtual std::size_t read_some(unsigned char* dst, std::size_t n) = 0;

 private:
  std::string name_;
  std::uint64_t consumed_ = 0;
};

struct GzCloser {
  void operator()(gzFile f) const { gzclose(f); }
};

// A regular file, plain or gzip-compressed (zlib reads a plain file as it is, and reads large
// requests straight into the caller's buffer).
class FileSource final : public Source {
 public:
  explicit FileSource(const std::string& path) : Source(path) {
    // As gat::read_input: open, then check what was opened, so that a FIFO or a device is
    // refused before anything is read.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
      const int err = errno;
      GAT_FAIL(path << ": cannot open file (" << reason(err) << ")");
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      GAT_FAIL(path << ": not a regular file (" << io_detail::not_regular_kind(st)
                    << "); arrays are read from regular files");
    }
    file_size_ = static_cast<std::uint64_t>(st.st_size);
    file_.reset(gzdopen(fd, "rb"));
    if (!file_) {
      ::close(fd);
      GAT_FAIL(path << ": cannot open file (out of memory)");
    }
    gzbuffer(file_.get(), 1 << 17);
  }

  /// Whether the file is plain, not gzip (known once something has been read).
  bool plain() const { return gzdirect(file_.get()) != 0; }
  std::uint64_t file_size() const { return file_size_; }

  std::int64_t exact_remaining() const override {
    if (!plain()) return -1;
    return consumed() >= file_size_ ? 0 : static_cast<std::int64_t>(file_size_ - consumed());
  }
  std::uint64_t max_remaining() const override {
    return plain() ? static_cast<std::uint64_t>(exact_remaining()) : inflated_bound(file_size_);
  }

 protected:
  std::size_t read_some(unsigned char* dst, std::size_t n) override {
    const auto want = static_cast<unsigned>(std::min<std::size_t>(n, 1u << 30));
    const int got = gzread(file_.get(), dst, want);
    if (got > 0) return static_cast<std::size_t>(got);
    int code = 0;
    const char* message = gzerror(file_.get(), &code);
    GAT_CHECK(
        got == 0 && (code == Z_OK || code == Z_STREAM_END),
        name() << ": cannot read file ("
               << (code == Z_ERRNO ? reason(errno)
                                   : std::string("corrupt or truncated gzip data: ") + message)
               << ")");
    return 0;
  }

 private:
  std::unique_ptr<gzFile_s, GzCloser> file_;
  std::uint64_t file_size_ = 0;
};

struct ZipDiscard {
  void operator()(zip_t* z) const { zip_discard(z); }
};
struct ZipFileCloser {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};

using ZipPtr = std::unique_ptr<zip_t, ZipDiscard>;

// One member of a zip archive, decompressed by libzip (which checks its CRC at the end).
class ZipMemberSource final : public Source {
 public:
  ZipMemberSource(std::string name, zip_file_t* file, std::uint64_t size)
      : Source(std::move(name)), file_(file), size_(size) {}

  std::int64_t exact_remaining() const override {
    return consumed() >= size_ ? 0 : static_cast<std::int64_t>(size_ - consumed());
  }
  std::uint64_t max_remaining() const override {
    return static_cast<std::uint64_t>(exact_remaining());
  }

 protected:
  std::size_t read_some(unsigned char* dst, std::size_t n) override {
    const zip_int64_t got = zip_fread(file_.get(), dst, n);
    GAT_CHECK(got >= 0,
              name() << ": cannot read the member (" << zip_file_strerror(file_.get()) << ")");
    return static_cast<std::size_t>(got);
  }

 private:
  std::unique_ptr<zip_file_t, ZipFileCloser> file_;
  std::uint64_t size_;
};

// ---- Paths, formats and .npz members --------------------------------------------------------

constexpr std::string_view kNpyMagic = "\x93NUMPY";
constexpr std::size_t kMagicSize = 6;

enum class Format { kNpy, kZip, kText };

Format format_of(std::string_view first) {
  if (first.size() >= kNpyMagic.size() && first.substr(0, kNpyMagic.size()) == kNpyMagic) {
    return Format::kNpy;
  }
  if (first.size() >= 4 &&
      (first.substr(0, 4) == "PK\x03\x04" || first.substr(0, 4) == "PK\x05\x06")) {
    return Format::kZip;
  }
  return Format::kText;
}

// "a.npz:x" names member x of a.npz when "a.npz:x" itself is not a file but "a.npz" is.
struct Location {
  std::string file;    // as found by find_input (".gz" added when only that exists)
  std::string member;  // empty: none named
};

Location locate(const std::string& path) {
  if (!input_exists(path)) {
    const std::size_t colon = path.rfind(':');
    if (colon != std::string::npos && colon > 0 && input_exists(path.substr(0, colon))) {
      Location at{find_input(path.substr(0, colon)), path.substr(colon + 1)};
      GAT_CHECK(!at.member.empty(),
                path << ": no member named after the ':' (expected " << path << "NAME)");
      return at;
    }
  }
  return {find_input(path), ""};
}

std::string member_display(const std::string& file, std::string_view member) {
  return file + " (member " + shown(member) + ")";
}

std::string without_npy(std::string name) {
  if (name.size() > 4 && name.compare(name.size() - 4, 4, ".npy") == 0)
    name.resize(name.size() - 4);
  return name;
}

ZipPtr open_zip(const std::string& file) {
  int code = 0;
  ZipPtr zip(zip_open(file.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code));
  if (!zip) {
    zip_error_t error;
    zip_error_init_with_code(&error, code);
    const std::string message = zip_error_strerror(&error);
    zip_error_fini(&error);
    GAT_FAIL(file << ": not a readable .npz (zip) archive (" << message << ")");
  }
  return zip;
}

// Entries of an archive that are files (folders, "name/", are skipped), in archive order.
std::vector<std::pair<zip_uint64_t, std::string>> zip_entries(zip_t* zip) {
  std::vector<std::pair<zip_uint64_t, std::string>> out;
  const zip_int64_t n = zip_get_num_entries(zip, 0);
  for (zip_int64_t i = 0; i < n; ++i) {
    const char* name = zip_get_name(zip, static_cast<zip_uint64_t>(i), ZIP_FL_ENC_RAW);
    if (!name) continue;
    std::string s(name);
    if (!s.empty() && s.back() == '/') continue;
    out.emplace_back(static_cast<zip_uint64_t>(i), std::move(s));
  }
  return out;
}

std::string list_members(const std::vector<std::pair<zip_uint64_t, std::string>>& entries) {
  constexpr std::size_t kMaxShown = 20;
  std::string out;
  for (std::size_t i = 0; i < entries.size() && i < kMaxShown; ++i) {
    if (i > 0) out += ", ";
    out += shown(without_npy(entries[i].second));
  }
  if (entries.size() > kMaxShown) out += ", ...";
  return out;
}

// Opens the .npz member named `member` (x or x.npy; empty: the only member) of `file`.
std::unique_ptr<Source> open_member(const std::string& file, const std::string& member,
                                    std::uint64_t file_size) {
  ZipPtr zip = open_zip(file);
  const auto entries = zip_entries(zip.get());
  const std::pair<zip_uint64_t, std::string>* entry = nullptr;
  if (member.empty()) {
    GAT_CHECK(!entries.empty(), file << ": the .npz archive holds no arrays");
    GAT_CHECK(entries.size() == 1, file << ": the .npz archive holds " << entries.size()
                                        << " arrays (" << list_members(entries) << "); name one as "
                                        << file << ":NAME");
    entry = &entries[0];
  } else {
    for (const auto& e : entries) {
      if (e.second == member || e.second == member + ".npy") {
        entry = &e;
        break;
      }
    }
    GAT_CHECK(entry, file << ": no array " << shown(member) << " in the .npz archive (it holds "
                          << (entries.empty() ? std::string("none") : list_members(entries))
                          << ")");
  }
  const std::string name = member_display(file, entry->second);
  zip_stat_t st;
  zip_stat_init(&st);
  GAT_CHECK(zip_stat_index(zip.get(), entry->first, 0, &st) == 0,
            name << ": cannot read the member (" << zip_strerror(zip.get()) << ")");
  constexpr zip_uint64_t kNeeded = ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD;
  GAT_CHECK((st.valid & kNeeded) == kNeeded, name << ": the archive does not give its size");
  GAT_CHECK(!(st.valid & ZIP_STAT_ENCRYPTION_METHOD) || st.encryption_method == ZIP_EM_NONE,
            name << ": the member is encrypted");
  GAT_CHECK(st.comp_method == ZIP_CM_STORE || st.comp_method == ZIP_CM_DEFLATE,
            name << ": compression method " << st.comp_method
                 << " is not read; numpy writes members stored or deflated");
  // The sizes come from the archive's directory: bound them by the file before trusting them.
  GAT_CHECK(st.comp_size <= file_size &&
                (st.comp_method == ZIP_CM_STORE ? st.size == st.comp_size
                                                : st.size <= inflated_bound(st.comp_size)),
            name << ": corrupt archive (the member claims " << st.size << " bytes, " << st.comp_size
                 << " compressed, in a file of " << file_size << ")");
  zip_file_t* f = zip_fopen_index(zip.get(), entry->first, 0);
  GAT_CHECK(f, name << ": cannot read the member (" << zip_strerror(zip.get()) << ")");
  // The member's source keeps reading from the archive: the archive must outlive it.
  struct Owning final : public Source {
    Owning(ZipPtr z, std::string n, zip_file_t* file, std::uint64_t size)
        : Source(n), zip(std::move(z)), member(std::move(n), file, size) {}
    std::int64_t exact_remaining() const override { return member.exact_remaining(); }
    std::uint64_t max_remaining() const override { return member.max_remaining(); }
    std::size_t read_some(unsigned char* dst, std::size_t n) override {
      return member.read(dst, n);
    }
    ZipPtr zip;  // declared first, destroyed last
    ZipMemberSource member;
  };
  return std::make_unique<Owning>(std::move(zip), name, f, st.size);
}

// What a path holds, opened: a .npy stream (its magic already read) or the text of the file.
struct Opened {
  std::unique_ptr<Source> npy;  // non-null for .npy data (plain, gzip or an .npz member)
  std::string text;             // the whole text otherwise
  std::string name;             // for messages
};

Opened open_array(const std::string& path) {
  const Location at = locate(path);
  auto file = std::make_unique<FileSource>(at.file);
  char magic[kMagicSize] = {};
  const std::size_t got = file->read(magic, kMagicSize);
  const Format format = format_of(std::string_view(magic, got));
  Opened out;
  if (format == Format::kZip) {
    GAT_CHECK(file->plain(), at.file << ": a gzip-compressed zip archive; decompress it first");
    const std::uint64_t size = file->file_size();
    file.reset();
    out.npy = open_member(at.file, at.member, size);
    out.name = out.npy->name();
    char inner[kMagicSize] = {};
    const std::size_t n = out.npy->read(inner, kMagicSize);
    GAT_CHECK(format_of(std::string_view(inner, n)) == Format::kNpy,
              out.name << ": not a .npy array (an .npz holds .npy members)");
    return out;
  }
  GAT_CHECK(at.member.empty(),
            at.file << ": not an .npz archive, so it has no member " << shown(at.member));
  out.name = at.file;
  if (format == Format::kNpy) {
    out.npy = std::move(file);
    return out;
  }
  out.text.assign(magic, got);
  constexpr std::size_t kChunk = 1 << 20;
  for (;;) {
    const std::size_t old = out.text.size();
    out.text.resize(old + kChunk);
    const std::size_t n = file->read(out.text.data() + old, kChunk);
    out.text.resize(old + n);
    if (n < kChunk) break;
  }
  return out;
}

// ---- .npy header ------------------------------------------------------------------------------

enum class Kind { kFloat, kSigned, kUnsigned, kBool };

struct NpyHeader {
  std::string descr;  // as written, for messages
  Kind kind = Kind::kFloat;
  int item_size = 0;
  bool swap = false;  // stored in the other byte order than this machine's
  bool fortran = false;
  std::vector<std::int64_t> shape;
  std::int64_t rows = 0;  // shape[0]
  std::int64_t cols = 1;  // shape[1], or 1 for a 1-D array
  std::uint64_t count = 0;
  std::uint64_t data_bytes = 0;
};

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string out = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(shape[i]);
  }
  if (shape.size() == 1) out += ",";
  return out + ")";
}

std::string dtype_name(const NpyHeader& h) {
  switch (h.kind) {
    case Kind::kFloat:
      return "float" + std::to_string(8 * h.item_size);
    case Kind::kSigned:
      return "int" + std::to_string(8 * h.item_size);
    case Kind::kUnsigned:
      return "uint" + std::to_string(8 * h.item_size);
    case Kind::kBool:
      return "bool";
  }
  return "?";
}

// A parser of the Python dict literal of a .npy header:
//   {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& name) : s_(text), name_(name) {}

  NpyHeader parse() {
    NpyHeader h;
    bool seen_descr = false;
    bool seen_order = false;
    bool seen_shape = false;
    expect('{');
    while (true) {
      skip();
      if (peek() == '}') {
        ++p_;
        break;
      }
      const std::string key = string_literal();
      expect(':');
      if (key == "descr") {
        GAT_CHECK(!seen_descr, bad("'descr' given twice"));
        seen_descr = true;
        skip();
        if (peek() == '[') fail_dtype(raw_value(), "a structured dtype");
        h.descr = string_literal();
        parse_descr(h);
      } else if (key == "fortran_order") {
        GAT_CHECK(!seen_order, bad("'fortran_order' given twice"));
        seen_order = true;
        h.fortran = boolean();
      } else if (key == "shape") {
        GAT_CHECK(!seen_shape, bad("'shape' given twice"));
        seen_shape = true;
        h.shape = tuple();
      } else {
        GAT_FAIL(bad("unexpected key " + shown(key)));
      }
      skip();
      if (peek() == ',') {
        ++p_;
      } else {
        expect('}');
        break;
      }
    }
    skip();
    GAT_CHECK(p_ == s_.size(), bad("text after the closing '}'"));
    GAT_CHECK(seen_descr && seen_order && seen_shape,
              bad("it lacks " + std::string(!seen_descr   ? "'descr'"
                                            : !seen_order ? "'fortran_order'"
                                                          : "'shape'")));
    return h;
  }

 private:
  std::string bad(const std::string& what) const {
    return name_ + ": malformed .npy header (" + what + "): " + shown(s_);
  }
  char peek() const { return p_ < s_.size() ? s_[p_] : '\0'; }
  void skip() {
    while (p_ < s_.size() && (is_space(s_[p_]) || s_[p_] == '\n')) ++p_;
  }
  void expect(char c) {
    skip();
    GAT_CHECK(peek() == c, bad(std::string("expected '") + c + "'"));
    ++p_;
  }
  std::string string_literal() {
    skip();
    const char q = peek();
    GAT_CHECK(q == '\'' || q == '"', bad("expected a quoted string"));
    const std::size_t end = s_.find(q, p_ + 1);
    GAT_CHECK(end != std::string_view::npos, bad("unterminated string"));
    std::string out(s_.substr(p_ + 1, end - p_ - 1));
    p_ = end + 1;
    return out;
  }
  bool boolean() {
    skip();
    for (const auto& [word, value] : {std::pair<std::string_view, bool>{"True", true},
                                      std::pair<std::string_view, bool>{"False", false}}) {
      if (s_.substr(p_, word.size()) == word) {
        p_ += word.size();
        return value;
      }
    }
    GAT_FAIL(bad("'fortran_order' is not True or False"));
  }
  std::vector<std::int64_t> tuple() {
    expect('(');
    std::vector<std::int64_t> out;
    bool trailing_comma = false;
    while (true) {
      skip();
      if (peek() == ')') {
        ++p_;
        break;
      }
      GAT_CHECK(out.size() < 32, bad("more than 32 dimensions"));
      std::int64_t dim = 0;
      const char* first = s_.data() + p_;
      const char* last = s_.data() + s_.size();
      const auto [ptr, ec] = std::from_chars(first, last, dim);
      GAT_CHECK(ec == std::errc() && ptr != first && dim >= 0,
                bad("the shape holds something other than a size"));
      p_ = static_cast<std::size_t>(ptr - s_.data());
      if (peek() == 'L') ++p_;  // Python 2 wrote long integers as "3L"
      out.push_back(dim);
      skip();
      trailing_comma = peek() == ',';
      if (trailing_comma) {
        ++p_;
      } else {
        expect(')');
        break;
      }
    }
    return out;
  }
  // The text of a bracketed value, for a message.
  std::string raw_value() {
    const std::size_t begin = p_;
    int depth = 0;
    for (; p_ < s_.size(); ++p_) {
      if (s_[p_] == '[' || s_[p_] == '(') ++depth;
      if (s_[p_] == ']' || s_[p_] == ')') --depth;
      if (depth == 0) break;
    }
    return std::string(s_.substr(begin, p_ - begin + 1));
  }
  [[noreturn]] void fail_dtype(const std::string& descr, const char* what) {
    GAT_FAIL(name_ << ": dtype " << shown(descr) << " (" << what
                   << ") is not read; expected float16/32/64, int8/16/32/64, uint8/16/32/64 "
                      "or bool");
  }
  void parse_descr(NpyHeader& h) {
    const std::string& d = h.descr;
    GAT_CHECK(d.size() >= 2, name_ << ": dtype " << shown(d) << " is not a numpy dtype");
    const char order = d[0];
    const char type = d[1];
    std::int64_t size = 0;
    const auto [ptr, ec] = std::from_chars(d.data() + 2, d.data() + d.size(), size);
    const bool sized = ec == std::errc() && ptr == d.data() + d.size() && d.size() > 2;
    if (std::string_view("<>|=").find(order) == std::string_view::npos) {
      fail_dtype(d, "not a numpy dtype");
    }
    switch (type) {
      case 'f':
        h.kind = Kind::kFloat;
        break;
      case 'i':
        h.kind = Kind::kSigned;
        break;
      case 'u':
        h.kind = Kind::kUnsigned;
        break;
      case 'b':
      case '?':
        h.kind = Kind::kBool;
        break;
      case 'O':
        fail_dtype(d, "Python objects");
      case 'U':
      case 'S':
      case 'a':
        fail_dtype(d, "strings");
      case 'c':
        fail_dtype(d, "complex numbers");
      case 'V':
        fail_dtype(d, "raw or structured data");
      case 'M':
      case 'm':
        fail_dtype(d, "dates or times");
      default:
        fail_dtype(d, "not a numpy dtype");
    }
    const bool size_ok =
        sized && (h.kind == Kind::kFloat  ? size == 2 || size == 4 || size == 8
                  : h.kind == Kind::kBool ? size == 1
                                          : size == 1 || size == 2 || size == 4 || size == 8);
    if (!size_ok && !(type == '?' && d.size() == 2)) fail_dtype(d, "an unsupported size");
    h.item_size = type == '?' ? 1 : static_cast<int>(size);
    GAT_CHECK(h.item_size == 1 || order != '|', name_ << ": dtype " << shown(d)
                                                      << " has no byte order ('|') but items of "
                                                      << h.item_size << " bytes");
    constexpr bool kLittle = std::endian::native == std::endian::little;
    h.swap = h.item_size > 1 && ((order == '<' && !kLittle) || (order == '>' && kLittle));
  }

  std::string_view s_;
  std::size_t p_ = 0;
  const std::string& name_;
};

std::uint32_t little_u32(const unsigned char* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

// Reads the rest of a .npy header (the magic is read) and checks the data's size against what
// the source can hold, so that nothing is allocated on the word of a corrupt header.
NpyHeader read_npy_header(Source& src) {
  const std::string& name = src.name();
  unsigned char version[2] = {};
  GAT_CHECK(src.read(version, 2) == 2, name << ": truncated .npy header");
  GAT_CHECK((version[0] == 1 || version[0] == 2 || version[0] == 3) && version[1] == 0,
            name << ": .npy format version " << int{version[0]} << "." << int{version[1]}
                 << " is not read (expected 1.0, 2.0 or 3.0)");
  unsigned char length[4] = {};
  const std::size_t length_size = version[0] == 1 ? 2 : 4;
  GAT_CHECK(src.read(length, length_size) == length_size, name << ": truncated .npy header");
  const std::uint32_t header_size = little_u32(length);
  constexpr std::uint32_t kMaxHeader = 1 << 16;
  GAT_CHECK(header_size <= kMaxHeader, name << ": .npy header of " << header_size
                                            << " bytes; at most " << kMaxHeader << " are read");
  std::string text(header_size, '\0');
  GAT_CHECK(src.read(text.data(), header_size) == header_size,
            name << ": truncated .npy header (" << header_size << " bytes announced)");
  NpyHeader h = HeaderParser(text, name).parse();

  GAT_CHECK(h.shape.size() == 1 || h.shape.size() == 2,
            name << ": array of shape " << shape_text(h.shape) << " (" << h.shape.size()
                 << "-D); expected 1 or 2 dimensions");
  h.rows = h.shape[0];
  h.cols = h.shape.size() == 2 ? h.shape[1] : 1;
  // The product of the sizes, in bytes, must fit 62 bits (and so size_t and Eigen's index).
  constexpr std::uint64_t kMaxBytes = std::uint64_t{1} << 62;
  const auto rows = static_cast<std::uint64_t>(h.rows);
  const auto cols = static_cast<std::uint64_t>(h.cols);
  const auto item = static_cast<std::uint64_t>(h.item_size);
  GAT_CHECK(cols == 0 || rows <= kMaxBytes / item / cols,
            name << ": shape " << shape_text(h.shape) << " is too large");
  h.count = rows * cols;
  h.data_bytes = h.count * item;
  const std::string what = "the header's shape " + shape_text(h.shape) + " of " + dtype_name(h) +
                           " needs " + std::to_string(h.data_bytes) + " bytes of data";
  const std::int64_t exact = src.exact_remaining();
  if (exact >= 0) {
    GAT_CHECK(static_cast<std::uint64_t>(exact) >= h.data_bytes,
              name << ": truncated: " << what << ", the file holds " << exact);
    GAT_CHECK(static_cast<std::uint64_t>(exact) == h.data_bytes,
              name << ": " << static_cast<std::uint64_t>(exact) - h.data_bytes
                   << " bytes beyond the array's data: " << what);
  } else {
    GAT_CHECK(h.data_bytes <= src.max_remaining(),
              name << ": truncated: " << what << ", more than the compressed file can hold");
  }
  return h;
}

// ---- .npy data --------------------------------------------------------------------------------

float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t exponent = (h >> 10) & 0x1fu;
  const std::uint32_t mantissa = h & 0x3ffu;
  if (exponent == 0) {  // zero or subnormal: mantissa · 2^-24, exact in float
    const float v = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -v : v;
  }
  const std::uint32_t bits = exponent == 31 ? sign | 0x7f800000u | (mantissa << 13)
                                            : sign | ((exponent + 112) << 23) | (mantissa << 13);
  return std::bit_cast<float>(bits);
}

template <typename T>
T load(const unsigned char* p, bool swap) {
  unsigned char b[sizeof(T)];
  std::memcpy(b, p, sizeof(T));
  if (swap) std::reverse(b, b + sizeof(T));
  T v;
  std::memcpy(&v, b, sizeof(T));
  return v;
}

template <typename T, typename Fn>
void decode_as(const unsigned char* src, std::size_t n, bool swap, std::uint64_t base, Fn& fn) {
  for (std::size_t k = 0; k < n; ++k) fn(base + k, load<T>(src + k * sizeof(T), swap));
}

// Calls fn(flat index in the file, value) for the n items at src, value typed by the dtype
// (float16 as float, bool as std::uint8_t 0 or 1).
template <typename Fn>
void decode(const NpyHeader& h, const unsigned char* src, std::size_t n, std::uint64_t base,
            Fn& fn) {
  const bool s = h.swap;
  switch (h.kind) {
    case Kind::kFloat:
      if (h.item_size == 2) {
        for (std::size_t k = 0; k < n; ++k) {
          fn(base + k, half_to_float(load<std::uint16_t>(src + 2 * k, s)));
        }
      } else if (h.item_size == 4) {
        decode_as<float>(src, n, s, base, fn);
      } else {
        decode_as<double>(src, n, s, base, fn);
      }
      return;
    case Kind::kSigned:
      if (h.item_size == 1) decode_as<std::int8_t>(src, n, s, base, fn);
      if (h.item_size == 2) decode_as<std::int16_t>(src, n, s, base, fn);
      if (h.item_size == 4) decode_as<std::int32_t>(src, n, s, base, fn);
      if (h.item_size == 8) decode_as<std::int64_t>(src, n, s, base, fn);
      return;
    case Kind::kUnsigned:
      if (h.item_size == 1) decode_as<std::uint8_t>(src, n, s, base, fn);
      if (h.item_size == 2) decode_as<std::uint16_t>(src, n, s, base, fn);
      if (h.item_size == 4) decode_as<std::uint32_t>(src, n, s, base, fn);
      if (h.item_size == 8) decode_as<std::uint64_t>(src, n, s, base, fn);
      return;
    case Kind::kBool:
      for (std::size_t k = 0; k < n; ++k) fn(base + k, static_cast<std::uint8_t>(src[k] != 0));
      return;
  }
}

// "[k]" for a 1-D array, "[r, c]" for a 2-D one, of the item at flat index `flat` of the file.
std::string element(const NpyHeader& h, std::uint64_t flat) {
  if (h.shape.size() == 1) return "[" + std::to_string(flat) + "]";
  const auto rows = static_cast<std::uint64_t>(h.rows);
  const auto cols = static_cast<std::uint64_t>(h.cols);
  const std::uint64_t r = h.fortran ? flat % rows : flat / cols;
  const std::uint64_t c = h.fortran ? flat / rows : flat % cols;
  return "[" + std::to_string(r) + ", " + std::to_string(c) + "]";
}

void truncated_data(Source& src, const NpyHeader& h, std::uint64_t got) {
  GAT_FAIL(src.name() << ": truncated: the header's shape " << shape_text(h.shape) << " of "
                      << dtype_name(h) << " needs " << h.data_bytes << " bytes of data, found "
                      << got);
}

// Reads the data in chunks and hands every item to fn; then checks that the data ends there.
template <typename Fn>
void read_items(Source& src, const NpyHeader& h, Fn& fn) {
  const auto item = static_cast<std::size_t>(h.item_size);
  constexpr std::size_t kChunkItems = 1 << 15;
  std::vector<unsigned char> buffer(std::min<std::uint64_t>(h.count, kChunkItems) * item);
  std::uint64_t done = 0;
  while (done < h.count) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(h.count - done, kChunkItems));
    const std::size_t got = src.read(buffer.data(), n * item);
    if (got != n * item) truncated_data(src, h, done * item + got);
    decode(h, buffer.data(), n, done, fn);
    done += n;
  }
  GAT_CHECK(src.at_end(), src.name() << ": bytes beyond the array's data: the header's shape "
                                     << shape_text(h.shape) << " of " << dtype_name(h) << " needs "
                                     << h.data_bytes);
}

template <typename T>
void check_float(const NpyHeader& h, const std::string& name, std::uint64_t flat, T v, float f) {
  if (std::isfinite(f)) return;
  if (std::isnan(v)) GAT_FAIL(name << ": element " << element(h, flat) << " is NaN");
  if (std::isinf(v)) {
    GAT_FAIL(name << ": element " << element(h, flat) << " is " << (v > 0 ? "inf" : "-inf"));
  }
  GAT_FAIL(name << ": element " << element(h, flat) << " = " << v << " is beyond float's range");
}

Matrix<float> npy_matrix(Source& src, const NpyHeader& h) {
  Matrix<float> out(h.rows, h.cols);
  const bool same_layout = !h.fortran || h.rows <= 1 || h.cols <= 1;
  if (h.kind == Kind::kFloat && h.item_size == 4 && !h.swap && same_layout) {
    // float32 in this machine's byte order and row-major: straight into the matrix.
    const std::size_t got = src.read(out.data(), static_cast<std::size_t>(h.data_bytes));
    if (got != h.data_bytes) truncated_data(src, h, got);
    GAT_CHECK(src.at_end(), src.name() << ": bytes beyond the array's data");
    const float* v = out.data();
    for (std::uint64_t k = 0; k < h.count; ++k) {
      if (!std::isfinite(v[k])) check_float(h, src.name(), k, v[k], v[k]);
    }
    return out;
  }
  float* dst = out.data();
  const auto rows = static_cast<std::uint64_t>(h.rows);
  const auto cols = static_cast<std::uint64_t>(h.cols);
  const std::string& name = src.name();
  auto store = [&](std::uint64_t flat, auto value) {
    const std::uint64_t at = h.fortran ? (flat % rows) * cols + flat / rows : flat;
    const auto f = static_cast<float>(value);
    if constexpr (std::is_floating_point_v<decltype(value)>) check_float(h, name, flat, value, f);
    dst[at] = f;
  };
  read_items(src, h, store);
  return out;
}

// Integer items of a 1-D or one-column array; whole floats are accepted.
std::vector<std::int64_t> npy_integers(Source& src, const NpyHeader& h) {
  const std::string& name = src.name();
  GAT_CHECK(h.shape.size() == 1 || h.cols == 1,
            name << ": expected a 1-D array or one column, found shape " << shape_text(h.shape));
  std::vector<std::int64_t> out(static_cast<std::size_t>(h.count));
  auto store = [&](std::uint64_t flat, auto value) {
    using T = decltype(value);
    if constexpr (std::is_floating_point_v<T>) {
      // 2^63 is exact in both float and double; the range is [-2^63, 2^63).
      constexpr double kLimit = 9223372036854775808.0;
      GAT_CHECK(std::isfinite(value) && std::trunc(value) == value &&
                    static_cast<double>(value) >= -kLimit && static_cast<double>(value) < kLimit,
                name << ": element " << element(h, flat) << " = " << value
                     << " is not a whole number in the range of int64");
      out[flat] = static_cast<std::int64_t>(value);
    } else if constexpr (std::is_same_v<T, std::uint64_t>) {
      GAT_CHECK(value <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()),
                name << ": element " << element(h, flat) << " = " << value
                     << " is beyond the range of int64");
      out[flat] = static_cast<std::int64_t>(value);
    } else {
      out[flat] = static_cast<std::int64_t>(value);
    }
  };
  read_items(src, h, store);
  return out;
}

// ---- Text -------------------------------------------------------------------------------------

// Fields are separated by commas when the first line has one, else by runs of blanks.
enum class Separator { kComma, kBlank };

// One line cut into fields; for commas, a field may be "quoted" ("" for a quote inside).
class Fields {
 public:
  Fields(const std::string& path, Separator sep) : path_(path), sep_(sep) {}

  /// Splits `line` (trimmed, non-empty) into fields; raw views, quotes kept (see unquote).
  const std::vector<std::string_view>& split(std::string_view line, std::int64_t line_no) {
    fields_.clear();
    if (sep_ == Separator::kBlank) {
      std::size_t p = 0;
      while (p < line.size()) {
        while (p < line.size() && is_space(line[p])) ++p;
        if (p == line.size()) break;
        const std::size_t begin = p;
        while (p < line.size() && !is_space(line[p])) ++p;
        fields_.push_back(line.substr(begin, p - begin));
      }
      return fields_;
    }
    std::size_t p = 0;
    while (true) {
      while (p < line.size() && is_space(line[p])) ++p;
      std::size_t begin = p;
      std::size_t end = p;
      if (p < line.size() && line[p] == '"') {
        ++p;
        while (true) {
          GAT_CHECK(p < line.size(), path_ << ":" << line_no << ": unterminated quote in field "
                                           << fields_.size() + 1);
          if (line[p] == '"') {
            if (p + 1 < line.size() && line[p + 1] == '"') {
              p += 2;
              continue;
            }
            break;
          }
          ++p;
        }
        end = ++p;
        while (p < line.size() && is_space(line[p])) ++p;
        GAT_CHECK(p == line.size() || line[p] == ',',
                  path_ << ":" << line_no << ": text after the closing quote of field "
                        << fields_.size() + 1);
      } else {
        while (p < line.size() && line[p] != ',') ++p;
        end = p;
        while (end > begin && is_space(line[end - 1])) --end;
      }
      fields_.push_back(line.substr(begin, end - begin));
      if (p == line.size()) break;
      ++p;  // the comma
    }
    return fields_;
  }

 private:
  const std::string& path_;
  Separator sep_;
  std::vector<std::string_view> fields_;
};

// A field's text: outer quotes removed and "" made ".
std::string unquote(std::string_view raw) {
  if (raw.size() < 2 || raw.front() != '"' || raw.back() != '"') return std::string(raw);
  std::string out;
  raw = raw.substr(1, raw.size() - 2);
  for (std::size_t i = 0; i < raw.size(); ++i) {
    out += raw[i];
    if (raw[i] == '"' && i + 1 < raw.size() && raw[i + 1] == '"') ++i;
  }
  return out;
}

// The data lines of a text file: non-blank, not comments; each with its line number.
class DataLines {
 public:
  explicit DataLines(std::string_view text) : lines_(text) {}
  bool next(std::string_view& line) {
    while (lines_.next_nonblank(line)) {
      if (line.front() != '#') return true;
      ++comments_;
    }
    return false;
  }
  std::int64_t line_number() const { return lines_.line_number(); }
  std::int64_t comments() const { return comments_; }  // comment lines skipped so far

 private:
  LineReader lines_;
  std::int64_t comments_ = 0;
};

Separator separator_of(std::string_view text) {
  DataLines lines(text);
  std::string_view line;
  if (lines.next(line) && line.find(',') != std::string_view::npos) return Separator::kComma;
  return Separator::kBlank;
}

std::string plural(std::size_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

// Rows of numbers, optionally after a key column; the first line may be a header.
struct TextRows {
  std::vector<std::string> keys;
  std::vector<std::int64_t> lines;  // (rows) line of each row, when keyed
  Matrix<float> values;             // (rows, value columns)
  std::int64_t rows = 0;
};

TextRows parse_numeric_rows(const std::string& path, std::string_view text, bool keyed) {
  TextRows out;
  const Separator sep = separator_of(text);
  Fields fields(path, sep);
  DataLines lines(text);
  std::string_view line;
  std::unordered_map<std::string, std::int64_t> key_line;
  const std::size_t skip = keyed ? 1 : 0;
  std::size_t width = 0;  // fields per line, fixed by the first
  bool first = true;
  // The matrix is allocated once at its final size, from a count of the data lines, so that a
  // large text file costs its text and the matrix, not a growing buffer and a copy besides.
  std::int64_t data_lines = 0;
  {
    DataLines count(text);
    while (count.next(line)) ++data_lines;
  }
  while (lines.next(line)) {
    const std::int64_t line_no = lines.line_number();
    const auto& f = fields.split(line, line_no);
    if (first) {
      first = false;
      width = f.size();
      GAT_CHECK(width > skip, path << ":" << line_no
                                   << ": expected a node id and at least one value, found "
                                   << plural(width, "column"));
      bool header = false;
      for (std::size_t j = skip; j < width; ++j) header = header || !looks_numeric(unquote(f[j]));
      out.values.resize(data_lines - (header ? 1 : 0), static_cast<Eigen::Index>(width - skip));
      if (keyed) {
        out.keys.reserve(static_cast<std::size_t>(out.values.rows()));
        out.lines.reserve(static_cast<std::size_t>(out.values.rows()));
      }
      if (header) continue;
    }
    if (f.size() != width) {
      if (keyed) {
        GAT_FAIL(path << ":" << line_no << ": expected a node id and " << width - 1
                      << " values, found " << plural(f.size(), "column"));
      }
      GAT_FAIL(path << ":" << line_no << ": expected " << width << " values, found " << f.size());
    }
    for (std::size_t j = skip; j < width; ++j) {
      float v = 0;
      if (!io_detail::parse_finite_float(f[j], v)) {
        GAT_FAIL(path << ":" << line_no << ": column " << j + 1
                      << " is not a finite number: " << shown(f[j]));
      }
      out.values(out.rows, static_cast<Eigen::Index>(j - skip)) = v;
    }
    if (keyed) {
      std::string key = unquote(f[0]);
      GAT_CHECK(!key.empty(), path << ":" << line_no << ": empty node id");
      const auto [it, inserted] = key_line.emplace(key, line_no);
      GAT_CHECK(inserted, path << ":" << line_no << ": duplicate node id " << shown(key)
                               << " (first on line " << it->second << ")");
      out.keys.push_back(std::move(key));
      out.lines.push_back(line_no);
    }
    ++out.rows;
  }
  GAT_CHECK(out.rows > 0, path << ": no rows of values (the file is empty, or holds only blank "
                                  "lines, comments and a header)");
  GAT_CHECK(out.rows == out.values.rows(),
            path << ": read " << out.rows << " rows of " << out.values.rows() << " counted");
  return out;
}

// One integer column of a text file, with the line of each value.
struct TextIntegers {
  std::vector<std::int64_t> values;
  std::vector<std::int64_t> lines;
};

TextIntegers parse_integer_column(const std::string& path, std::string_view text) {
  TextIntegers out;
  Fields fields(path, separator_of(text));
  DataLines lines(text);
  std::string_view line;
  bool first = true;
  while (lines.next(line)) {
    const std::int64_t line_no = lines.line_number();
    const auto& f = fields.split(line, line_no);
    std::int64_t v = 0;
    if (first) {
      first = false;
      if (f.size() == 1 && !parse_whole(f[0], v)) continue;  // a header
    }
    GAT_CHECK(f.size() == 1, path << ":" << line_no << ": expected 1 value, found " << f.size());
    GAT_CHECK(parse_whole(f[0], v), path << ":" << line_no << ": not an integer: " << shown(f[0]));
    out.values.push_back(v);
    out.lines.push_back(line_no);
  }
  return out;
}

}  // namespace

// ---- Public entry points ---------------------------------------------------------------------

Matrix<float> read_matrix(const std::string& path) {
  Opened in = open_array(path);
  if (in.npy) return npy_matrix(*in.npy, read_npy_header(*in.npy));
  return std::move(parse_numeric_rows(in.name, in.text, /*keyed=*/false).values);
}

std::vector<std::int64_t> read_integers(const std::string& path) {
  Opened in = open_array(path);
  if (in.npy) return npy_integers(*in.npy, read_npy_header(*in.npy));
  return parse_integer_column(in.name, in.text).values;
}

std::vector<std::string> npz_members(const std::string& path) {
  const std::string file = find_input(path);
  {
    FileSource probe(file);
    char magic[kMagicSize] = {};
    const std::size_t got = probe.read(magic, kMagicSize);
    GAT_CHECK(format_of(std::string_view(magic, got)) == Format::kZip && probe.plain(),
              file << ": not an .npz (zip) archive");
  }
  ZipPtr zip = open_zip(file);
  std::vector<std::string> out;
  for (auto& e : zip_entries(zip.get())) out.push_back(without_npy(std::move(e.second)));
  return out;
}

KeyedRows read_keyed_matrix(const std::string& path) {
  Opened in = open_array(path);
  GAT_CHECK(!in.npy, in.name << ": a binary array carries no node ids; read it with read_matrix, "
                                "or write the ids in the first column of a text file");
  TextRows rows = parse_numeric_rows(in.name, in.text, /*keyed=*/true);
  KeyedRows out;
  out.keys = std::move(rows.keys);
  out.lines = std::move(rows.lines);
  out.values = std::move(rows.values);
  return out;
}

LabelColumn read_labels(const std::string& path, TextHeader header) {
  Opened in = open_array(path);
  LabelColumn out;
  out.integer = true;
  if (in.npy) {
    const auto values = npy_integers(*in.npy, read_npy_header(*in.npy));
    out.labels.reserve(values.size());
    for (const auto v : values) out.labels.push_back(std::to_string(v));
    return out;
  }
  const std::string& path_shown = in.name;
  Fields fields(path_shown, separator_of(in.text));
  DataLines lines(in.text);
  std::string_view line;
  struct Row {
    std::string_view key, label;
    std::int64_t line;
  };
  std::vector<Row> rows;
  std::size_t width = 0;
  std::int64_t previous_line = 0;
  std::int64_t previous_comments = 0;
  while (lines.next(line)) {
    const std::int64_t line_no = lines.line_number();
    // One label per line in node order: a blank line among them is how pandas writes a missing
    // label, and skipping it would move every later label to the wrong node.
    GAT_CHECK(width != 1 || line_no - previous_line - 1 == lines.comments() - previous_comments,
              path_shown << ":" << line_no - 1
                         << ": blank line among the labels (a missing label?); write nan for a "
                            "node without a label");
    previous_line = line_no;
    previous_comments = lines.comments();
    const auto& f = fields.split(line, line_no);
    if (rows.empty()) {
      width = f.size();
      GAT_CHECK(width == 1 || width == 2,
                path_shown << ":" << line_no
                           << ": expected 1 column (label) or 2 (node id, label), found " << width);
    }
    GAT_CHECK(f.size() == width, path_shown << ":" << line_no << ": expected "
                                            << plural(width, "column") << ", found " << f.size());
    rows.push_back({width == 2 ? f[0] : std::string_view(), f[width - 1], line_no});
  }
  std::size_t first = 0;
  if (header == TextHeader::kPresent) {
    first = rows.empty() ? 0 : 1;
  } else if (header == TextHeader::kAuto && rows.size() >= 2) {
    // A header when a column is integers below its first entry and that entry is not.
    auto integer_below = [&](bool key) {
      std::int64_t v = 0;
      if (parse_int(key ? rows[0].key : rows[0].label, v)) return false;
      for (std::size_t i = 1; i < rows.size(); ++i) {
        if (!parse_int(key ? rows[i].key : rows[i].label, v)) return false;
      }
      return true;
    };
    // Integer node ids under a non-integer first key decide only when that first row also reads
    // as column names ("id,label"): "p1,Theory" over "42,Theory" is two rows of data.
    auto named = [](std::string_view field, std::initializer_list<std::string_view> names) {
      std::string lower(unquote(field));
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return std::find(names.begin(), names.end(), lower) != names.end();
    };
    const bool names_columns =
        width == 2 && (named(rows[0].key, {"id", "node", "node_id", "nodeid", "node id", "index",
                                           "name", "key", "vertex", "paper", "paper_id"}) ||
                       named(rows[0].label, {"label", "labels", "class", "class_label", "y",
                                             "target", "category"}));
    if (integer_below(false) || (names_columns && integer_below(true))) first = 1;
  }
  GAT_CHECK(rows.size() > first, path_shown << ": no labels (the file is empty, or holds only "
                                               "blank lines, comments and a header)");
  std::unordered_map<std::string, std::int64_t> key_line;
  out.labels.reserve(rows.size() - first);
  if (width == 2) out.keys.reserve(rows.size() - first);
  for (std::size_t i = first; i < rows.size(); ++i) {
    const Row& r = rows[i];
    // An empty label ("p1," as pandas writes a missing value) is kept, empty: no label.
    std::string label = unquote(r.label);
    std::int64_t v = 0;
    out.integer = out.integer && (label.empty() || parse_int(label, v));
    out.labels.push_back(std::move(label));
    out.lines.push_back(r.line);
    if (width == 2) {
      std::string key = unquote(r.key);
      GAT_CHECK(!key.empty(), path_shown << ":" << r.line << ": empty node id");
      const auto [it, inserted] = key_line.emplace(key, r.line);
      GAT_CHECK(inserted, path_shown << ":" << r.line << ": duplicate node id " << shown(key)
                                     << " (first on line " << it->second << ")");
      out.keys.push_back(std::move(key));
    }
  }
  return out;
}

Split read_split_file(const std::string& path, const NodeLookup& lookup) {
  const std::string file = find_input(path);
  const std::string text = read_input(file);
  Fields fields(file, separator_of(text));
  DataLines lines(text);
  std::string_view line;
  Split split;
  std::unordered_map<NodeId, std::int64_t> listed_on;  // node -> line that listed it
  while (lines.next(line)) {
    const std::int64_t line_no = lines.line_number();
    const auto& f = fields.split(line, line_no);
    GAT_CHECK(f.size() == 2, file << ":" << line_no
                                  << ": expected 2 columns (node id, train|val|valid|test), found "
                                  << f.size());
    const std::string word = unquote(f[1]);
    std::vector<NodeId>* target = nullptr;
    if (word == "train") {
      target = &split.train;
    } else if (word == "val" || word == "valid") {
      target = &split.val;
    } else if (word == "test") {
      target = &split.test;
    } else {
      GAT_FAIL(file << ":" << line_no << ": unknown split " << shown(word)
                    << "; expected train, val, valid or test");
    }
    const std::string id = unquote(f[0]);
    const NodeId node = lookup ? lookup(id) : -1;
    GAT_CHECK(node >= 0, file << ":" << line_no << ": unknown node " << shown(id));
    const auto [it, inserted] = listed_on.emplace(node, line_no);
    GAT_CHECK(inserted, file << ":" << line_no << ": node " << shown(id)
                             << " is already listed (line " << it->second << ")");
    target->push_back(node);
  }
  for (auto* list : {&split.train, &split.val, &split.test}) std::sort(list->begin(), list->end());
  return split;
}

std::vector<NodeId> read_index_file(const std::string& path, NodeId num_nodes) {
  GAT_CHECK(num_nodes >= 0, path << ": negative node count " << num_nodes);
  Opened in = open_array(path);
  std::vector<std::int64_t> values;
  std::vector<std::int64_t> line_of;  // text only: the line of each value
  if (in.npy) {
    values = npy_integers(*in.npy, read_npy_header(*in.npy));
  } else {
    TextIntegers t = parse_integer_column(in.name, in.text);
    values = std::move(t.values);
    line_of = std::move(t.lines);
  }
  auto where = [&](std::size_t k) {
    return line_of.empty() ? in.name + ": element [" + std::to_string(k) + "]"
                           : in.name + ":" + std::to_string(line_of[k]);
  };
  for (std::size_t k = 0; k < values.size(); ++k) {
    GAT_CHECK(values[k] >= 0 && values[k] < num_nodes,
              where(k) << ": node index " << values[k] << " is outside [0, " << num_nodes << ")");
  }
  // Duplicates by sorting (value, position): memory O(n), whatever N is. The one reported is the
  // earliest second listing in the file.
  std::vector<std::pair<std::int64_t, std::size_t>> order(values.size());
  for (std::size_t k = 0; k < values.size(); ++k) order[k] = {values[k], k};
  std::sort(order.begin(), order.end());
  std::size_t repeat = values.size();
  std::size_t original = 0;
  for (std::size_t k = 1; k < order.size(); ++k) {
    if (order[k].first == order[k - 1].first && order[k].second < repeat) {
      repeat = order[k].second;
      std::size_t g = k - 1;
      while (g > 0 && order[g - 1].first == order[k].first) --g;
      original = order[g].second;
    }
  }
  if (repeat < values.size()) {
    GAT_FAIL(where(repeat) << ": node index " << values[repeat] << " is listed twice (first at "
                           << (line_of.empty() ? "element [" + std::to_string(original) + "]"
                                               : "line " + std::to_string(line_of[original]))
                           << ")");
  }
  std::vector<NodeId> out(order.size());
  for (std::size_t k = 0; k < order.size(); ++k) out[k] = static_cast<NodeId>(order[k].first);
  return out;
}

}  // namespace gat
