#pragma once
// Reader and writer of the safetensors format, the tensor container PyTorch users read with
// `safetensors.torch.load_file` (or with nothing but json and numpy):
//
//   [8 bytes]  N, the header length, unsigned 64-bit little-endian
//   [N bytes]  JSON header, UTF-8, padded with spaces so that 8 + N is a multiple of 8:
//                {"<name>": {"dtype": "F32", "shape": [d0, d1, ...], "data_offsets": [b, e]},
//                 ...,
//                 "__metadata__": {"<key>": "<string value>", ...}}
//   [rest]     the byte buffer: tensor <name> is bytes [b, e) of it, little-endian, row-major
//              (C order). The tensors tile the buffer exactly: no gaps, no overlaps, and the
//              buffer ends where the last tensor ends.
//
// Only the dtypes the library needs are supported: F32, F64, I32 and I64. Reading validates
// everything before trusting it (lengths against the file size, offsets against shapes), so a
// truncated or hostile file gives a gat::Error naming the file and the problem, never a crash
// or an allocation larger than the file. Reading a file looks at its 8-byte header length
// before anything else, and bounds the header's JSON (nesting depth, array length) before
// parsing it, so a hostile file is refused in milliseconds. Writing goes through write_output
// (gat/io/output.hpp): atomic for regular files.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "gat/core/types.hpp"

namespace gat {

/// Element types of a safetensors tensor that gat reads and writes.
enum class SafetensorsDtype { kF32, kF64, kI32, kI64 };

/// @brief The header name of a dtype ("F32", "F64", "I32", "I64").
const char* dtype_name(SafetensorsDtype dtype);
/// @brief Bytes per element of a dtype (4 or 8).
std::size_t dtype_size(SafetensorsDtype dtype);

/// @brief One tensor: dtype, shape and its raw little-endian bytes in row-major order.
struct SafetensorsTensor {
  SafetensorsDtype dtype = SafetensorsDtype::kF32;
  std::vector<std::int64_t> shape;  // a scalar has an empty shape and one element
  std::vector<unsigned char> data;  // (numel · dtype_size) bytes

  /// @brief Product of the shape (1 for a scalar).
  std::int64_t numel() const;
};

/// @brief The content of a safetensors file: named tensors and string metadata.
/// Tensors are kept sorted by name, which is also the order in which they are written.
struct SafetensorsFile {
  std::map<std::string, SafetensorsTensor> tensors;
  std::map<std::string, std::string> metadata;  // the "__metadata__" object
};

/// @brief Reads and validates a safetensors file.
/// Throws gat::Error starting with `path` and saying what is wrong for: a file that cannot be
/// opened or read, a path that is not a regular file (a FIFO, a device, a folder: refused
/// without being opened, so nothing blocks or grows), fewer than 8 bytes, a header length of
/// 0 or 1, beyond the file or above 100 MB (checked before the rest is read), a header nested
/// deeper than 64 levels or with an array of more than 64 elements,
/// malformed JSON, a duplicate or empty tensor name, an unknown dtype, negative or overflowing
/// dims, data_offsets that are malformed, out of range, do not match dtype × shape, overlap or
/// leave a gap, and non-string metadata.
SafetensorsFile read_safetensors(const std::string& path);

/// @brief Parses the bytes of a safetensors file held in memory; `source` names it in errors.
/// Same checks as read_safetensors.
SafetensorsFile parse_safetensors(std::string_view bytes, const std::string& source);

/// @brief The bytes of a safetensors file holding `file`: tensors in name order, header padded
/// with spaces to a multiple of 8 bytes. Throws gat::Error if a tensor's data size does not
/// match its dtype and shape, a dim is negative, a name is empty or "__metadata__".
std::string serialize_safetensors(const SafetensorsFile& file);

/// @brief Serializes `file` and writes it to `path` with write_output (atomic for a regular
/// file: a crash leaves the previous file intact).
void write_safetensors(const std::string& path, const SafetensorsFile& file);

/// @brief A 2-D tensor (rows, cols) of dtype F32 (float) or F64 (double) holding `m`.
template <typename T>
SafetensorsTensor tensor_from_matrix(MatrixCRef<T> m);

/// @brief The values of a 2-D F32/F64 tensor as a (rows, cols) matrix of T; a 1-D tensor (n)
/// becomes (1, n). Throws gat::Error naming `what` if the dtype is not T's or the rank is not
/// 1 or 2.
template <typename T>
Matrix<T> tensor_to_matrix(const SafetensorsTensor& tensor, const std::string& what);

}  // namespace gat
