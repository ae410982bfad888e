#pragma once
// Helpers of the file-reader tests (tests/io): the message of the error a load throws, gzip
// files, a safetensors file edited, and random byte edits of a valid file for corruption tests.
// Files are written through test::TempDir (temp_dir.hpp).

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstddef>
#include <exception>
#include <random>
#include <string>

#include "gat/core/error.hpp"
#include "gat/io/safetensors.hpp"

namespace gat::test {

/// Gzip-compresses `bytes` into the file at `path` through zlib's own writer; a failed write
/// fails the test.
inline void write_gz(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb6");
  ASSERT_NE(f, nullptr) << path;
  ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())),
            static_cast<int>(bytes.size()));
  ASSERT_EQ(gzclose(f), Z_OK);
}

/// The message of the gat::Error that `load()` throws, or a note saying what happened instead
/// ("no error thrown", or "not a gat::Error: ..."), so that a HasSubstr check on the result
/// fails with a readable value either way.
template <typename Fn>
std::string error_message(Fn&& load) {
  try {
    load();
  } catch (const Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("not a gat::Error: ") + e.what();
  }
  return "no error thrown";
}

/// Rewrites the safetensors file at `path` with `edit` applied to its content (damaged-file
/// tests: a valid file, then one thing changed).
template <typename Edit>
void edit_safetensors(const std::string& path, Edit&& edit) {
  SafetensorsFile file = read_safetensors(path);
  edit(file);
  write_safetensors(path, file);
}

/// Applies one to three random edits to `text`, each at a random position: overwrite one byte,
/// insert one byte (both drawn from `alphabet`, which may hold '\0'), or erase one to four
/// bytes. Stops early if `text` becomes empty. The draws from `rng` are fixed by its state, so a
/// seeded corruption test edits the same bytes on every run.
template <std::size_t K>
void random_edits(std::string& text, std::mt19937& rng, const char (&alphabet)[K]) {
  for (int edit = 1 + static_cast<int>(rng() % 3); edit > 0 && !text.empty(); --edit) {
    const std::size_t at = rng() % text.size();
    const char c = alphabet[rng() % K];
    switch (rng() % 3) {
      case 0:
        text[at] = c;
        break;
      case 1:
        text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), c);
        break;
      default:
        text.erase(at, 1 + rng() % 4);
        break;
    }
  }
}

}  // namespace gat::test
