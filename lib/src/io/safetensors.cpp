#include "gat/io/safetensors.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <system_error>
#include <utility>

#include "gat/core/error.hpp"
#include "gat/io/output.hpp"

// Tensor bytes are copied to and from memory as they are; the format is little-endian.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "safetensors I/O assumes a little-endian machine");

namespace gat {
namespace {

using json = nlohmann::json;

// The reference implementation's limit: a header this large is not a checkpoint.
constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;
constexpr const char* kMetadataKey = "__metadata__";
// Bounds of the header's JSON, checked before it is parsed (see check_header_structure).
constexpr std::size_t kMaxJsonDepth = 64;
constexpr std::size_t kMaxJsonArray = 64;

std::string errno_text(int err) { return std::generic_category().message(err); }

// A name or string from the file as it appears in a message: quoted, cut short, control bytes
// replaced, so that a hostile header cannot garble the message.
std::string shown(std::string_view s) {
  constexpr std::size_t kMax = 60;
  std::string out = "'";
  for (std::size_t i = 0; i < s.size() && i < kMax; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    out += (c < 0x20 || c == 0x7F) ? '?' : static_cast<char>(c);
  }
  if (s.size() > kMax) out += "...";
  return out + "'";
}

bool parse_dtype(const std::string& s, SafetensorsDtype& dtype) {
  static const std::pair<const char*, SafetensorsDtype> kNames[] = {
      {"F32", SafetensorsDtype::kF32},
      {"F64", SafetensorsDtype::kF64},
      {"I32", SafetensorsDtype::kI32},
      {"I64", SafetensorsDtype::kI64}};
  for (const auto& [name, value] : kNames) {
    if (s == name) {
      dtype = value;
      return true;
    }
  }
  return false;
}

// A JSON value as a non-negative integer that fits int64, or false.
bool as_index(const json& v, std::int64_t& out) {
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return false;
    out = static_cast<std::int64_t>(u);
    return true;
  }
  if (v.is_number_integer()) {
    out = v.get<std::int64_t>();
    return out >= 0;
  }
  return false;
}

// Where one tensor lies in the byte buffer, for the tiling check.
struct Extent {
  std::int64_t begin, end;
  std::string name;
};

// A parsed and checked header: the tensors without their data, and where each one's data lies.
struct Header {
  SafetensorsFile file;
  std::vector<Extent> extents;  // sorted by offset; they tile [0, buffer size)
};

std::uint64_t read_u64_le(const char* p) {
  std::uint64_t v = 0;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// The header length checks, done on the first 8 bytes alone so that a reader can refuse a file
// before reading (or allocating) anything more. `size` is the whole file's size.
void check_header_length(std::uint64_t header_len, std::uint64_t size, const std::string& source) {
  GAT_CHECK(header_len > 0, source << ": the header length is 0 (not a safetensors file?)");
  GAT_CHECK(header_len >= 2, source << ": the header length is " << header_len
                                    << ", too short for a JSON object (not a safetensors file?)");
  GAT_CHECK(header_len <= kMaxHeaderBytes, source << ": the header length " << header_len
                                                  << " exceeds the limit of " << kMaxHeaderBytes
                                                  << " bytes (not a safetensors file?)");
  GAT_CHECK(header_len <= size - 8, source << ": truncated: the header length is " << header_len
                                           << " bytes but only " << size - 8 << " bytes follow it");
}

// A scan of the header text, before the JSON parser builds anything, that bounds what parsing
// can cost: the parser's tree takes tens of bytes per value, so 100 MB of '[' would need GBs.
// A safetensors header nests three deep ({name: {shape: [dims]}}) and its longest arrays are
// shapes, which PyTorch caps at 64 dims; anything deeper or longer is refused here. Brackets
// inside strings do not count; a mismatched bracket is left for the parser to report.
void check_header_structure(std::string_view text, const std::string& source) {
  struct Level {
    bool array;
    std::size_t commas;
  };
  std::vector<Level> open;
  bool in_string = false, escaped = false;
  for (std::size_t k = 0; k < text.size(); ++k) {
    const char c = text[k];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '{':
      case '[':
        GAT_CHECK(open.size() < kMaxJsonDepth,
                  source << ": the header nests JSON deeper than " << kMaxJsonDepth
                         << " levels (a safetensors header nests 3; not a safetensors file?)");
        open.push_back({c == '[', 0});
        break;
      case '}':
      case ']':
        if (!open.empty()) open.pop_back();
        break;
      case ',':
        GAT_CHECK(open.empty() || !open.back().array || ++open.back().commas < kMaxJsonArray,
                  source << ": the header holds a JSON array of more than " << kMaxJsonArray
                         << " elements (shapes have at most " << kMaxJsonArray
                         << " dims; not a safetensors file?)");
        break;
      default:
        break;
    }
  }
}

}  // namespace

const char* dtype_name(SafetensorsDtype dtype) {
  switch (dtype) {
    case SafetensorsDtype::kF32:
      return "F32";
    case SafetensorsDtype::kF64:
      return "F64";
    case SafetensorsDtype::kI32:
      return "I32";
    case SafetensorsDtype::kI64:
      return "I64";
  }
  return "?";
}

std::size_t dtype_size(SafetensorsDtype dtype) {
  return dtype == SafetensorsDtype::kF32 || dtype == SafetensorsDtype::kI32 ? 4 : 8;
}

std::int64_t SafetensorsTensor::numel() const {
  std::int64_t n = 1;
  for (const auto d : shape) n *= d;
  return n;
}

namespace {

// Parses and checks the header text against a byte buffer of `buffer_size` bytes: every
// tensor's dtype, shape and extent, and that the extents tile the buffer. Allocates nothing
// for tensor data.
Header parse_header(std::string_view header_text, std::int64_t buffer_size,
                    const std::string& source) {
  check_header_structure(header_text, source);
  // nlohmann keeps the last of two equal keys; a duplicate tensor name is refused instead, since
  // two readers of such a file could disagree about which tensor it holds.
  std::set<std::string> seen;
  std::string duplicate;
  const json::parser_callback_t on_event = [&](int depth, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::key && depth == 1 && duplicate.empty() &&
        !seen.insert(parsed.get<std::string>()).second) {
      duplicate = parsed.get<std::string>();
    }
    return true;
  };
  json header;
  try {
    header = json::parse(header_text.begin(), header_text.end(), on_event);
  } catch (const json::exception& e) {
    GAT_FAIL(source << ": the header is not valid JSON: " << e.what());
  }
  GAT_CHECK(duplicate.empty(), source << ": the header names " << shown(duplicate) << " twice");
  GAT_CHECK(header.is_object(), source << ": the header is JSON but not an object");

  Header out;
  auto& extents = out.extents;
  for (const auto& [name, entry] : header.items()) {
    if (name == kMetadataKey) {
      GAT_CHECK(entry.is_object(),
                source << ": " << kMetadataKey << " must be an object of strings");
      for (const auto& [key, value] : entry.items()) {
        GAT_CHECK(value.is_string(), source << ": metadata " << shown(key)
                                            << " must be a string, found " << value.type_name());
        out.file.metadata[key] = value.get<std::string>();
      }
      continue;
    }
    const std::string where = source + ": tensor " + shown(name);
    GAT_CHECK(!name.empty(), source << ": a tensor has an empty name");
    GAT_CHECK(entry.is_object(), where << ": expected an object with dtype, shape and "
                                          "data_offsets, found "
                                       << entry.type_name());
    for (const auto& [key, value] : entry.items()) {
      (void)value;
      GAT_CHECK(key == "dtype" || key == "shape" || key == "data_offsets",
                where << ": unknown field " << shown(key));
    }
    GAT_CHECK(entry.contains("dtype") && entry.contains("shape") && entry.contains("data_offsets"),
              where << ": needs the fields dtype, shape and data_offsets");

    SafetensorsTensor tensor;
    const json& dtype = entry["dtype"];
    GAT_CHECK(dtype.is_string(), where << ": dtype must be a string");
    GAT_CHECK(parse_dtype(dtype.get<std::string>(), tensor.dtype),
              where << ": unsupported dtype " << shown(dtype.get<std::string>())
                    << " (gat reads F32, F64, I32 and I64)");

    const json& shape = entry["shape"];
    GAT_CHECK(shape.is_array(), where << ": shape must be an array of non-negative integers");
    // numel · element size must fit int64; checked as it is built, so a hostile shape can
    // neither overflow nor make us allocate.
    std::int64_t nbytes = static_cast<std::int64_t>(dtype_size(tensor.dtype));
    for (const auto& d : shape) {
      std::int64_t dim = 0;
      GAT_CHECK(as_index(d, dim), where << ": shape " << shape.dump()
                                        << " has a dim that is not a non-negative integer");
      GAT_CHECK(!__builtin_mul_overflow(nbytes, dim, &nbytes),
                where << ": shape " << shape.dump() << " is too large");
      tensor.shape.push_back(dim);
    }

    const json& offsets = entry["data_offsets"];
    std::int64_t begin = 0, end = 0;
    GAT_CHECK(offsets.is_array() && offsets.size() == 2 && as_index(offsets[0], begin) &&
                  as_index(offsets[1], end) && begin <= end,
              where << ": data_offsets must be [begin, end] with 0 <= begin <= end, found "
                    << offsets.dump());
    GAT_CHECK(end <= buffer_size, where << ": data_offsets " << offsets.dump()
                                        << " run past the end of the data (" << buffer_size
                                        << " bytes; the file is truncated?)");
    GAT_CHECK(end - begin == nbytes, where << ": data_offsets " << offsets.dump() << " hold "
                                           << end - begin << " bytes but dtype "
                                           << dtype_name(tensor.dtype) << " and shape "
                                           << shape.dump() << " need " << nbytes);
    extents.push_back({begin, end, name});
    out.file.tensors.emplace(name, std::move(tensor));
  }

  // The tensors must tile [0, buffer_size): sorted by offset, each starts where the last ended.
  std::sort(extents.begin(), extents.end(), [](const Extent& a, const Extent& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  std::int64_t cursor = 0;
  const std::string* previous = nullptr;
  for (const auto& x : extents) {
    GAT_CHECK(x.begin >= cursor, source << ": tensor " << shown(x.name) << " overlaps tensor "
                                        << shown(previous ? *previous : std::string()) << " (bytes "
                                        << x.begin << ".." << cursor << ")");
    GAT_CHECK(x.begin == cursor, source << ": a gap of " << x.begin - cursor
                                        << " unused bytes before tensor " << shown(x.name));
    cursor = x.end;
    previous = &x.name;
  }
  GAT_CHECK(cursor == buffer_size, source << ": " << buffer_size - cursor
                                          << " bytes after the last tensor belong to none "
                                             "(a gap, or a file with extra data)");

  return out;
}

}  // namespace

SafetensorsFile parse_safetensors(std::string_view bytes, const std::string& source) {
  const auto size = static_cast<std::uint64_t>(bytes.size());
  GAT_CHECK(size >= 8, source << ": truncated: " << size
                              << " bytes, but a safetensors file starts with an 8-byte header "
                                 "length");
  const std::uint64_t header_len = read_u64_le(bytes.data());
  check_header_length(header_len, size, source);
  const auto buffer_size = static_cast<std::int64_t>(size - 8 - header_len);
  Header header = parse_header(bytes.substr(8, header_len), buffer_size, source);
  // Only now that every extent is known to lie inside the buffer is anything allocated.
  const char* buffer = bytes.data() + 8 + header_len;
  for (const auto& x : header.extents) {
    header.file.tensors.at(x.name).data.assign(buffer + x.begin, buffer + x.end);
  }
  return std::move(header.file);
}

namespace {

// Reads exactly `n` bytes at `offset`; a short read means the file shrank while we read it.
void read_exactly(int fd, char* out, std::size_t n, std::uint64_t offset, const std::string& path) {
  while (n > 0) {
    const ssize_t got = pread(fd, out, n, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      const int err = errno;
      GAT_FAIL(path << ": cannot read file (" << errno_text(err) << ")");
    }
    GAT_CHECK(got > 0, path << ": the file became shorter while it was read");
    out += got;
    n -= static_cast<std::size_t>(got);
    offset += static_cast<std::uint64_t>(got);
  }
}

struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) close(fd);
  }
};

const char* file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

}  // namespace

SafetensorsFile read_safetensors(const std::string& path) {
  // stat before open: opening a FIFO for reading blocks until a writer comes, and /dev/zero
  // never ends, so anything but a regular file is refused without being opened.
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    GAT_FAIL(path << ": cannot open file (" << errno_text(err) << ")");
  }
  GAT_CHECK(S_ISREG(st.st_mode), path << ": cannot read a checkpoint from " << file_kind(st.st_mode)
                                      << "; give a regular safetensors file");
  // O_NONBLOCK: should the path have become a FIFO since the stat, open still returns at once
  // (and the fstat below refuses it).
  const FdCloser file{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)};
  if (file.fd < 0) {
    const int err = errno;
    GAT_FAIL(path << ": cannot open file (" << errno_text(err) << ")");
  }
  GAT_CHECK(fstat(file.fd, &st) == 0 && S_ISREG(st.st_mode),
            path << ": cannot read a checkpoint from " << file_kind(st.st_mode)
                 << "; give a regular safetensors file");
  // The size comes from the file system, and the header length is checked against it (and the
  // 100 MB cap) from the first 8 bytes alone, so a file of zeros or a lying length is refused
  // before anything else is read, and nothing below allocates more than the file holds.
  const auto size = static_cast<std::uint64_t>(st.st_size);
  GAT_CHECK(size >= 8, path << ": truncated: " << size
                            << " bytes, but a safetensors file starts with an 8-byte header "
                               "length");
  char len_bytes[8];
  read_exactly(file.fd, len_bytes, sizeof len_bytes, 0, path);
  const std::uint64_t header_len = read_u64_le(len_bytes);
  check_header_length(header_len, size, path);
  std::string header_text(static_cast<std::size_t>(header_len), '\0');
  read_exactly(file.fd, header_text.data(), header_text.size(), 8, path);
  Header header = parse_header(header_text, static_cast<std::int64_t>(size - 8 - header_len), path);
  // The tensors tile the rest of the file exactly, so their sizes add up to what stat saw.
  for (const auto& x : header.extents) {
    auto& data = header.file.tensors.at(x.name).data;
    data.resize(static_cast<std::size_t>(x.end - x.begin));
    read_exactly(file.fd, reinterpret_cast<char*>(data.data()), data.size(),
                 8 + header_len + static_cast<std::uint64_t>(x.begin), path);
  }
  return std::move(header.file);
}

std::string serialize_safetensors(const SafetensorsFile& file) {
  json header = json::object();
  std::int64_t offset = 0;
  for (const auto& [name, tensor] : file.tensors) {
    GAT_CHECK(!name.empty() && name != kMetadataKey,
              "safetensors: invalid tensor name " << shown(name));
    std::int64_t nbytes = static_cast<std::int64_t>(dtype_size(tensor.dtype));
    for (const auto d : tensor.shape) {
      GAT_CHECK(d >= 0 && !__builtin_mul_overflow(nbytes, d, &nbytes),
                "safetensors: tensor " << shown(name) << " has an invalid shape");
    }
    GAT_CHECK(static_cast<std::int64_t>(tensor.data.size()) == nbytes,
              "safetensors: tensor " << shown(name) << " holds " << tensor.data.size()
                                     << " bytes but its dtype and shape need " << nbytes);
    header[name] = {{"dtype", dtype_name(tensor.dtype)},
                    {"shape", tensor.shape},
                    {"data_offsets", {offset, offset + nbytes}}};
    offset += nbytes;
  }
  if (!file.metadata.empty()) header[kMetadataKey] = file.metadata;
  std::string text;
  try {
    text = header.dump();
  } catch (const json::exception& e) {  // e.g. a name or metadata value that is not UTF-8
    GAT_FAIL("safetensors: cannot encode the header: " << e.what());
  }
  // Spaces after the JSON keep the tensor data 8-byte aligned, as the format recommends.
  text.append((8 - text.size() % 8) % 8, ' ');

  std::string out;
  out.reserve(8 + text.size() + static_cast<std::size_t>(offset));
  const std::uint64_t len = text.size();
  out.append(reinterpret_cast<const char*>(&len), sizeof len);
  out += text;
  for (const auto& [name, tensor] : file.tensors) {
    out.append(reinterpret_cast<const char*>(tensor.data.data()), tensor.data.size());
  }
  return out;
}

void write_safetensors(const std::string& path, const SafetensorsFile& file) {
  write_output(path, serialize_safetensors(file));
}

template <typename T>
SafetensorsTensor tensor_from_matrix(MatrixCRef<T> m) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>);
  SafetensorsTensor t;
  t.dtype = std::is_same_v<T, float> ? SafetensorsDtype::kF32 : SafetensorsDtype::kF64;
  t.shape = {static_cast<std::int64_t>(m.rows()), static_cast<std::int64_t>(m.cols())};
  t.data.resize(static_cast<std::size_t>(m.size()) * sizeof(T));
  // A Ref may have an outer stride; copy row by row (rows are contiguous in row-major).
  for (Eigen::Index r = 0; r < m.rows(); ++r) {
    if (m.cols() == 0) break;
    std::memcpy(t.data.data() + static_cast<std::size_t>(r * m.cols()) * sizeof(T),
                m.data() + r * m.outerStride(), static_cast<std::size_t>(m.cols()) * sizeof(T));
  }
  return t;
}

template <typename T>
Matrix<T> tensor_to_matrix(const SafetensorsTensor& tensor, const std::string& what) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>);
  const auto want = std::is_same_v<T, float> ? SafetensorsDtype::kF32 : SafetensorsDtype::kF64;
  GAT_CHECK(tensor.dtype == want,
            what << ": dtype " << dtype_name(tensor.dtype) << ", expected " << dtype_name(want));
  GAT_CHECK(tensor.shape.size() == 1 || tensor.shape.size() == 2,
            what << ": expected a 1-D or 2-D tensor, found " << tensor.shape.size() << " dims");
  const std::int64_t rows = tensor.shape.size() == 2 ? tensor.shape[0] : 1;
  const std::int64_t cols = tensor.shape.back();
  GAT_CHECK(tensor.data.size() == static_cast<std::size_t>(rows * cols) * sizeof(T),
            what << ": " << tensor.data.size() << " bytes do not match its shape");
  Matrix<T> m(rows, cols);
  if (m.size() > 0) std::memcpy(m.data(), tensor.data.data(), tensor.data.size());
  return m;
}

template SafetensorsTensor tensor_from_matrix<float>(MatrixCRef<float>);
template SafetensorsTensor tensor_from_matrix<double>(MatrixCRef<double>);
template Matrix<float> tensor_to_matrix<float>(const SafetensorsTensor&, const std::string&);
template Matrix<double> tensor_to_matrix<double>(const SafetensorsTensor&, const std::string&);

}  // namespace gat
