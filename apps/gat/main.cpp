// gat: command-line front end of the gat library. Parses flags, calls the library, prints.
// Every error becomes one line on stderr: "gat: error: ..." and exit status 2 for a usage
// error, 1 for anything that failed while running.

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <string>
#include <vector>

#include "commands.hpp"
#include "common.hpp"
#include "gat/core/error.hpp"
#include "gat/io/output.hpp"

namespace gat::app {

void write_json(const std::string& path, const nlohmann::json& value) {
  write_output(path, value.dump(2) + "\n");
}

}  // namespace gat::app

namespace {

// OpenMP threads that wait at a barrier by spinning for long (libgomp's default: 300,000
// spins, libomp's: 200 ms) are fast on an idle machine but collapse on a shared one: when
// another process takes a core, the spinning thread burns its time slice waiting for a
// descheduled partner, and an epoch on Cora went from 5 ms to 750 ms in our measurements.
// Passive waiting (a futex sleep at every barrier) degrades gracefully but costs a wake-up per
// parallel region, which on Cora's small kernels ate the second thread's gain (2 threads no
// faster than 1). A short spin keeps both: 1,000 spins (a few microseconds) bridge the gap
// between back-to-back kernels, then the thread sleeps. Measured on a 2-core Xeon (gat bench,
// Cora training step, medians of 60, three alternating rounds): 2 threads 4.8-5.2 ms with the
// short spin against 5.7-6.4 ms passive; with a busy process on one core 7.4 ms (short spin)
// against 8.5 ms (passive) and 26 ms (10,000 spins). libgomp reads its variables when it
// loads, before main, hence the one re-execution. Each runtime is set unless you set it
// yourself: libgomp (GCC) reads GOMP_SPINCOUNT, libomp (Clang) KMP_BLOCKTIME, both
// OMP_WAIT_POLICY; libomp counts its wait in milliseconds, so it is told to sleep at once. A
// variable of the other runtime changes nothing here (KMP_BLOCKTIME, a common MKL setting,
// must not leave libgomp on its long default spin). The re-executed process finds its
// variables set and does not re-execute again.
void set_barrier_waiting(char** argv) {
  const bool policy = std::getenv("OMP_WAIT_POLICY") != nullptr;
  bool changed = false;
  if (!policy && std::getenv("GOMP_SPINCOUNT") == nullptr) {
    setenv("GOMP_SPINCOUNT", "1000", 1);
    changed = true;
  }
  if (!policy && std::getenv("KMP_BLOCKTIME") == nullptr) {
    setenv("KMP_BLOCKTIME", "0", 1);
    changed = true;
  }
  if (changed) execv("/proc/self/exe", argv);  // returns only on failure: carry on as we are
}

// Optimal string alignment distance: the edit distance with adjacent transpositions counted
// as one edit, so that "trian" is one typo away from "train", not two.
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// The candidate a typo most likely meant, or "" when none is close: within a third of the
// word's length in edits (at least one, at most three), or the only candidate the word
// starts (--weight for --weight-decay).
std::string closest(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_d = std::max<std::size_t>(1, std::min<std::size_t>(3, word.size() / 3)) + 1;
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(word, c);
    if (d < best_d) best = c, best_d = d;
  }
  if (!best.empty() || word.size() < 3) return best;
  for (const auto& c : candidates) {
    if (c.compare(0, word.size(), word) == 0) {
      if (!best.empty()) return "";  // ambiguous
      best = c;
    }
  }
  return best;
}

std::string did_you_mean(const std::string& suggestion) {
  return suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)";
}

int usage_error(const std::string& message) {
  std::fprintf(stderr, "gat: error: %s\n", message.c_str());
  return 2;
}

std::vector<std::string> command_names(CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    names.push_back(sub->get_name());
  }
  return names;
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

// An argument nobody took: an option the command does not have (with the nearest one it
// does have), or a stray word.
int unknown_argument(const CLI::App& cmd, const std::string& arg) {
  if (arg.size() < 2 || arg[0] != '-') {
    return usage_error("unexpected argument '" + arg + "' (options take the form --name value)");
  }
  const std::string name = arg.substr(0, arg.find('='));
  std::vector<std::string> known;
  for (const CLI::Option* opt : cmd.get_options()) {
    for (const auto& l : opt->get_lnames()) known.push_back("--" + l);
    for (const auto& s : opt->get_snames()) known.push_back("-" + s);
  }
  return usage_error("unknown option '" + name + "'" + did_you_mean(closest(name, known)));
}

// CLI11's exceptions as the README's convention: one line "gat: error: ...", exit status 2.
int report_parse_error(CLI::App& app, const CLI::ParseError& e, int argc, char** argv) {
  const std::vector<CLI::App*> parsed = app.get_subcommands();
  if (parsed.empty()) {
    // Without subcommand the first word (gat has no top-level options taking a value) is a
    // command that does not exist.
    for (int i = 1; i < argc; ++i) {
      const std::string word = argv[i];
      if (!word.empty() && word[0] != '-') {
        return usage_error("unknown command '" + word + "'" +
                           did_you_mean(closest(word, command_names(app))));
      }
    }
    const std::vector<std::string> rest = app.remaining();
    if (!rest.empty()) return unknown_argument(app, rest.front());
    return usage_error("no command given; usage: gat <command> [options], with <command> one of " +
                       join(command_names(app), ", ") +
                       " ('gat <command> --help' for its options)");
  }
  CLI::App& cmd = *parsed.back();
  const std::vector<std::string> rest = cmd.remaining();
  if (!rest.empty()) return unknown_argument(cmd, rest.front());
  std::string what = e.what();
  std::replace(what.begin(), what.end(), '\n', ' ');
  return usage_error(what + " (see 'gat " + cmd.get_name() + " --help')");
}

std::string running(CLI::App& app) {
  const std::vector<CLI::App*> parsed = app.get_subcommands();
  return parsed.empty() ? "parsing the command line"
                        : "running 'gat " + parsed.back()->get_name() + "'";
}

// Everything a command printed to stdout sits in its buffer until exit; a full disk or a
// closed pipe shows only when it is flushed. Unchecked, `gat info > /dev/full` would lose the
// output and still report success, so the flush is checked here, once, for every command.
int check_stdout(int status) {
  errno = 0;
  const bool failed = std::fflush(stdout) != 0 || std::ferror(stdout);
  if (!failed || status != 0) return status;  // a failed command has said why already
  const int err = errno;
  std::fprintf(stderr, "gat: error: cannot write to standard output: %s\n",
               err ? std::strerror(err) : "write error");
  return 1;
}

int run(int argc, char** argv);

}  // namespace

int main(int argc, char** argv) {
  set_barrier_waiting(argv);
  return check_stdout(run(argc, argv));
}

namespace {

int run(int argc, char** argv) {
  CLI::App app{"gat: graph attention networks on the CPU, and on NVIDIA GPUs (--device cuda)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "gat 0.1.0");
  gat::app::register_train(app);
  gat::app::register_bench(app);
  gat::app::register_eval(app);
  gat::app::register_predict(app);
  gat::app::register_embed(app);
  gat::app::register_info(app);
  gat::app::register_attention(app);
  gat::app::register_partition(app);
  // Exit status: 0 success (and --help, --version), 2 a usage error (the command line is
  // wrong; nothing ran), 1 anything that went wrong while running (data, model, files, memory).
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version: print them, succeed
    return report_parse_error(app, e, argc, argv);
  } catch (const gat::app::UsageError& e) {
    return usage_error(e.what());
  } catch (const gat::Error& e) {
    std::fprintf(stderr, "gat: error: %s\n", e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "gat: error: out of memory while %s\n", running(app).c_str());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gat: internal error: %s\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace
