#include "graphviz.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/io/output.hpp"

extern char** environ;

namespace gat::app {
namespace {

namespace fs = std::filesystem;

// A folder of our own for the files of one dot run, removed with everything in it. mkdtemp
// makes it with a unique random name and mode 0700, so no other user can guess a name in it or
// plant a link there (a fixed /tmp/gat-dot-<pid>.log could be a link to any file).
class PrivateFolder {
 public:
  PrivateFolder() {
    std::string pattern = (fs::temp_directory_path() / "gat-dot-XXXXXX").string();
    GAT_CHECK(mkdtemp(pattern.data()) != nullptr,
              "cannot create a temporary folder " << pattern << ": " << std::strerror(errno));
    path_ = pattern;
  }
  ~PrivateFolder() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  PrivateFolder(const PrivateFolder&) = delete;
  PrivateFolder& operator=(const PrivateFolder&) = delete;
  std::string operator/(const char* name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

// The whole content of a file we created in a PrivateFolder.
std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

}  // namespace

std::string find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const fs::path candidate = fs::path(dir.empty() ? "." : dir) / name;
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec) && access(candidate.c_str(), X_OK) == 0) {
      return candidate.string();
    }
  }
  return {};
}

void render_png(const std::string& dot_exe, const std::string& dot_text, const std::string& png) {
  const PrivateFolder dir;
  const std::string input = dir / "in.dot", output = dir / "out.png", log = dir / "dot.log";
  write_output(input, dot_text);
  std::vector<std::string> args = {dot_exe, "-Tpng", input, "-o", output};
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  // dot's stdout goes nowhere (our stdout may hold a result); its stderr to a log of its own,
  // created here (O_EXCL, O_NOFOLLOW) so that nothing planted can be written through.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, log.c_str(),
                                   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
  pid_t child = 0;
  const int rc = posix_spawn(&child, dot_exe.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  GAT_CHECK(rc == 0, "cannot run " << dot_exe << ": " << std::strerror(rc));
  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
    GAT_CHECK(errno == EINTR, "waiting for " << dot_exe << ": " << std::strerror(errno));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string first = read_all(log);
    first = first.substr(0, first.find('\n'));
    GAT_FAIL("dot -Tpng failed" << (first.empty() ? std::string() : ": " + first));
  }
  write_output(png, read_all(output));
}

}  // namespace gat::app
