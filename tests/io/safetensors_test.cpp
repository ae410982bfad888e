// The safetensors reader and writer: exact bytes of a small file, round trips of every dtype,
// every kind of malformed file (each made by mutating a valid one) refused with a message that
// names the file, truncations and random byte flips that never crash. (write_output, the
// writer underneath, is tested in output_test.cpp.)

#include "gat/io/safetensors.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/core/random.hpp"

namespace gat {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

template <typename T>
SafetensorsTensor make_tensor(SafetensorsDtype dtype, std::vector<std::int64_t> shape,
                              const std::vector<T>& values) {
  SafetensorsTensor t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.data.resize(values.size() * sizeof(T));
  if (!values.empty()) std::memcpy(t.data.data(), values.data(), t.data.size());
  return t;
}

// A file with one tensor of every dtype, a scalar, an empty tensor and metadata.
SafetensorsFile sample_file() {
  SafetensorsFile f;
  f.tensors["a.weight"] =
      make_tensor<float>(SafetensorsDtype::kF32, {2, 3}, {1, -2, 3.5f, 0, 1e-30f, -7});
  f.tensors["b"] = make_tensor<double>(SafetensorsDtype::kF64, {3}, {0.1, -1e300, 42});
  f.tensors["c.count"] = make_tensor<std::int32_t>(SafetensorsDtype::kI32, {}, {-5});
  f.tensors["d"] =
      make_tensor<std::int64_t>(SafetensorsDtype::kI64, {1, 2, 1}, {std::int64_t{1} << 40, -1});
  f.tensors["empty"] = make_tensor<float>(SafetensorsDtype::kF32, {0, 4}, {});
  f.metadata = {{"format", "test"}, {"note", "héllo, \"world\""}};
  return f;
}

void expect_same(const SafetensorsFile& a, const SafetensorsFile& b) {
  EXPECT_EQ(a.metadata, b.metadata);
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  for (const auto& [name, t] : a.tensors) {
    ASSERT_TRUE(b.tensors.count(name)) << name;
    const auto& u = b.tensors.at(name);
    EXPECT_EQ(t.dtype, u.dtype) << name;
    EXPECT_EQ(t.shape, u.shape) << name;
    EXPECT_EQ(t.data, u.data) << name;
  }
}

std::uint64_t header_length(const std::string& bytes) {
  std::uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  return n;
}

std::string with_length(std::uint64_t n, const std::string& rest) {
  std::string out(8, '\0');
  std::memcpy(out.data(), &n, 8);
  return out + rest;
}

// A valid file whose JSON header is edited by `edit` (the length prefix is rewritten to fit, the
// tensor bytes stay as they were).
std::string edit_header(const std::string& valid, const std::function<void(std::string&)>& edit) {
  const std::uint64_t n = header_length(valid);
  std::string header = valid.substr(8, n);
  edit(header);
  return with_length(header.size(), header + valid.substr(8 + n));
}

void replace_once(std::string& s, const std::string& from, const std::string& to) {
  const auto pos = s.find(from);
  ASSERT_NE(pos, std::string::npos) << "'" << from << "' not in " << s;
  s.replace(pos, from.size(), to);
}

class Safetensors : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("gat_safetensors_test_" + std::string(info->name()) + "_" + std::to_string(getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  std::string write_raw(const std::string& name, const std::string& bytes) const {
    std::ofstream out(dir_ / name, std::ios::binary);
    out << bytes;
    EXPECT_TRUE(out.good());
    return path(name);
  }

  static std::string read_raw(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  // The message read_safetensors throws for these bytes, or what happened instead.
  std::string error_for(const std::string& bytes) const {
    const std::string p = write_raw("bad.safetensors", bytes);
    try {
      read_safetensors(p);
    } catch (const Error& e) {
      return e.what();
    } catch (const std::exception& e) {
      return std::string("not a gat::Error: ") + e.what();
    }
    return "no error thrown";
  }

  std::vector<std::string> files() const {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(dir_)) {
      out.push_back(e.path().filename().string());
    }
    return out;
  }

  std::filesystem::path dir_;
};

// The exact bytes of a one-tensor file, as the format defines them: length, JSON, padding, data.
TEST_F(Safetensors, WritesTheDocumentedBytes) {
  SafetensorsFile f;
  f.tensors["x"] = make_tensor<float>(SafetensorsDtype::kF32, {2}, {1.0f, -2.0f});
  const std::string bytes = serialize_safetensors(f);
  const std::string json = R"({"x":{"data_offsets":[0,8],"dtype":"F32","shape":[2]}})";
  // 8 + 54 = 62 → two spaces of padding make the data start at byte 64.
  ASSERT_EQ(json.size(), 54u);
  const std::string header = json + "  ";
  EXPECT_EQ(header_length(bytes), header.size());
  EXPECT_EQ(bytes.substr(8, header.size()), header);
  ASSERT_EQ(bytes.size(), 8 + header.size() + 8);
  float values[2];
  std::memcpy(values, bytes.data() + 8 + header.size(), 8);
  EXPECT_EQ(values[0], 1.0f);
  EXPECT_EQ(values[1], -2.0f);
}

// A file written by hand (keys in another order, offsets not in name order, no padding, a tab)
// as another writer might produce it.
TEST_F(Safetensors, ReadsAHandWrittenFile) {
  const std::string header =
      "{\"__metadata__\":{\"k\":\"v\"},\t\"z\":{\"shape\":[1],\"dtype\":\"I32\",\"data_offsets\":"
      "[0,4]},\"a\":{\"data_offsets\":[4,12],\"dtype\":\"F64\",\"shape\":[1,1]}}";
  std::string data(12, '\0');
  const std::int32_t z = 7;
  const double a = 2.5;
  std::memcpy(data.data(), &z, 4);
  std::memcpy(data.data() + 4, &a, 8);
  const SafetensorsFile f =
      read_safetensors(write_raw("h.safetensors", with_length(header.size(), header + data)));
  EXPECT_EQ(f.metadata.at("k"), "v");
  ASSERT_EQ(f.tensors.size(), 2u);
  EXPECT_EQ(f.tensors.at("z").dtype, SafetensorsDtype::kI32);
  EXPECT_EQ(f.tensors.at("a").shape, (std::vector<std::int64_t>{1, 1}));
  EXPECT_EQ(tensor_to_matrix<double>(f.tensors.at("a"), "a")(0, 0), 2.5);
}

TEST_F(Safetensors, RoundTripsEveryDtypeThroughAFile) {
  const SafetensorsFile f = sample_file();
  const std::string p = path("rt.safetensors");
  write_safetensors(p, f);
  const std::string bytes = read_raw(p);
  EXPECT_EQ((8 + header_length(bytes)) % 8, 0u) << "header not padded to 8-byte alignment";
  EXPECT_EQ(bytes[8], '{');
  expect_same(f, read_safetensors(p));
  EXPECT_EQ(read_safetensors(p).tensors.at("c.count").numel(), 1);
  // Nothing but the file itself is left in the folder.
  EXPECT_THAT(files(), ::testing::ElementsAre("rt.safetensors"));
}

TEST_F(Safetensors, MatrixConversionsKeepRowMajorOrder) {
  Matrix<float> m(2, 3);
  m << 1, 2, 3, 4, 5, 6;
  const auto t = tensor_from_matrix<float>(m);
  EXPECT_EQ(t.shape, (std::vector<std::int64_t>{2, 3}));
  float third;
  std::memcpy(&third, t.data.data() + 2 * sizeof(float), sizeof third);
  EXPECT_EQ(third, 3.0f);  // row 0, column 2
  EXPECT_EQ(tensor_to_matrix<float>(t, "m"), m);
  // A block with an outer stride is copied row by row.
  Matrix<double> big = Matrix<double>::Random(4, 5);
  const Matrix<double> block = big.block(1, 1, 2, 3);
  EXPECT_EQ(tensor_to_matrix<double>(tensor_from_matrix<double>(big.block(1, 1, 2, 3)), "b"),
            block);
  EXPECT_THROW(tensor_to_matrix<double>(t, "m"), Error);  // F32 read as double
  SafetensorsTensor three_d = t;
  three_d.shape = {1, 2, 3};
  EXPECT_THROW(tensor_to_matrix<float>(three_d, "m"), Error);
}

TEST_F(Safetensors, SerializeRefusesInconsistentTensors) {
  SafetensorsFile f;
  f.tensors["x"] = make_tensor<float>(SafetensorsDtype::kF32, {3}, {1, 2});
  EXPECT_THROW(serialize_safetensors(f), Error);
  f.tensors.clear();
  f.tensors["__metadata__"] = make_tensor<float>(SafetensorsDtype::kF32, {1}, {1});
  EXPECT_THROW(serialize_safetensors(f), Error);
  f.tensors.clear();
  f.tensors["x"] = make_tensor<float>(SafetensorsDtype::kF32, {-1}, {});
  EXPECT_THROW(serialize_safetensors(f), Error);
}

// Every kind of malformed file, each made from a valid one, gives a gat::Error that names the
// file and the problem.
TEST_F(Safetensors, RefusesEveryKindOfMalformedFile) {
  const std::string valid = serialize_safetensors(sample_file());
  const std::string n = std::to_string(header_length(valid));
  const std::string data = valid.substr(8 + header_length(valid));
  const std::string file = path("bad.safetensors");
  struct Case {
    std::string name, bytes, expected;
  };
  auto header_edit = [&](const std::string& from, const std::string& to) {
    return edit_header(valid, [&](std::string& h) { replace_once(h, from, to); });
  };
  const std::vector<Case> cases = {
      {"empty file", "", "truncated: 0 bytes"},
      {"shorter than the length", valid.substr(0, 5), "truncated: 5 bytes"},
      {"header cut short", valid.substr(0, 40), "truncated: the header length is " + n},
      {"data cut short", valid.substr(0, valid.size() - 3), "run past the end of the data"},
      {"header length zero", with_length(0, valid.substr(8)), "header length is 0"},
      {"header length huge", with_length(std::uint64_t{1} << 63, valid.substr(8)),
       "exceeds the limit"},
      {"header length beyond the file", with_length(valid.size(), valid.substr(8)),
       "truncated: the header length"},
      {"malformed JSON", header_edit("{", "["), "not valid JSON"},
      {"JSON cut in the middle", with_length(10, valid.substr(8, 10)), "not valid JSON"},
      {"header not an object", edit_header(valid, [](std::string& h) { h = "[1, 2]"; }),
       "not an object"},
      {"unknown dtype", header_edit("\"F64\"", "\"F16\""), "unsupported dtype 'F16'"},
      {"dtype not a string", header_edit("\"F64\"", "64"), "dtype must be a string"},
      {"shape and offsets disagree", header_edit("\"shape\":[3]", "\"shape\":[2]"), "need 16"},
      {"negative dim", header_edit("\"shape\":[3]", "\"shape\":[-3]"),
       "not a non-negative integer"},
      {"fractional dim", header_edit("\"shape\":[3]", "\"shape\":[1.5]"),
       "not a non-negative integer"},
      {"huge dims", header_edit("\"shape\":[3]", "\"shape\":[4611686018427387904,8]"),
       "is too large"},
      {"dim beyond int64", header_edit("\"shape\":[3]", "\"shape\":[18446744073709551615]"),
       "not a non-negative integer"},
      {"shape not an array", header_edit("\"shape\":[3]", "\"shape\":3"), "shape must be an array"},
      {"offsets out of range",
       header_edit("\"data_offsets\":[24,48]", "\"data_offsets\":[24,4800]"), "run past the end"},
      {"offsets reversed", header_edit("\"data_offsets\":[24,48]", "\"data_offsets\":[48,24]"),
       "0 <= begin <= end"},
      {"offsets of the wrong arity",
       header_edit("\"data_offsets\":[24,48]", "\"data_offsets\":[24]"), "data_offsets must be"},
      {"negative offset", header_edit("\"data_offsets\":[24,48]", "\"data_offsets\":[-24,48]"),
       "data_offsets must be"},
      {"missing field", header_edit("\"dtype\":\"F64\",", ""), "needs the fields"},
      {"unknown field", header_edit("\"dtype\":\"F64\"", "\"dtype\":\"F64\",\"offsets\":1"),
       "unknown field 'offsets'"},
      {"entry not an object",
       header_edit("{\"data_offsets\":[24,48],\"dtype\":\"F64\",\"shape\":[3]}", "5"),
       "expected an object"},
      {"duplicate name", header_edit("\"b\":", "\"a.weight\":"), "names 'a.weight' twice"},
      {"empty name", header_edit("\"b\":", "\"\":"), "empty name"},
      {"non-string metadata", header_edit("\"format\":\"test\"", "\"format\":1"),
       "metadata 'format' must be a string"},
      {"metadata not an object", header_edit("\"__metadata__\":{", "\"__metadata__\":7,\"x\":{"),
       "__metadata__ must be an object"},
      {"trailing bytes", valid + "xyz", "3 bytes after the last tensor"},
  };
  for (const auto& c : cases) {
    const std::string message = error_for(c.bytes);
    EXPECT_THAT(message, AllOf(StartsWith(file + ": "), HasSubstr(c.expected))) << c.name;
  }
}

// Offsets that overlap or leave a hole, with every size still consistent.
TEST_F(Safetensors, RefusesOverlapsAndGaps) {
  SafetensorsFile f;
  f.tensors["p"] = make_tensor<float>(SafetensorsDtype::kF32, {2}, {1, 2});
  f.tensors["q"] = make_tensor<float>(SafetensorsDtype::kF32, {2}, {3, 4});
  const std::string valid = serialize_safetensors(f);
  // p = [0, 8), q = [8, 16). Overlap: q at [4, 12).
  const std::string overlap = edit_header(valid, [](std::string& h) {
    replace_once(h, "\"data_offsets\":[8,16]", "\"data_offsets\":[4,12]");
  });
  EXPECT_THAT(error_for(overlap), HasSubstr("tensor 'q' overlaps tensor 'p'"));
  // Gap: p at [4, 12) and q at [8, 16) would overlap; p alone at [8, 16) and q at [0, 8) is
  // fine, so make the hole with a larger buffer instead.
  std::string gap = edit_header(valid, [](std::string& h) {
    replace_once(h, "\"data_offsets\":[8,16]", "\"data_offsets\":[12,20]");
  });
  gap += std::string(4, '\0');
  EXPECT_THAT(error_for(gap), HasSubstr("a gap of 4 unused bytes before tensor 'q'"));
  // Both tensors at the same place.
  const std::string same = edit_header(valid, [](std::string& h) {
    replace_once(h, "\"data_offsets\":[8,16]", "\"data_offsets\":[0,8]");
  });
  EXPECT_THAT(error_for(same), HasSubstr("overlaps"));
}

TEST_F(Safetensors, ReportsFilesThatCannotBeRead) {
  EXPECT_THAT(
      [&] {
        try {
          read_safetensors(path("missing.safetensors"));
        } catch (const Error& e) {
          return std::string(e.what());
        }
        return std::string("no error");
      }(),
      AllOf(HasSubstr("missing.safetensors"), HasSubstr("cannot open")));
  EXPECT_THROW(read_safetensors(dir_.string()), Error);  // a folder
}

// Every truncation and thousands of random byte changes of a valid file: each either parses or
// throws gat::Error; nothing crashes (the sanitizer build checks the memory accesses too).
TEST_F(Safetensors, SurvivesTruncationsAndRandomCorruption) {
  const std::string valid = serialize_safetensors(sample_file());
  for (std::size_t len = 0; len < valid.size(); ++len) {
    EXPECT_THROW(parse_safetensors(std::string_view(valid).substr(0, len), "cut"), Error) << len;
  }
  const CounterRng rng(2024, 0, 0, 0);
  int parsed = 0, refused = 0;
  for (std::uint64_t k = 0; k < 4000; ++k) {
    std::string bytes = valid;
    const int flips = 1 + static_cast<int>(rng.bits(3 * k) % 3);
    for (int f = 0; f < flips; ++f) {
      const std::size_t at = rng.bits(3 * k + 1 + f * 7919) % bytes.size();
      bytes[at] = static_cast<char>(rng.bits(3 * k + 2 + f * 7919) & 0xFF);
    }
    try {
      parse_safetensors(bytes, "fuzz");
      ++parsed;
    } catch (const Error&) {
      ++refused;
    }
  }
  EXPECT_GT(refused, 0);
  EXPECT_EQ(parsed + refused, 4000);
}

}  // namespace
}  // namespace gat
