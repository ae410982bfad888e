// The bounded checkpoint reader: what a hostile file costs is bounded by its first 8 bytes and
// a scan of its header, never by what the file claims or holds. Each case here took GBs or
// hung before: a 1 GB file of zeros (read whole before its length field was looked at), a
// header of nested '[' (GBs of JSON tree), a FIFO (open blocks), /dev/zero (grows forever).

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "gat/core/error.hpp"
#include "gat/io/checkpoint.hpp"
#include "gat/io/safetensors.hpp"
#include "support/io_fixtures.hpp"
#include "support/temp_dir.hpp"

namespace gat {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

std::string with_length(std::uint64_t len, const std::string& rest) {
  std::string out(8, '\0');
  std::memcpy(out.data(), &len, 8);
  return out + rest;
}

// The bytes the process has read from storage so far (rchar counts every read() call, so a
// read served from the page cache or a sparse hole counts too).
std::uint64_t bytes_read() {
  std::ifstream io("/proc/self/io");
  std::string key;
  std::uint64_t value = 0;
  while (io >> key >> value) {
    if (key == "rchar:") return value;
  }
  return 0;
}

class SafetensorsBounds : public ::testing::Test {
 protected:
  std::string path(const std::string& name) const { return tmp_.path(name); }
  test::TempDir tmp_{"gat_safetensors_bounds_test"};
};

// A 1 GB file of zeros (sparse: no disk used) has header length 0: refused after reading its
// first 8 bytes. The old reader read the whole GB first.
TEST_F(SafetensorsBounds, RefusesAGigabyteOfZerosWithoutReadingIt) {
  const std::string p = path("zeros.safetensors");
  {
    const int fd = open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(ftruncate(fd, off_t{1} << 30), 0) << std::strerror(errno);
    close(fd);
  }
  const std::uint64_t before = bytes_read();
  const std::string m = test::error_message([&] { read_safetensors(p); });
  const std::uint64_t read = bytes_read() - before;
  EXPECT_THAT(m, AllOf(HasSubstr(p), HasSubstr("header length is 0")));
  // A few KiB for /proc itself; the file's GB would show as ~1e9.
  EXPECT_LT(read, 1u << 20) << "read " << read << " bytes to refuse the file";
  EXPECT_THAT(test::error_message([&] { load_checkpoint(p); }), HasSubstr("header length is 0"));
}

// A length field of 1 GB on a small file, and one above the 100 MB cap on a 1 GB sparse file:
// both refused from the first 8 bytes.
TEST_F(SafetensorsBounds, RefusesLengthFieldsBeyondTheFileOrTheCap) {
  tmp_.write("small.safetensors", with_length(90'000'000, "{}"));
  EXPECT_THAT(test::error_message([&] { read_safetensors(path("small.safetensors")); }),
              AllOf(HasSubstr("truncated"), HasSubstr("90000000")));
  tmp_.write("huge.safetensors", with_length(std::uint64_t{1} << 30, "{}"));
  EXPECT_THAT(test::error_message([&] { read_safetensors(path("huge.safetensors")); }),
              AllOf(HasSubstr("1073741824"), HasSubstr("exceeds the limit")));

  const std::string p = path("big.safetensors");
  tmp_.write("big.safetensors", with_length(500'000'000, ""));
  ASSERT_EQ(truncate(p.c_str(), off_t{1} << 30), 0);
  const std::uint64_t before = bytes_read();
  EXPECT_THAT(test::error_message([&] { read_safetensors(p); }), HasSubstr("exceeds the limit"));
  EXPECT_LT(bytes_read() - before, 1u << 20);

  tmp_.write("one.safetensors", with_length(1, "{"));
  EXPECT_THAT(test::error_message([&] { read_safetensors(path("one.safetensors")); }),
              HasSubstr("too short"));
}

// 10 MB of '[' would build a JSON tree of GBs: refused by the depth scan before parsing.
TEST_F(SafetensorsBounds, RefusesDeepNestingBeforeParsing) {
  const std::string deep = "{\"a\":" + std::string(10'000'000, '[');
  tmp_.write("deep.safetensors", with_length(deep.size(), deep));
  EXPECT_THAT(test::error_message([&] { read_safetensors(path("deep.safetensors")); }),
              HasSubstr("deeper than 64"));
  EXPECT_THAT(
      test::error_message([&] { parse_safetensors(with_length(deep.size(), deep), "mem"); }),
      HasSubstr("deeper than 64"));
  // 65 levels is one too many; brackets inside strings do not count.
  const std::string just = "{\"a\":" + std::string(64, '[') + std::string(64, ']') + "}";
  EXPECT_THAT(test::error_message([&] { parse_safetensors(with_length(just.size(), just), "m"); }),
              HasSubstr("deeper than 64"));
  const std::string quoted = "{\"" + std::string(1000, '[') + "\":{}}";
  EXPECT_THAT(
      test::error_message([&] { parse_safetensors(with_length(quoted.size(), quoted), "m"); }),
      ::testing::Not(HasSubstr("deeper")));
  // Long arrays (a shape of a thousand dims), also at the top level.
  std::string wide = "{\"a\":[0";
  for (int k = 0; k < 1000; ++k) wide += ",0";
  wide += "]}";
  EXPECT_THAT(test::error_message([&] { parse_safetensors(with_length(wide.size(), wide), "m"); }),
              HasSubstr("more than 64 elements"));
  const std::string top = "[" + std::string(wide.begin() + 6, wide.end() - 1);
  EXPECT_THAT(test::error_message([&] { parse_safetensors(with_length(top.size(), top), "m"); }),
              HasSubstr("more than 64 elements"));
}

// A FIFO with no writer would block open() forever; /dev/zero would be read forever. Both are
// refused at once, naming what they are.
TEST_F(SafetensorsBounds, RefusesFilesThatAreNotRegular) {
  const std::string fifo = path("model.safetensors");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_THAT(test::error_message([&] { read_safetensors(fifo); }),
              AllOf(HasSubstr(fifo), HasSubstr("FIFO")));
  EXPECT_THAT(test::error_message([&] { load_checkpoint(fifo); }), HasSubstr("FIFO"));
  // A hang would never get past here (no timed assertion: ctest's timeout catches it).
  if (access("/dev/zero", R_OK) == 0) {
    EXPECT_THAT(test::error_message([] { read_safetensors("/dev/zero"); }),
                HasSubstr("character device"));
  }
  EXPECT_THAT(test::error_message([&] { read_safetensors(tmp_.dir().string()); }),
              HasSubstr("folder"));
  // A symlink loop is a clean error, not an "internal error".
  std::filesystem::create_symlink("loop_b", path("loop_a"));
  std::filesystem::create_symlink("loop_a", path("loop_b"));
  EXPECT_THAT(test::error_message([&] { read_safetensors(path("loop_a")); }),
              HasSubstr("Too many levels of symbolic links"));
}

// A valid file still reads through the bounded path (header first, then each tensor).
TEST_F(SafetensorsBounds, ReadsAValidFileTensorByTensor) {
  SafetensorsFile f;
  for (int k = 0; k < 3; ++k) {
    SafetensorsTensor t;
    t.dtype = SafetensorsDtype::kF32;
    t.shape = {2, k + 1};
    t.data.resize(static_cast<std::size_t>(8 * (k + 1)));
    for (std::size_t b = 0; b < t.data.size(); ++b) t.data[b] = static_cast<unsigned char>(b + k);
    f.tensors["t" + std::to_string(k)] = t;
  }
  f.metadata["x"] = "y";
  const std::string p = path("ok.safetensors");
  write_safetensors(p, f);
  const SafetensorsFile g = read_safetensors(p);
  EXPECT_EQ(g.metadata, f.metadata);
  ASSERT_EQ(g.tensors.size(), 3u);
  for (const auto& [name, t] : f.tensors) {
    EXPECT_EQ(g.tensors.at(name).data, t.data) << name;
    EXPECT_EQ(g.tensors.at(name).shape, t.shape) << name;
  }
}

}  // namespace
}  // namespace gat
