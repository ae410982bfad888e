// gat: command-line front end of the gat library. Parses flags, calls the library, prints.
// Every error becomes one line on stderr and a non-zero exit status.

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>

#include "commands.hpp"
#include "gat/core/error.hpp"

namespace gat::app {

void write_json(const std::string& path, const nlohmann::json& value) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    GAT_CHECK(out, "cannot write " << tmp);
    out << value.dump(2) << "\n";
    out.flush();
    GAT_CHECK(out, "cannot write " << tmp << " (disk full?)");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  GAT_CHECK(!ec, "cannot rename " << tmp << " to " << path << ": " << ec.message());
}

}  // namespace gat::app

namespace {

// OpenMP threads that wait at a barrier by spinning (libgomp's default) are fast on an idle
// machine but collapse on a shared one: when another process takes a core, the spinning
// thread burns its time slice waiting for a descheduled partner, and an epoch on Cora went
// from 5 ms to 750 ms in our measurements. Passive waiting costs little here and degrades
// gracefully, so it is the default. libgomp reads the variable when it loads, before main,
// hence the one re-execution; setting OMP_WAIT_POLICY yourself skips it.
void prefer_passive_waiting(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  setenv("OMP_WAIT_POLICY", "passive", 1);
  execv("/proc/self/exe", argv);  // returns only on failure: carry on as we are
}

}  // namespace

int main(int argc, char** argv) {
  prefer_passive_waiting(argv);
  CLI::App app{"gat: graph attention networks on the CPU"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "gat 0.1.0");
  gat::app::register_train(app);
  gat::app::register_bench(app);
  gat::app::register_eval(app);
  gat::app::register_predict(app);
  gat::app::register_embed(app);
  gat::app::register_info(app);
  gat::app::register_attention(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const gat::Error& e) {
    std::fprintf(stderr, "gat: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gat: internal error: %s\n", e.what());
    return 2;
  }
  return 0;
}
