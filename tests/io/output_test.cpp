// write_output and check_output_path: what a path names decides how it is written, and no
// output ever destroys what it does not own (a device, a FIFO, a link, a planted file).

#include "gat/io/output.hpp"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "gat/core/error.hpp"
#include "support/io_fixtures.hpp"
#include "support/temp_dir.hpp"

namespace gat::detail {
// Defined in lib/src/io/output.cpp without a public header: a test-only hook called by the
// atomic replace of write_output (and so write_file_atomic) at the stages "partial" and
// "written".
using AtomicWriteHook = void (*)(const char* stage);
void set_atomic_write_hook(AtomicWriteHook hook);
}  // namespace gat::detail

namespace gat {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class Output : public ::testing::Test {
 protected:
  void TearDown() override { detail::set_atomic_write_hook(nullptr); }
  std::string path(const std::string& name) const { return tmp_.path(name); }
  std::vector<std::string> files() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(tmp_.dir())) {
      out.push_back(e.path().filename().string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  test::TempDir tmp_{"gat_output_test"};
};

TEST_F(Output, ReplacesARegularFileAndLeavesNothingElse) {
  const std::string p = path("out.json");
  write_output(p, "first");
  write_output(p, "second, longer");
  EXPECT_EQ(read_all(p), "second, longer");
  write_output(p, "");
  EXPECT_EQ(read_all(p), "");
  EXPECT_THAT(files(), ElementsAre("out.json"));
}

// Overwriting must not publish a private file: a 0600 file stays 0600.
TEST_F(Output, KeepsTheModeOfTheFileItReplaces) {
  const std::string p = path("secret.json");
  write_output(p, "old");
  ASSERT_EQ(chmod(p.c_str(), 0600), 0);
  write_output(p, "new");
  struct stat st {};
  ASSERT_EQ(stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(read_all(p), "new");
}

// A new file gets 0666 minus the umask, as any open would.
TEST_F(Output, GivesANewFileTheUsualMode) {
  const mode_t old_mask = umask(022);
  write_output(path("new.json"), "x");
  umask(old_mask);
  struct stat st {};
  ASSERT_EQ(stat(path("new.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
}

// A character device made in the test's folder (a twin of /dev/null) is written through, and
// is still a device afterwards: the old code renamed a regular file over it.
TEST_F(Output, WritesADeviceDirectlyAndLeavesItADevice) {
  const std::string p = path("null");
  if (mknod(p.c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0) {
    GTEST_SKIP() << "mknod failed (" << std::strerror(errno) << "): needs root and a file "
                 << "system that allows device nodes";
  }
  write_output(p, "bytes into the void");
  struct stat st {};
  ASSERT_EQ(lstat(p.c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(1, 3));
  EXPECT_THAT(files(), ElementsAre("null"));
}

TEST_F(Output, WritesAFifoDirectlyAndLeavesItAFifo) {
  const std::string p = path("pipe");
  ASSERT_EQ(mkfifo(p.c_str(), 0600), 0) << std::strerror(errno);
  std::string received;
  std::thread reader([&] { received = read_all(p); });  // blocks until the writer opens it
  const std::string payload(200000, 'x');  // more than a pipe buffer: needs the write loop
  write_output(p, payload);
  reader.join();
  EXPECT_EQ(received, payload);
  struct stat st {};
  ASSERT_EQ(lstat(p.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
}

// /dev/full accepts the open and fails every write with ENOSPC: that is an error, not exit 0.
TEST_F(Output, ReportsAFullDevice) {
  if (access("/dev/full", W_OK) != 0) GTEST_SKIP() << "no writable /dev/full";
  EXPECT_THAT(test::error_message([] { write_output("/dev/full", "data"); }),
              AllOf(HasSubstr("/dev/full"), HasSubstr("No space")));
}

// Standard output redirected to /dev/full (in a child, whose fd 1 we may replace).
TEST_F(Output, ReportsAFullStandardOutput) {
  const int full = open("/dev/full", O_WRONLY);
  if (full < 0) GTEST_SKIP() << "no writable /dev/full";
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    dup2(full, 1);
    const std::string m = test::error_message([] { write_output("-", "data"); });
    const bool ok = m.find("cannot write to standard output") != std::string::npos &&
                    m.find("No space left on device") != std::string::npos;
    if (write(fds[1], m.data(), m.size()) < 0) _exit(3);
    _exit(ok ? 0 : 1);
  }
  close(fds[1]);
  close(full);
  char buf[512];
  const ssize_t n = read(fds[0], buf, sizeof buf);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "child said: " << std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
}

// /dev/stdout is a link to /proc/self/fd/1: whatever fd 1 is (here a pipe, in a child) gets
// the bytes, and /dev/stdout stays a link. The old code renamed a regular file over it.
TEST_F(Output, WritesThroughDevStdout) {
  if (!fs::is_symlink("/dev/stdout")) GTEST_SKIP() << "/dev/stdout is not a link here";
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    dup2(fds[1], 1);
    const std::string m = test::error_message([] { write_output("/dev/stdout", "through fd 1"); });
    _exit(m == "no error thrown" ? 0 : 1);
  }
  close(fds[1]);
  std::string got;
  char buf[256];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) got.append(buf, n);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(got, "through fd 1");
  EXPECT_TRUE(fs::is_symlink("/dev/stdout"));
}

// A link is followed: its target gets the bytes (atomically) and the link stays a link; a
// dangling link creates its target.
TEST_F(Output, FollowsALinkAndKeepsIt) {
  fs::create_directory(tmp_.dir() / "real");
  const std::string target = path("real/out.json");
  write_output(target, "old");
  fs::create_symlink("real/out.json", path("link.json"));  // relative, as ln -s makes them
  write_output(path("link.json"), "through the link");
  EXPECT_TRUE(fs::is_symlink(path("link.json")));
  EXPECT_EQ(read_all(target), "through the link");

  fs::create_symlink("link.json", path("chain.json"));  // a chain of two
  write_output(path("chain.json"), "chained");
  EXPECT_TRUE(fs::is_symlink(path("chain.json")));
  EXPECT_TRUE(fs::is_symlink(path("link.json")));
  EXPECT_EQ(read_all(target), "chained");

  fs::create_symlink(tmp_.dir() / "real/new.json", path("dangling.json"));
  write_output(path("dangling.json"), "created");
  EXPECT_TRUE(fs::is_symlink(path("dangling.json")));
  EXPECT_EQ(read_all(path("real/new.json")), "created");
}

// Links planted at every name the old code used for its temporary (PATH.tmp, PATH.tmp-<pid>)
// and at a name of the new pattern are never followed: their target is untouched.
TEST_F(Output, NeverFollowsALinkPlantedAtATemporaryName) {
  const std::string victim = path("victim");
  write_output(victim, "precious");
  const std::string p = path("out.json");
  for (const std::string& planted :
       {p + ".tmp", p + ".tmp-" + std::to_string(getpid()), path(".out.json.XXXXXX")}) {
    fs::create_symlink(victim, planted);
  }
  write_output(p, "output");
  EXPECT_EQ(read_all(victim), "precious");
  EXPECT_EQ(read_all(p), "output");
  EXPECT_FALSE(fs::is_symlink(p));
}

// 20 writers at once to one path: each succeeds, the file is one writer's complete content,
// and no temporary is left.
TEST_F(Output, ConcurrentWritersEachLeaveOneCompleteFile) {
  const std::string p = path("shared.json");
  constexpr int kWriters = 20;
  std::vector<std::string> contents;
  for (int w = 0; w < kWriters; ++w) {
    contents.push_back("{\"writer\": " + std::to_string(w) + ", \"pad\": \"" +
                       std::string(50000 + 1000 * w, static_cast<char>('a' + w)) + "\"}\n");
  }
  std::vector<std::string> errors(kWriters);
  std::vector<std::thread> threads;
  for (int round = 0; round < 3; ++round) {
    threads.clear();
    for (int w = 0; w < kWriters; ++w) {
      threads.emplace_back(
          [&, w] { errors[w] = test::error_message([&] { write_output(p, contents[w]); }); });
    }
    for (auto& t : threads) t.join();
    for (int w = 0; w < kWriters; ++w) EXPECT_EQ(errors[w], "no error thrown") << "writer " << w;
    const std::string got = read_all(p);
    EXPECT_NE(std::find(contents.begin(), contents.end(), got), contents.end())
        << "the file is no writer's complete content (" << got.size() << " bytes)";
    EXPECT_THAT(files(), ElementsAre("shared.json"));
  }
}

TEST_F(Output, RefusesAFolder) {
  EXPECT_THAT(test::error_message([&] { write_output(tmp_.dir().string(), "x"); }),
              AllOf(HasSubstr(tmp_.dir().string()), HasSubstr("folder")));
}

TEST_F(Output, AFailedWriteNamesThePathAndLeavesNoTemporary) {
  const std::string missing = path("no/such/dir/out.json");
  EXPECT_THAT(test::error_message([&] { write_output(missing, "data"); }),
              AllOf(HasSubstr(missing), HasSubstr("No such file or directory")));
  EXPECT_TRUE(files().empty());

  // A failure half-way through (the test hook throws after half the bytes): the old file
  // stays and the temporary is removed.
  const std::string p = path("out.json");
  write_output(p, "old");
  for (const char* stage : {"partial", "written"}) {
    static std::string failing;
    failing = stage;
    detail::set_atomic_write_hook([](const char* s) {
      if (failing == s) throw Error("injected failure at " + failing);
    });
    EXPECT_THROW(write_output(p, "new content"), Error) << stage;
    detail::set_atomic_write_hook(nullptr);
    EXPECT_EQ(read_all(p), "old") << stage;
    EXPECT_THAT(files(), ElementsAre("out.json")) << stage;
  }
}

TEST_F(Output, ChecksPathsBeforeAnyWorkStarts) {
  EXPECT_THAT(test::error_message([] { check_output_path("", "--json"); }),
              AllOf(HasSubstr("--json"), HasSubstr("empty path")));
  const std::string missing = path("nonexist/x.json");
  EXPECT_THAT(test::error_message([&] { check_output_path(missing, "--json"); }),
              AllOf(HasSubstr("--json"), HasSubstr(missing), HasSubstr("No such file")));
  EXPECT_THAT(test::error_message([&] { check_output_path(tmp_.dir().string(), "--save"); }),
              AllOf(HasSubstr("--save"), HasSubstr("folder")));
  EXPECT_NO_THROW(check_output_path("-", "--json"));
  EXPECT_NO_THROW(check_output_path(path("fine.json"), "--json"));
  if (access("/dev/null", W_OK) == 0) {
    EXPECT_NO_THROW(check_output_path("/dev/null", "--json"));
  }
  // The check creates nothing that stays.
  EXPECT_TRUE(files().empty());
  // A read-only folder: only the probe tells, since access() says yes to root.
  fs::create_directory(tmp_.dir() / "ro");
  ASSERT_EQ(chmod(path("ro").c_str(), 0500), 0);
  const bool writable_anyway = geteuid() == 0;  // root writes into 0500 folders
  if (!writable_anyway) {
    EXPECT_THAT(test::error_message([&] { check_output_path(path("ro/x.json"), "--csv"); }),
                AllOf(HasSubstr("--csv"), HasSubstr("Permission denied")));
  }
  chmod(path("ro").c_str(), 0700);
}

// write_file_atomic, the name kept for older callers, is write_output.
TEST_F(Output, AtomicWriteReplacesTheFileAndLeavesNothingElse) {
  const std::string p = path("out.bin");
  write_file_atomic(p, "first");
  write_file_atomic(p, "second, longer");
  EXPECT_EQ(read_all(p), "second, longer");
  write_file_atomic(p, "");
  EXPECT_EQ(read_all(p), "");
  EXPECT_THAT(files(), ::testing::ElementsAre("out.bin"));
}

TEST_F(Output, AtomicWriteFailureNamesThePathAndLeavesNoTemporary) {
  const std::string p = path("no/such/dir/out.bin");
  try {
    write_file_atomic(p, "data");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr(p), HasSubstr("No such file or directory")));
  }
  EXPECT_TRUE(files().empty());
}

// A failure after the temporary file is complete (here: the test hook throws just before the
// rename) removes the temporary file and leaves the target as it was.
TEST_F(Output, AtomicWriteFailureBeforeRenameKeepsTheOldFile) {
  const std::string p = path("out.bin");
  write_file_atomic(p, "old");
  for (const char* stage : {"partial", "written"}) {
    static std::string failing_stage;
    failing_stage = stage;
    detail::set_atomic_write_hook([](const char* s) {
      if (failing_stage == s) throw Error("injected failure at " + failing_stage);
    });
    EXPECT_THROW(write_file_atomic(p, "new content"), Error) << stage;
    detail::set_atomic_write_hook(nullptr);
    EXPECT_EQ(read_all(p), "old") << stage;
    EXPECT_THAT(files(), ::testing::ElementsAre("out.bin")) << stage;
  }
}

}  // namespace
}  // namespace gat
