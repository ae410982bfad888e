#include "gat/io/arrays.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zip.h>
#include <zlib.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gat/core/error.hpp"
#include "support/io_fixtures.hpp"
#include "support/temp_dir.hpp"

namespace gat {
namespace {

using test::write_gz;

using test::error_message;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// ---- Fixtures ------------------------------------------------------------------------------

// A file of tests/io/data, written by numpy (tests/io/data/make_arrays.py).
std::string fixture(const char* name) {
  return (std::filesystem::path(__FILE__).parent_path() / "data" / name).string();
}

// The (3, 4) matrix of the numpy fixtures: value = 10 * row + col + 0.5.
Matrix<float> fixture_features() {
  Matrix<float> m(3, 4);
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 4; ++c) m(r, c) = static_cast<float>(10 * r + c) + 0.5f;
  }
  return m;
}

// The header dict of a .npy file, as numpy writes it.
std::string dict(const std::string& descr, bool fortran, const std::string& shape) {
  return "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") +
         ", 'shape': " + shape + ", }";
}

// A whole .npy file: magic, version, header length, the header padded with spaces and a newline
// to a multiple of 64 bytes (as numpy pads it), then `data`.
std::string npy(const std::string& header, const std::string& data, int major = 1) {
  const std::size_t length_size = major == 1 ? 2 : 4;
  const std::size_t prefix = 8 + length_size;
  std::string h = header;
  const std::size_t total = prefix + h.size() + 1;
  h += std::string((64 - total % 64) % 64, ' ') + "\n";
  std::string out = "\x93NUMPY";
  out += static_cast<char>(major);
  out += '\0';
  for (std::size_t i = 0; i < length_size; ++i)
    out += static_cast<char>((h.size() >> (8 * i)) & 0xff);
  return out + h + data;
}

// The bytes of `values` as type T, little- or big-endian.
template <typename T>
std::string raw(std::initializer_list<T> values, bool big = false) {
  std::string out;
  for (const T v : values) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    if (big) std::reverse(b, b + sizeof(T));
    out.append(b, sizeof(T));
  }
  return out;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A zip archive at `path` holding `members` (name, bytes), stored or deflated, through libzip.
void write_zip(const std::string& path,
               const std::vector<std::pair<std::string, std::string>>& members, bool deflate) {
  int code = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &code);
  ASSERT_NE(z, nullptr);
  for (const auto& [name, bytes] : members) {
    zip_source_t* s = zip_source_buffer(z, bytes.data(), bytes.size(), 0);
    ASSERT_NE(s, nullptr);
    const zip_int64_t i = zip_file_add(z, name.c_str(), s, ZIP_FL_OVERWRITE);
    ASSERT_GE(i, 0);
    ASSERT_EQ(zip_set_file_compression(z, static_cast<zip_uint64_t>(i),
                                       deflate ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0),
              0);
  }
  ASSERT_EQ(zip_close(z), 0) << zip_strerror(z);  // writes while `members` is alive
}

class Arrays : public ::testing::Test {
 protected:
  test::TempDir tmp_{"gat_arrays_test"};

  // Writes `bytes` to a file of the temporary folder and returns its path.
  std::string put(const std::string& name, const std::string& bytes) {
    tmp_.write(name, bytes);
    return tmp_.path(name);
  }
  std::string matrix_error(const std::string& name, const std::string& bytes) {
    const std::string path = put(name, bytes);
    return error_message([&] { read_matrix(path); });
  }
  std::string integers_error(const std::string& name, const std::string& bytes) {
    const std::string path = put(name, bytes);
    return error_message([&] { read_integers(path); });
  }
};

// ---- .npy written by numpy -----------------------------------------------------------------

TEST_F(Arrays, NumpyFloat32COrder) {
  EXPECT_EQ(read_matrix(fixture("features_f32.npy")), fixture_features());
}

TEST_F(Arrays, NumpyFloat64FortranOrderIsTransposedIntoRowMajor) {
  EXPECT_EQ(read_matrix(fixture("features_f64_fortran.npy")), fixture_features());
}

TEST_F(Arrays, NumpyBigEndian) {
  EXPECT_EQ(read_matrix(fixture("features_f32_big.npy")), fixture_features());
}

TEST_F(Arrays, NumpyFloat16) {
  Matrix<float> expected(2, 2);
  expected << 1.5f, -2.0f, 0.0f, 65504.0f;
  EXPECT_EQ(read_matrix(fixture("half.npy")), expected);
}

TEST_F(Arrays, NumpyInt64Labels) {
  EXPECT_THAT(read_integers(fixture("labels_i64.npy")), ElementsAre(3, 0, 2, 2, 1));
  const LabelColumn labels = read_labels(fixture("labels_i64.npy"));
  EXPECT_THAT(labels.keys, IsEmpty());
  EXPECT_THAT(labels.labels, ElementsAre("3", "0", "2", "2", "1"));
  EXPECT_TRUE(labels.integer);
  // A 1-D array of n is an (n, 1) matrix.
  const Matrix<float> m = read_matrix(fixture("labels_i64.npy"));
  ASSERT_EQ(m.rows(), 5);
  ASSERT_EQ(m.cols(), 1);
  EXPECT_EQ(m(0, 0), 3.0f);
  EXPECT_EQ(m(4, 0), 1.0f);
}

TEST_F(Arrays, NumpyBool) {
  EXPECT_THAT(read_integers(fixture("mask_bool.npy")), ElementsAre(1, 0, 0, 1));
  const Matrix<float> m = read_matrix(fixture("mask_bool.npy"));
  EXPECT_EQ(m.rows(), 4);
  EXPECT_EQ(m(3, 0), 1.0f);
}

// ---- .npz ----------------------------------------------------------------------------------

TEST_F(Arrays, NpzStoredAndDeflatedMembersByName) {
  for (const char* name : {"arrays.npz", "arrays_compressed.npz"}) {
    SCOPED_TRACE(name);
    const std::string path = fixture(name);
    EXPECT_EQ(read_matrix(path + ":x"), fixture_features());
    EXPECT_EQ(read_matrix(path + ":x.npy"), fixture_features());
    EXPECT_THAT(read_integers(path + ":y"), ElementsAre(3, 0, 2, 2, 1));
    EXPECT_THAT(npz_members(path), ElementsAre("x", "y"));
  }
}

TEST_F(Arrays, NpzWithOneMemberNeedsNoName) {
  EXPECT_THAT(read_integers(fixture("single.npz")), ElementsAre(3, 0, 2, 2, 1));
  EXPECT_THAT(read_integers(fixture("single.npz") + ":arr_0"), ElementsAre(3, 0, 2, 2, 1));
}

TEST_F(Arrays, NpzMemberErrorsListTheMembers) {
  const std::string path = fixture("arrays.npz");
  EXPECT_THAT(error_message([&] { read_matrix(path); }),
              AllOf(HasSubstr(path + ": the .npz archive holds 2 arrays ('x', 'y')"),
                    HasSubstr(path + ":NAME")));
  EXPECT_THAT(error_message([&] { read_matrix(path + ":z"); }),
              HasSubstr(path + ": no array 'z' in the .npz archive (it holds 'x', 'y')"));
  const std::string npy_path = fixture("features_f32.npy");
  EXPECT_THAT(error_message([&] { read_matrix(npy_path + ":x"); }),
              HasSubstr(npy_path + ": not an .npz archive, so it has no member 'x'"));
  EXPECT_THAT(error_message([&] { npz_members(npy_path); }), HasSubstr("not an .npz (zip)"));
  EXPECT_THAT(error_message([&] { read_matrix(path + ":"); }), HasSubstr("no member named"));
}

TEST_F(Arrays, NpzMessagesNameTheMember) {
  const std::string path = tmp_.path("bad.npz");
  write_zip(path, {{"a.npy", npy(dict("<f4", false, "(2,)"), raw<float>({1.0f, NAN}))}}, true);
  EXPECT_THAT(error_message([&] { read_matrix(path); }),
              HasSubstr(path + " (member 'a.npy'): element [1] is NaN"));
}

TEST_F(Arrays, NpzHandBuiltArchives) {
  const std::string path = tmp_.path("built.npz");
  const std::string ints = npy(dict("<i4", false, "(3,)"), raw<std::int32_t>({7, -1, 4}));
  for (const bool deflate : {false, true}) {
    write_zip(path, {{"ids.npy", ints}}, deflate);
    EXPECT_THAT(read_integers(path), ElementsAre(7, -1, 4));
  }
  write_zip(path, {{"notes.txt", "hello world"}}, false);
  EXPECT_THAT(error_message([&] { read_matrix(path); }),
              HasSubstr("(member 'notes.txt'): not a .npy array"));
  // An empty archive is its end record alone (libzip writes no file for it).
  EXPECT_THAT(matrix_error("empty.npz", std::string("PK\x05\x06", 4) + std::string(18, '\0')),
              HasSubstr("empty.npz: the .npz archive holds no arrays"));
}

TEST_F(Arrays, NpzCorruptArchives) {
  const std::string good = read_bytes(fixture("arrays.npz"));
  // A flipped byte inside the stored data of member x: libzip's CRC check refuses it.
  std::string flipped = good;
  const std::size_t at = flipped.find("x.npy") + 5 + 128 + 20;  // into x's float data
  ASSERT_LT(at, flipped.size());
  flipped[at] = static_cast<char>(flipped[at] ^ 0x40);
  const std::string flipped_path = put("flipped.npz", flipped);
  EXPECT_THAT(error_message([&] { read_matrix(flipped_path + ":x"); }),
              HasSubstr("(member 'x.npy')"));
  // Cut short: the central directory is gone.
  EXPECT_THAT(matrix_error("cut.npz", good.substr(0, good.size() / 2)),
              HasSubstr("not a readable .npz (zip) archive"));
  // gzip around a zip archive.
  write_gz(tmp_.path("packed.npz"), good);
  EXPECT_THAT(error_message([&] { read_matrix(tmp_.path("packed.npz") + ":x"); }),
              HasSubstr("a gzip-compressed zip archive"));
}

// ---- .npy built here: every dtype, versions, layouts ----------------------------------------

TEST_F(Arrays, EveryIntegerDtypeInBothByteOrders) {
  for (const bool big : {false, true}) {
    const std::string o = big ? ">" : "<";
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"|i1", raw<std::int8_t>({5, -3, 100})},
        {o + "i2", raw<std::int16_t>({5, -3, 100}, big)},
        {o + "i4", raw<std::int32_t>({5, -3, 100}, big)},
        {o + "i8", raw<std::int64_t>({5, -3, 100}, big)},
    };
    for (const auto& [descr, data] : cases) {
      SCOPED_TRACE(descr);
      const std::string path = put("a.npy", npy(dict(descr, false, "(3,)"), data));
      EXPECT_THAT(read_integers(path), ElementsAre(5, -3, 100));
      const Matrix<float> m = read_matrix(path);
      EXPECT_EQ(m(1, 0), -3.0f);
    }
    const std::vector<std::pair<std::string, std::string>> unsigned_cases = {
        {"|u1", raw<std::uint8_t>({5, 250, 0})},
        {o + "u2", raw<std::uint16_t>({5, 250, 0}, big)},
        {o + "u4", raw<std::uint32_t>({5, 250, 0}, big)},
        {o + "u8", raw<std::uint64_t>({5, 250, 0}, big)},
    };
    for (const auto& [descr, data] : unsigned_cases) {
      SCOPED_TRACE(descr);
      const std::string path = put("a.npy", npy(dict(descr, false, "(3, 1)"), data));
      EXPECT_THAT(read_integers(path), ElementsAre(5, 250, 0));
    }
  }
}

TEST_F(Arrays, EveryFloatDtypeInBothByteOrders) {
  for (const bool big : {false, true}) {
    const std::string o = big ? ">" : "<";
    Matrix<float> expected(2, 2);
    expected << 1.5f, -2.0f, 0.25f, 1e-3f;
    // float16: 1.5, -2, 0.25 exactly, and 0x1418 ~ 0.0010004 (the nearest half to 1e-3).
    const std::string half = raw<std::uint16_t>({0x3e00, 0xc000, 0x3400, 0x1418}, big);
    Matrix<float> expected_half = expected;
    expected_half(1, 1) = std::ldexp(1.0f + 24.0f / 1024.0f, -10);
    EXPECT_EQ(read_matrix(put("h.npy", npy(dict(o + "f2", false, "(2, 2)"), half))), expected_half);
    EXPECT_EQ(read_matrix(put("f.npy", npy(dict(o + "f4", false, "(2, 2)"),
                                           raw<float>({1.5f, -2.0f, 0.25f, 1e-3f}, big)))),
              expected);
    EXPECT_EQ(read_matrix(put("d.npy", npy(dict(o + "f8", false, "(2, 2)"),
                                           raw<double>({1.5, -2.0, 0.25, 1e-3}, big)))),
              expected);
    // Fortran order: the file lists columns.
    EXPECT_EQ(read_matrix(put("f.npy", npy(dict(o + "f4", true, "(2, 2)"),
                                           raw<float>({1.5f, 0.25f, -2.0f, 1e-3f}, big)))),
              expected);
  }
  // Half-precision subnormals, zeros and the largest value.
  const std::string path = put("h.npy", npy(dict("<f2", false, "(4,)"),
                                            raw<std::uint16_t>({0x0001, 0x8000, 0x7bff, 0x03ff})));
  const Matrix<float> m = read_matrix(path);
  EXPECT_EQ(m(0, 0), std::ldexp(1.0f, -24));
  EXPECT_EQ(m(1, 0), 0.0f);
  EXPECT_TRUE(std::signbit(m(1, 0)));
  EXPECT_EQ(m(2, 0), 65504.0f);
  EXPECT_EQ(m(3, 0), std::ldexp(1023.0f, -24));
}

TEST_F(Arrays, FormatVersions2And3AndHeaderSpellings) {
  const std::string data = raw<float>({1, 2, 3, 4, 5, 6});
  Matrix<float> expected(2, 3);
  expected << 1, 2, 3, 4, 5, 6;
  for (const int major : {1, 2, 3}) {
    EXPECT_EQ(read_matrix(put("v.npy", npy(dict("<f4", false, "(2, 3)"), data, major))), expected);
  }
  // Keys in any order, double quotes, no trailing comma, Python 2's long integers.
  const std::string odd = "{\"shape\": (2L, 3L), \"fortran_order\": False, \"descr\": \"<f4\"}";
  EXPECT_EQ(read_matrix(put("odd.npy", npy(odd, data))), expected);
  // Fortran order with one row or one column is the same layout as C order.
  EXPECT_EQ(read_matrix(put("col.npy", npy(dict("<f4", true, "(6, 1)"), data))).col(0)(5), 6.0f);
}

TEST_F(Arrays, EmptyArrays) {
  const Matrix<float> m = read_matrix(put("e.npy", npy(dict("<f4", false, "(0, 3)"), "")));
  EXPECT_EQ(m.rows(), 0);
  EXPECT_EQ(m.cols(), 3);
  EXPECT_THAT(read_integers(put("e.npy", npy(dict("<i8", false, "(0,)"), ""))), IsEmpty());
}

TEST_F(Arrays, LargeFloat32ReadStraightIntoTheMatrix) {
  Matrix<float> values(700, 300);
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> dist(-1e6f, 1e6f);
  for (Eigen::Index k = 0; k < values.size(); ++k) values.data()[k] = dist(rng);
  const std::string data(reinterpret_cast<const char*>(values.data()),
                         static_cast<std::size_t>(values.size()) * sizeof(float));
  const std::string path = put("big.npy", npy(dict("<f4", false, "(700, 300)"), data));
  EXPECT_EQ(read_matrix(path), values);
  // The same file gzip-compressed, found without its ".gz".
  write_gz(tmp_.path("packed.npy.gz"), read_bytes(path));
  EXPECT_EQ(read_matrix(tmp_.path("packed.npy")), values);
}

// ---- .npy errors ---------------------------------------------------------------------------

TEST_F(Arrays, NpyHeaderErrors) {
  const std::string f4 = raw<float>({1, 2});
  EXPECT_THAT(matrix_error("a.npy", std::string("\x93NUMPY\x01", 7)),
              HasSubstr("a.npy: truncated .npy header"));
  EXPECT_THAT(matrix_error("a.npy", std::string("\x93NUMPY\x04\x00\x10\x00", 10)),
              HasSubstr("a.npy: .npy format version 4.0 is not read"));
  EXPECT_THAT(matrix_error("a.npy", std::string("\x93NUMPY\x01\x00\x40\x00{'descr'", 17)),
              HasSubstr("truncated .npy header (64 bytes announced)"));
  EXPECT_THAT(matrix_error("a.npy", std::string("\x93NUMPY\x02\x00\xff\xff\xff\x7f", 12)),
              HasSubstr("at most 65536 are read"));
  EXPECT_THAT(matrix_error("a.npy", npy("{'descr': '<f4', 'shape': (2,), }", f4)),
              HasSubstr("malformed .npy header (it lacks 'fortran_order')"));
  EXPECT_THAT(matrix_error("a.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), "
                                        "'extra': 1}",
                                        f4)),
              HasSubstr("malformed .npy header (unexpected key 'extra')"));
  EXPECT_THAT(matrix_error("a.npy", npy("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}", f4)),
              HasSubstr("'fortran_order' is not True or False"));
  EXPECT_THAT(matrix_error("a.npy", npy(dict("<f4", false, "(-2,)"), f4)),
              HasSubstr("the shape holds something other than a size"));
  EXPECT_THAT(matrix_error("a.npy", npy(dict("<f4", false, "(2,)") + " x", f4)),
              HasSubstr("text after the closing '}'"));
  EXPECT_THAT(matrix_error("a.npy", npy("[1, 2]", f4)), HasSubstr("expected '{'"));
  EXPECT_THAT(
      matrix_error("a.npy", npy("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False}", f4)),
      HasSubstr("'descr' given twice"));
}

TEST_F(Arrays, UnsupportedDtypesAreNamed) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"|O", "dtype '|O' (Python objects)"},
      {"<U5", "dtype '<U5' (strings)"},
      {"|S3", "dtype '|S3' (strings)"},
      {"<c8", "dtype '<c8' (complex numbers)"},
      {"<M8[ns]", "dtype '<M8[ns]' (dates"},
      {"|V8", "dtype '|V8' (raw or structured"},
      {"<f3", "dtype '<f3' (an unsupported size)"},
      {"<i16", "(an unsupported size)"},
      {"|f4", "dtype '|f4' has no byte order"},
      {"xf4", "dtype 'xf4' (not a numpy dtype)"},
      {"f", "dtype 'f' is not a numpy dtype"},
  };
  for (const auto& [descr, message] : cases) {
    SCOPED_TRACE(descr);
    EXPECT_THAT(matrix_error("a.npy", npy(dict(descr, false, "(1,)"), "12345678")),
                HasSubstr(message));
  }
  EXPECT_THAT(matrix_error("a.npy", npy("{'descr': [('a', '<f4'), ('b', '<i4')], "
                                        "'fortran_order': False, 'shape': (1,), }",
                                        "12345678")),
              HasSubstr("(a structured dtype) is not read"));
}

TEST_F(Arrays, ShapesOtherThanOneOrTwoDimensionsAreRefused) {
  EXPECT_THAT(matrix_error("a.npy", npy(dict("<f4", false, "()"), raw<float>({1}))),
              HasSubstr("a.npy: array of shape () (0-D); expected 1 or 2 dimensions"));
  EXPECT_THAT(matrix_error("a.npy", npy(dict("<f4", false, "(2, 1, 1)"), raw<float>({1, 2}))),
              HasSubstr("array of shape (2, 1, 1) (3-D)"));
}

TEST_F(Arrays, DataSizeMustMatchTheShape) {
  EXPECT_THAT(
      matrix_error("a.npy", npy(dict("<f4", false, "(3, 4)"), std::string(40, '\0'))),
      HasSubstr("a.npy: truncated: the header's shape (3, 4) of float32 needs 48 bytes of data, "
                "the file holds 40"));
  EXPECT_THAT(matrix_error("a.npy", npy(dict("<f4", false, "(2,)"), std::string(9, '\0'))),
              HasSubstr("a.npy: 1 bytes beyond the array's data"));
  EXPECT_THAT(matrix_error("a.npy", npy(dict("<f4", false, "(4611686018427387904, 8)"), "")),
              HasSubstr("shape (4611686018427387904, 8) is too large"));
  EXPECT_THAT(matrix_error("a.npy", npy(dict("<f8", false, "(99999999999, 99999999999)"), "")),
              HasSubstr("is too large"));
  EXPECT_THAT(matrix_error("a.npy", npy(dict("<f4", false, "(1000000, 1000)"), "")),
              HasSubstr("needs 4000000000 bytes of data, the file holds 0"));
  // gzip: the size is not known before reading, but bounded by what deflate can expand to.
  write_gz(tmp_.path("g.npy.gz"), npy(dict("<f4", false, "(1000000, 1000)"), "abcd"));
  EXPECT_THAT(error_message([&] { read_matrix(tmp_.path("g.npy.gz")); }),
              HasSubstr("more than the compressed file can hold"));
  write_gz(tmp_.path("g.npy.gz"), npy(dict("<f8", false, "(3,)"), std::string(20, '\0')));
  EXPECT_THAT(error_message([&] { read_matrix(tmp_.path("g.npy.gz")); }),
              HasSubstr("needs 24 bytes of data, found 20"));
  write_gz(tmp_.path("g.npy.gz"), npy(dict("<f8", false, "(2,)"), std::string(20, '\0')));
  EXPECT_THAT(error_message([&] { read_matrix(tmp_.path("g.npy.gz")); }),
              HasSubstr("bytes beyond the array's data"));
  // A gzip stream cut short.
  write_gz(tmp_.path("g.npy.gz"), npy(dict("<f8", false, "(300,)"), std::string(2400, '\1')));
  const std::string packed = read_bytes(tmp_.path("g.npy.gz"));
  EXPECT_THAT(matrix_error("cut.npy.gz", packed.substr(0, packed.size() - 12)),
              HasSubstr("corrupt or truncated gzip data"));
}

TEST_F(Arrays, NonFiniteFeaturesNameTheElement) {
  EXPECT_THAT(
      matrix_error("a.npy", npy(dict("<f4", false, "(2, 3)"), raw<float>({1, 2, 3, 4, 5, NAN}))),
      HasSubstr("a.npy: element [1, 2] is NaN"));
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_THAT(
      matrix_error("a.npy", npy(dict(">f4", false, "(2, 3)"),
                                raw<float>({1, -inf, 3}, true) + raw<float>({4, 5, 6}, true))),
      HasSubstr("element [0, 1] is -inf"));
  // Fortran order: file item 1 is element [1, 0].
  EXPECT_THAT(
      matrix_error("a.npy", npy(dict("<f8", true, "(2, 2)"), raw<double>({1, HUGE_VAL, 3, 4}))),
      HasSubstr("element [1, 0] is inf"));
  EXPECT_THAT(matrix_error("a.npy", npy(dict("<f8", false, "(3,)"), raw<double>({1, 2, 1e300}))),
              HasSubstr("element [2] = 1e+300 is beyond float's range"));
  EXPECT_THAT(matrix_error("a.npy", npy(dict("<f2", false, "(1,)"), raw<std::uint16_t>({0x7e00}))),
              HasSubstr("element [0] is NaN"));
}

TEST_F(Arrays, IntegersMustBeWholeAndInRange) {
  EXPECT_THAT(read_integers(put("w.npy", npy(dict("<f8", false, "(2,)"), raw<double>({1, -2})))),
              ElementsAre(1, -2));
  EXPECT_THAT(integers_error("a.npy", npy(dict("<f8", false, "(2,)"), raw<double>({1, 2.5}))),
              HasSubstr("a.npy: element [1] = 2.5 is not a whole number in the range of int64"));
  EXPECT_THAT(integers_error("a.npy", npy(dict("<f4", false, "(1,)"), raw<float>({NAN}))),
              HasSubstr("element [0] = nan is not a whole number"));
  EXPECT_THAT(integers_error("a.npy", npy(dict("<f8", false, "(1,)"), raw<double>({1e19}))),
              HasSubstr("is not a whole number in the range of int64"));
  EXPECT_THAT(integers_error("a.npy", npy(dict("<u8", false, "(1,)"),
                                          raw<std::uint64_t>({~std::uint64_t{0}}))),
              HasSubstr("element [0] = 18446744073709551615 is beyond the range of int64"));
  EXPECT_THAT(integers_error("a.npy", npy(dict("<i4", false, "(1, 2)"), raw<std::int32_t>({1, 2}))),
              HasSubstr("expected a 1-D array or one column, found shape (1, 2)"));
}

TEST_F(Arrays, FileErrors) {
  EXPECT_THAT(error_message([&] { read_matrix(tmp_.path("missing.npy")); }),
              HasSubstr("missing.npy: cannot open file"));
  EXPECT_THAT(error_message([&] { read_matrix(tmp_.path("")); }), HasSubstr("not a regular file"));
}

// Random edits of valid files: every outcome is a value or a gat::Error, never a crash.
TEST_F(Arrays, CorruptedFilesFailCleanly) {
  std::mt19937 rng(11);
  constexpr char kAlphabet[] = {'\0', '\x93', 'N', '(', ')', ',', '\'', '1',  '9',    '<', '>', 'f',
                                'i',  'u',    '4', '8', 'T', 'F', ' ',  '\n', '\xff', 'P', 'K'};
  const std::vector<std::string> sources = {
      read_bytes(fixture("features_f32.npy")), read_bytes(fixture("features_f64_fortran.npy")),
      read_bytes(fixture("arrays.npz")), read_bytes(fixture("arrays_compressed.npz"))};
  for (int trial = 0; trial < 400; ++trial) {
    std::string bytes = sources[static_cast<std::size_t>(trial) % sources.size()];
    test::random_edits(bytes, rng, kAlphabet);
    const std::string path = put("c.bin", bytes);
    const std::string member = trial % 2 ? path + ":x" : path;
    for (int reader = 0; reader < 2; ++reader) {
      const std::string message = error_message([&] {
        if (reader == 0) read_matrix(member);
        if (reader == 1) read_integers(member);
      });
      EXPECT_THAT(message, ::testing::Not(HasSubstr("not a gat::Error"))) << "trial " << trial;
    }
  }
}

// ---- Text ----------------------------------------------------------------------------------

TEST_F(Arrays, CsvWithAndWithoutHeader) {
  Matrix<float> expected(2, 3);
  expected << 1, 2.5f, -3, 4, 5e-1f, 6;
  EXPECT_EQ(read_matrix(put("a.csv", "a,b,c\n1,2.5,-3\n4, .5 ,+6\n")), expected);
  EXPECT_EQ(read_matrix(put("b.csv", "1,2.5,-3\r\n4,5e-1,6\r\n")), expected);
  // pandas' index column leaves the header's first name empty.
  EXPECT_EQ(read_matrix(put("p.csv", ",x,y\n0,1,2\n")).row(0), Eigen::RowVector3f(0, 1, 2));
}

TEST_F(Arrays, WhitespaceTsvCommentsBomAndBlankLines) {
  Matrix<float> expected(3, 2);
  expected << 1, 2, 3, 4, 5, 6;
  EXPECT_EQ(read_matrix(put("a.tsv", "1\t2\n3\t4\n5\t6")), expected);
  EXPECT_EQ(read_matrix(put("a.txt",
                            "\xEF\xBB\xBF# written by np.savetxt\n1 2\n\n  3   4 \n"
                            "# more\n5\t 6\n\n")),
            expected);
}

TEST_F(Arrays, GzipText) {
  write_gz(tmp_.path("f.csv.gz"), "x,y\n1,2\n3,4\n");
  Matrix<float> expected(2, 2);
  expected << 1, 2, 3, 4;
  EXPECT_EQ(read_matrix(tmp_.path("f.csv.gz")), expected);
  EXPECT_EQ(read_matrix(tmp_.path("f.csv")), expected);  // found with its ".gz"
}

TEST_F(Arrays, QuotedCsvFields) {
  const KeyedRows rows =
      read_keyed_matrix(put("q.csv", "\"id\",\"v\"\n\"a,b\",1\n\"say \"\"hi\"\"\", 2\n"));
  EXPECT_THAT(rows.keys, ElementsAre("a,b", "say \"hi\""));
  EXPECT_EQ(rows.values(1, 0), 2.0f);
  EXPECT_THAT(matrix_error("q.csv", "1,\"2\n"),
              HasSubstr("q.csv:1: unterminated quote in field 2"));
  EXPECT_THAT(matrix_error("q.csv", "1,\"2\"x\n"),
              HasSubstr("q.csv:1: text after the closing quote of field 2"));
}

TEST_F(Arrays, TextErrors) {
  EXPECT_THAT(matrix_error("a.csv", "a,b,c\n1,2,3\n4,5\n"),
              HasSubstr("a.csv:3: expected 3 values, found 2"));
  EXPECT_THAT(matrix_error("a.txt", "1 2\n3 4 5\n"),
              HasSubstr("a.txt:2: expected 2 values, found 3"));
  EXPECT_THAT(matrix_error("a.csv", "1,2\n3,x\n"),
              HasSubstr("a.csv:2: column 2 is not a finite number: 'x'"));
  EXPECT_THAT(matrix_error("a.csv", "1,2\nnan,1\n"),
              HasSubstr("a.csv:2: column 1 is not a finite number: 'nan'"));
  EXPECT_THAT(matrix_error("a.csv", "1,2\n1e39,1\n"), HasSubstr("not a finite number: '1e39'"));
  EXPECT_THAT(matrix_error("a.csv", "1,2\n1,\n"),
              HasSubstr("a.csv:2: column 2 is not a finite number: ''"));
  EXPECT_THAT(matrix_error("a.csv", ""), HasSubstr("a.csv: no rows of values"));
  EXPECT_THAT(matrix_error("a.csv", "a,b\n\n# c\n"), HasSubstr("no rows of values"));
  // A node id column in a plain matrix file: the second line is not numbers.
  EXPECT_THAT(matrix_error("a.csv", "p1,1,2\np2,3,4\n"),
              HasSubstr("a.csv:2: column 1 is not a finite number: 'p2'"));
}

TEST_F(Arrays, TextIntegers) {
  EXPECT_THAT(read_integers(put("i.csv", "node_idx\n3\n1\n+4\n")), ElementsAre(3, 1, 4));
  // np.savetxt writes integers as floats by default.
  EXPECT_THAT(read_integers(put("i.txt", "3.000000000000000000e+00\n-1.0\n")), ElementsAre(3, -1));
  EXPECT_THAT(read_integers(put("i.txt", "")), IsEmpty());
  EXPECT_THAT(integers_error("i.txt", "1\n2.5\n"), HasSubstr("i.txt:2: not an integer: '2.5'"));
  EXPECT_THAT(integers_error("i.txt", "1\n99999999999999999999\n"),
              HasSubstr("i.txt:2: not an integer"));
  EXPECT_THAT(integers_error("i.csv", "1,2\n3,4\n"),
              HasSubstr("i.csv:1: expected 1 value, found 2"));
}

TEST_F(Arrays, KeyedMatrix) {
  for (const char* text : {"id,f1,f2\np1,1,2\n42,3,4\n", "p1 1 2\n42\t3 4\n"}) {
    SCOPED_TRACE(text);
    const KeyedRows rows = read_keyed_matrix(put("k.txt", text));
    EXPECT_THAT(rows.keys, ElementsAre("p1", "42"));
    Matrix<float> expected(2, 2);
    expected << 1, 2, 3, 4;
    EXPECT_EQ(rows.values, expected);
  }
  const std::string path = put("k.txt", "p1 1\np2 2\np1 3\n");
  EXPECT_THAT(error_message([&] { read_keyed_matrix(path); }),
              HasSubstr("k.txt:3: duplicate node id 'p1' (first on line 1)"));
  const std::string one = put("one.txt", "p1\np2\n");
  EXPECT_THAT(error_message([&] { read_keyed_matrix(one); }),
              HasSubstr("one.txt:1: expected a node id and at least one value, found 1 column"));
  const std::string wide = put("w.txt", "p1 1 2\np2 3\n");
  EXPECT_THAT(error_message([&] { read_keyed_matrix(wide); }),
              HasSubstr("w.txt:2: expected a node id and 2 values, found 2 columns"));
  EXPECT_THAT(error_message([&] { read_keyed_matrix(fixture("features_f32.npy")); }),
              HasSubstr("a binary array carries no node ids"));
}

TEST_F(Arrays, LabelLayouts) {
  // One column of class names: no keys.
  LabelColumn l = read_labels(put("l.txt", "Theory\nNeural_Networks\nTheory\n"));
  EXPECT_THAT(l.keys, IsEmpty());
  EXPECT_THAT(l.labels, ElementsAre("Theory", "Neural_Networks", "Theory"));
  EXPECT_FALSE(l.integer);
  // Two columns: keyed; a CSV label may hold spaces.
  l = read_labels(put("l.csv", "p1,Neural Networks\n42,Theory\n"));
  EXPECT_THAT(l.keys, ElementsAre("p1", "42"));
  EXPECT_THAT(l.labels, ElementsAre("Neural Networks", "Theory"));
  // An integer column under a header name: the header is recognised.
  l = read_labels(put("l.csv", "node,label\na,3\nb,0\n"));
  EXPECT_THAT(l.keys, ElementsAre("a", "b"));
  EXPECT_THAT(l.labels, ElementsAre("3", "0"));
  EXPECT_TRUE(l.integer);
  l = read_labels(put("l.csv", "node,label\n0,Theory\n1,Rules\n"));
  EXPECT_THAT(l.keys, ElementsAre("0", "1"));
  l = read_labels(put("l.txt", "y\n2\n0\n"));
  EXPECT_THAT(l.labels, ElementsAre("2", "0"));
  // String ids and names: a header must be declared, or be a comment.
  EXPECT_THAT(read_labels(put("l.csv", "id,class\np1,Theory\n")).keys, ElementsAre("id", "p1"));
  EXPECT_THAT(read_labels(put("l.csv", "id,class\np1,Theory\n"), TextHeader::kPresent).keys,
              ElementsAre("p1"));
  EXPECT_THAT(read_labels(put("l.csv", "# id,class\np1,Theory\n")).keys, ElementsAre("p1"));
  EXPECT_THAT(read_labels(put("l.txt", "3\n4\n"), TextHeader::kAbsent).labels,
              ElementsAre("3", "4"));
}

TEST_F(Arrays, EmptyLabelIsMissing) {
  // "p2," is how pandas writes a node whose label is missing: kept as an empty label.
  const LabelColumn l = read_labels(put("l.csv", "p1,3\np2,\np3,1\n"));
  EXPECT_THAT(l.labels, ElementsAre("3", "", "1"));
  EXPECT_TRUE(l.integer);
  EXPECT_THAT(l.lines, ElementsAre(1, 2, 3));
}

TEST_F(Arrays, LabelErrors) {
  const auto labels_error = [&](const std::string& text) {
    const std::string path = put("l.csv", text);
    return error_message([&] { read_labels(path); });
  };
  EXPECT_THAT(labels_error("a,b,c\n"),
              HasSubstr("l.csv:1: expected 1 column (label) or 2 (node id, label), found 3"));
  EXPECT_THAT(labels_error("p1,A\np2\n"), HasSubstr("l.csv:2: expected 2 columns, found 1"));
  EXPECT_THAT(labels_error("p1,A\np1,B\n"),
              HasSubstr("l.csv:2: duplicate node id 'p1' (first on line 1)"));
  // A blank line among one-column labels would shift every later label: refused. A comment
  // line is not a gap.
  EXPECT_THAT(labels_error("A\n\nB\n"), HasSubstr("l.csv:2: blank line among the labels"));
  EXPECT_THAT(labels_error("A\n# note\nB\n"), HasSubstr("no error thrown"));
  EXPECT_THAT(labels_error(",A\np2,B\n"), HasSubstr("l.csv:1: empty node id"));
  EXPECT_THAT(labels_error("\n# nothing\n"), HasSubstr("l.csv: no labels"));
}

// ---- Split files and index lists -----------------------------------------------------------

class SplitFiles : public Arrays {
 protected:
  // Node ids of the files below: index = position.
  NodeLookup lookup_ = [](std::string_view id) -> NodeId {
    static const std::unordered_map<std::string_view, NodeId> ids = {
        {"p0", 0}, {"p1", 1}, {"42", 2}, {"x", 3}, {"train", 4}, {"p5", 5}};
    const auto it = ids.find(id);
    return it == ids.end() ? -1 : it->second;
  };
};

TEST_F(SplitFiles, LinqsForm) {
  const Split s = read_split_file(put("a.split",
                                      "p5 train\n42\ttest\r\n\n# note\np0 valid\n"
                                      "train train\np1 val\nx test\n"),
                                  lookup_);
  EXPECT_THAT(s.train, ElementsAre(4, 5));
  EXPECT_THAT(s.val, ElementsAre(0, 1));
  EXPECT_THAT(s.test, ElementsAre(2, 3));
  const Split c = read_split_file(put("b.split", "p1,train\n\"42\", test\n"), lookup_);
  EXPECT_THAT(c.train, ElementsAre(1));
  EXPECT_THAT(c.test, ElementsAre(2));
  EXPECT_THAT(read_split_file(put("e.split", ""), lookup_).train, IsEmpty());
  write_gz(tmp_.path("g.split.gz"), "p1 val\n");
  EXPECT_THAT(read_split_file(tmp_.path("g.split"), lookup_).val, ElementsAre(1));
}

TEST_F(SplitFiles, Errors) {
  const auto split_error = [&](const std::string& text) {
    const std::string path = put("s.split", text);
    return error_message([&] { read_split_file(path, lookup_); });
  };
  EXPECT_THAT(split_error("p1 train\nzz test\n"), HasSubstr("s.split:2: unknown node 'zz'"));
  EXPECT_THAT(split_error("p1 train\np0 val\np1 train\n"),
              HasSubstr("s.split:3: node 'p1' is already listed (line 1)"));
  EXPECT_THAT(split_error("p1 train\np1 test\n"), HasSubstr("s.split:2: node 'p1' is already"));
  EXPECT_THAT(split_error("p1 training\n"),
              HasSubstr("s.split:1: unknown split 'training'; expected train, val, valid or test"));
  EXPECT_THAT(split_error("p1 train extra\n"),
              HasSubstr("s.split:1: expected 2 columns (node id, train|val|valid|test), found 3"));
  EXPECT_THAT(error_message([&] { read_split_file(tmp_.path("none.split"), lookup_); }),
              HasSubstr("none.split: cannot open file"));
}

TEST_F(SplitFiles, IndexFiles) {
  EXPECT_THAT(read_index_file(put("train.csv", "5\n0\n2\n"), 6), ElementsAre(0, 2, 5));
  write_gz(tmp_.path("valid.csv.gz"), "1\n3\n");
  EXPECT_THAT(read_index_file(tmp_.path("valid.csv"), 6), ElementsAre(1, 3));
  EXPECT_THAT(
      read_index_file(put("t.npy", npy(dict("<i8", false, "(2,)"), raw<std::int64_t>({4, 1}))), 6),
      ElementsAre(1, 4));
  EXPECT_THAT(read_index_file(put("none.csv", ""), 6), IsEmpty());
  const auto index_error = [&](const std::string& name, const std::string& bytes) {
    const std::string path = put(name, bytes);
    return error_message([&] { read_index_file(path, 6); });
  };
  EXPECT_THAT(index_error("i.csv", "0\n6\n"), HasSubstr("i.csv:2: node index 6 is outside [0, 6)"));
  EXPECT_THAT(index_error("i.csv", "0\n-1\n"), HasSubstr("i.csv:2: node index -1 is outside"));
  EXPECT_THAT(index_error("i.csv", "3\n0\n5\n0\n3\n"),
              HasSubstr("i.csv:4: node index 0 is listed twice (first at line 2)"));
  EXPECT_THAT(index_error("i.npy", npy(dict("<i4", false, "(3,)"), raw<std::int32_t>({2, 9, 1}))),
              HasSubstr("i.npy: element [1]: node index 9 is outside [0, 6)"));
  EXPECT_THAT(index_error("i.npy", npy(dict("<i4", false, "(3,)"), raw<std::int32_t>({2, 1, 2}))),
              HasSubstr("i.npy: element [2]: node index 2 is listed twice (first at element [0])"));
}

}  // namespace
}  // namespace gat
