#pragma once
// Equality of two parsed safetensors files, for the fuzz targets that read one file two ways
// (fuzz_safetensors: parse, serialise, parse again; fuzz_checkpoint_header: from the file and
// from memory) and must get the same content.

#include "gat/io/safetensors.hpp"

namespace gat::fuzz {

/// @brief Same metadata and the same tensors (names, dtypes, shapes, bytes), in name order.
inline bool same_safetensors(const SafetensorsFile& a, const SafetensorsFile& b) {
  if (a.metadata != b.metadata || a.tensors.size() != b.tensors.size()) return false;
  for (auto i = a.tensors.begin(), j = b.tensors.begin(); i != a.tensors.end(); ++i, ++j) {
    if (i->first != j->first || i->second.dtype != j->second.dtype ||
        i->second.shape != j->second.shape || i->second.data != j->second.data) {
      return false;
    }
  }
  return true;
}

}  // namespace gat::fuzz
