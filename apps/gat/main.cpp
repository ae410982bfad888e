// gat: command-line front end of the gat library. Parses flags, calls the library, prints.
// Every error becomes one line on stderr and a non-zero exit status.

#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>

#include <CLI/CLI.hpp>

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

int main(int argc, char** argv) {
  CLI::App app{"gat: graph attention networks on the CPU"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "gat 0.1.0");
  gat::app::register_train(app);
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
