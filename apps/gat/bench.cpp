// gat bench: times sparse and dense attention over graph sizes and densities, on the CPU or
// (--device cuda) on an NVIDIA GPU.
//
// Each configuration runs in a child process (fork) so that its peak memory (VmHWM) is its
// own, and so that a dense run the machine cannot hold fails alone. The parent only parses
// flags, forks and collects one JSON line per child through a pipe: it never enters an
// OpenMP region, so the children start from a clean runtime. Nor does it touch the CUDA
// runtime, for the same reason and a stronger one: a child forked after the parent has
// initialised CUDA cannot use it, so even the check that a GPU is there runs in a child.

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "common.hpp"
#include "gat/core/device.hpp"
#include "gat/core/error.hpp"
#include "gat/core/memory.hpp"
#include "gat/core/random.hpp"
#include "gat/core/threads.hpp"
#include "gat/graph/generate.hpp"
#include "gat/graph/order.hpp"
#include "gat/io/output.hpp"
#include "gat/layers/gat_model.hpp"
#include "gat/optim/adam.hpp"
#include "gat/train/cuda_trainer.hpp"
#include "gat/train/loss.hpp"
#include "model_flags.hpp"
#include "presets.hpp"

namespace gat::app {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

struct BenchFlags {
  DataFlags data;
  bool use_dataset = false;
  std::vector<long> nodes{1000, 4000, 16000};
  std::vector<double> degree{4, 16, 64};
  std::vector<double> density;  // overrides --degree when given
  std::string graph = "er";
  std::string mode = "both";
  std::vector<int> heads{8};
  std::vector<int> features{8};
  int out_heads = 0;  // --out-heads; 0: the dataset's preset (pubmed: 8), else 1
  int in_features = 64;
  int classes = 7;
  int warmup = 2;
  int reps = 10;
  int threads = 0;
  std::uint64_t seed = 0;
  double dense_limit_gib = 0;
  Device device = Device::kCpu;
  std::string aggregation = "kernel";  // the GPU's sparse aggregation (CudaAggregation)
  std::string csv, json_path;
};

// One point of the sweep.
struct Config {
  long nodes = 0;
  double degree = 0;   // target average degree (when by_density is false)
  double density = 0;  // target fraction of the N² pairs (when by_density is true)
  bool by_density = false;
  int heads = 8, features = 8;
  std::string mode;
};

double ms(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// Minor page faults of this process so far: each is a page the kernel had to hand over (and
// zero) because memory was touched for the first time, typically a fresh allocation.
long minor_faults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

// Median, min and max of a timing; null for one that was not measured (forward and backward
// on the GPU, see Timings), so that the JSON never holds a made-up number.
json summarize(std::vector<double> v) {
  if (v.empty()) return nullptr;
  std::sort(v.begin(), v.end());
  return {{"median", median(v)}, {"min", v.front()}, {"max", v.back()}};
}

// The dataset a --dataset / --edges / --ogb run benchmarks, as the flags name it.
std::string dataset_label(const BenchFlags& f) {
  if (!f.data.edges.empty()) return f.data.edges;
  if (!f.data.ogb.empty()) return f.data.ogb;
  return f.data.dataset;
}

// The model a configuration times; run_config takes the input width and the classes from the
// dataset where it has them.
GatModelOptions config_options(const BenchFlags& f, const Config& c) {
  GatModelOptions o;
  o.in_features = f.in_features;
  o.num_classes = f.classes;
  o.hidden = c.features;
  o.heads = c.heads;
  o.out_heads = f.out_heads > 0 ? f.out_heads : 1;
  o.attention = c.mode == "dense" ? AttentionMode::kDense : AttentionMode::kSparse;
  o.dense_memory_limit = static_cast<std::uint64_t>(f.dense_limit_gib * 1024 * 1024 * 1024);
  return o;
}

// What one timed configuration measured, in milliseconds per repetition. On the GPU the step
// is one number (forward, loss, backward and Adam are queued together and waited for once),
// so forward and backward stay empty there.
struct Timings {
  std::vector<double> fwd, bwd, step, infer;
  long step_faults = 0;  // minor page faults of the timed training steps
  // The GPU's sparse aggregation that ran: kernel, cusparse or cusparse+kernel ("" on the CPU
  // and for dense attention).
  std::string aggregation;
};

// One forward pass of the model on the configuration's graph and input.
using ForwardPass = std::function<RowMatrix(GatModelCache<float>&, const ForwardContext&)>;

// The CPU's training step, timed in its parts (forward; loss and backward; Adam), and its
// inference pass.
Timings time_cpu(const BenchFlags& f, GatModel<float>& model, const CsrGraph& g,
                 const ForwardPass& forward, const std::vector<std::int32_t>& labels,
                 const std::vector<NodeId>& train) {
  auto params = model.parameters();
  Adam<float> adam(params, AdamOptions{});
  GatModelCache<float> cache;
  RowMatrix grad;
  Timings t;
  // Page faults of the timed training steps (forward, backward, Adam). The inference pass
  // between them reuses the training cache, as gat train does: the step is done with it.
  for (int r = 0; r < f.warmup + f.reps; ++r) {
    const ForwardContext ctx{true, f.seed, static_cast<std::uint64_t>(r)};
    const long faults0 = minor_faults();
    const auto t0 = Clock::now();
    const RowMatrix logits = forward(cache, ctx);
    const auto t1 = Clock::now();
    nll_loss<float>(logits, labels, train, &grad);
    zero_grad(params);
    model.backward(g, cache, grad);
    const auto t2 = Clock::now();
    adam.step();
    const auto t3 = Clock::now();
    if (r >= f.warmup) t.step_faults += minor_faults() - faults0;
    const auto t4 = Clock::now();
    ForwardContext eval_ctx;  // nobody reads its attention weights: keep none
    eval_ctx.keep_attention = false;
    const RowMatrix eval = forward(cache, eval_ctx);
    const auto t5 = Clock::now();
    if (r < f.warmup) continue;
    t.fwd.push_back(ms(t0, t1));
    t.bwd.push_back(ms(t1, t2));
    t.step.push_back(ms(t0, t3));
    t.infer.push_back(ms(t4, t5));
  }
  return t;
}

// The GPU's training step and inference pass: CudaTrainer::train_step (forward, loss,
// backward, Adam) and evaluate (one forward pass without dropout, scored on the split),
// each timed up to synchronize(), since the device runs the work it is given asynchronously.
Timings time_cuda(const BenchFlags& f, const GatModel<float>& model, const CsrGraph& g,
                  FeatureView x, const std::vector<std::int32_t>& labels, const Split& split) {
  CudaTrainer trainer(model, g, x, labels, split, AdamOptions{});
  trainer.set_aggregation(parse_cuda_aggregation(f.aggregation));
  Timings t;
  for (int r = 0; r < f.warmup + f.reps; ++r) {
    const long faults0 = minor_faults();
    const auto t0 = Clock::now();
    trainer.train_step(f.seed, static_cast<std::uint64_t>(r));
    trainer.synchronize();
    const auto t1 = Clock::now();
    if (r >= f.warmup) t.step_faults += minor_faults() - faults0;
    const auto t2 = Clock::now();
    trainer.evaluate();
    trainer.synchronize();
    const auto t3 = Clock::now();
    if (r < f.warmup) continue;
    t.step.push_back(ms(t0, t1));
    t.infer.push_back(ms(t2, t3));
  }
  // What ran: cuSPARSE takes only the layers whose head blocks are 16-byte aligned (the kernel
  // the others), and dense attention aggregates with cuBLAS (no sparse aggregation at all).
  const CudaTrainer::AggregationCalls calls = trainer.aggregation_calls();
  if (calls.cusparse > 0 && calls.kernel > 0) {
    t.aggregation = "cusparse+kernel";
  } else if (calls.cusparse > 0 || calls.kernel > 0) {
    t.aggregation = calls.cusparse > 0 ? "cusparse" : "kernel";
  }
  return t;
}

// Runs one configuration in the current (child) process and returns its measurements.
json run_config(const BenchFlags& f, const Config& c) {
  apply_threads(f.threads);
  Dataset data;
  CsrGraph graph;
  std::string graph_name = f.graph;
  if (f.use_dataset) {
    data = load_dataset(f.data);
    graph = data.graph;
    graph_name = data.name;
  } else if (f.graph == "rmat") {
    const int scale = static_cast<int>(std::ceil(std::log2(double(c.nodes))));
    const auto edges = static_cast<EdgeId>(double(EdgeId{1} << scale) * c.degree / 2);
    graph = rmat(scale, edges, 0.57, 0.19, 0.19, f.seed);
  } else if (c.by_density) {
    graph = erdos_renyi_density(static_cast<NodeId>(c.nodes), c.density, f.seed);
  } else {
    graph = erdos_renyi(static_cast<NodeId>(c.nodes), c.degree, f.seed);
  }
  // A generated graph is renumbered here; a dataset was by load_dataset, with its features.
  if (!f.use_dataset && f.data.node_order != "file") {
    graph = permute_nodes(graph, node_order(graph, parse_node_order(f.data.node_order)));
  }
  // A dataset's own features and labels where it has them; generated ones where it has not
  // (an edge list alone benchmarks the graph with random dense inputs and labels).
  const bool real_x = f.use_dataset && data.num_features() > 0;
  const bool real_y = f.use_dataset && !data.train.empty();
  GatModelOptions o = config_options(f, c);
  if (real_x) o.in_features = static_cast<int>(data.num_features());
  if (real_y) o.num_classes = data.num_classes();
  if (f.use_dataset && f.out_heads == 0) o.out_heads = preset_out_heads(data.name);
  const bool gpu = f.device == Device::kCuda;
  // Refused here, in the child, the configuration becomes an error row of the sweep with the
  // bytes it needs, instead of growing to the limit and dying of std::bad_alloc. Not on the
  // GPU: the estimate is the CPU training's, and CudaTrainer refuses what the device cannot
  // hold itself, saying how much it asked for.
  const std::int64_t nnz =
      real_x ? data.feature_entries() : std::int64_t{graph.num_nodes()} * o.in_features;
  if (!gpu) {
    // The estimate counts the graph (as loaded and as prepared), but this one is already in
    // memory, out of what the limit reports as available: counted twice, it refused the
    // 10M-node graph that trains in 18.4 GiB of 23.
    const std::uint64_t need = GatModel<float>::estimate_training_bytes(
        o, graph.num_nodes(), graph.num_edges(), nnz, !real_x || data.has_dense_features());
    const std::uint64_t held = graph.memory_bytes();
    check_memory(need > held ? need - held : 0,
                 "training the model (N = " + std::to_string(graph.num_nodes()) + " nodes, E = " +
                     std::to_string(graph.num_edges()) + " edges, " + std::to_string(c.heads) +
                     " heads x " + std::to_string(c.features) + " features)");
  }
  GatModel<float> model(o, f.seed);
  const CsrGraph g = model.prepare_graph(graph);
  graph = CsrGraph();  // the prepared copy is the one used: free the other
  const NodeId n = g.num_nodes();

  // Inputs: the dataset's features (sparse, or dense in place), or dense random ones (N, in).
  SparseInput<float> sparse_x;
  RowMatrix dense_x;
  std::vector<std::int32_t> labels(n);
  Split split;  // generated labels: every node trains, none is held out
  if (!gpu && real_x && !data.has_dense_features()) sparse_x = SparseInput<float>(data.features);
  if (!real_x) {
    const CounterRng rng(f.seed, 0, 0, 77);
    dense_x.resize(n, o.in_features);
    for (Eigen::Index k = 0; k < dense_x.size(); ++k) {
      dense_x.data()[k] = float(rng.uniform(std::uint64_t(k)) * 2 - 1);
    }
  }
  if (real_y) {
    labels = data.labels;
    split = Split{data.train, data.val, data.test};
  } else {
    const CounterRng rng(f.seed, 0, 0, 77);  // the stream of the features, past their N·in
    for (NodeId i = 0; i < n; ++i) {
      labels[i] = static_cast<std::int32_t>(
          rng.bits(std::uint64_t(n) * std::uint64_t(o.in_features) + std::uint64_t(i)) %
          o.num_classes);
      split.train.push_back(i);
    }
  }
  Timings t;
  if (gpu) {
    // The graph as prepared (the trainer applies the same self-loop policy again, which
    // changes nothing), so that the edge count reported is the one the device runs.
    const FeatureView x = !real_x                     ? FeatureView(MatrixCRef<float>(dense_x))
                          : data.has_dense_features() ? data.feature_view()
                                                      : FeatureView(data.features);
    t = time_cuda(f, model, g, x, labels, split);
  } else {
    const ForwardPass forward = [&](GatModelCache<float>& cache, const ForwardContext& ctx) {
      if (!real_x) return model.forward(g, dense_x, cache, ctx);
      if (data.has_dense_features()) {
        return model.forward(g, MatrixCRef<float>(data.dense_features), cache, ctx);
      }
      return model.forward(g, sparse_x, cache, ctx);
    };
    t = time_cpu(f, model, g, forward, labels, split.train);
  }
  const double e = double(g.num_edges());
  return {{"graph", graph_name},
          {"nodes", n},
          {"edges", g.num_edges()},
          {"density", e / (double(n) * double(n))},
          {"avg_degree", e / double(n)},
          {"mode", c.mode},
          {"heads", c.heads},
          {"features", c.features},
          {"out_heads", o.out_heads},
          {"node_order", f.data.node_order},
          {"threads", num_threads()},
          {"device", to_string(f.device)},
          {"forward_ms", summarize(t.fwd)},
          {"backward_ms", summarize(t.bwd)},
          {"step_ms", summarize(t.step)},
          {"inference_ms", summarize(t.infer)},
          {"peak_mib", peak_rss_mib()},
          {"bytes_per_edge", e > 0 ? peak_rss_mib() * 1024 * 1024 / e : 0.0},  // 0: no edges
          {"faults_per_step", double(t.step_faults) / f.reps},
          {"aggregation", t.aggregation.empty() ? json(nullptr) : json(t.aggregation)},
          {"status", "ok"}};
}

// Forks, runs `work` in the child, and returns the JSON it made (or an error record when it
// threw or the child died).
json in_child(const std::function<json()>& work) {
  int fds[2];
  GAT_CHECK(pipe(fds) == 0, "bench: cannot create a pipe");
  const pid_t pid = fork();
  GAT_CHECK(pid >= 0, "bench: cannot fork");
  if (pid == 0) {
    close(fds[0]);
    std::string line;
    try {
      line = work().dump();
    } catch (const std::exception& e) {
      line = json{{"status", "error"}, {"error", e.what()}}.dump();
    }
    line += "\n";
    [[maybe_unused]] const auto written = write(fds[1], line.data(), line.size());
    close(fds[1]);
    _exit(0);
  }
  close(fds[1]);
  std::string text;
  char buf[4096];
  ssize_t got;
  while ((got = read(fds[0], buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(got));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  json r;
  if (!text.empty()) r = json::parse(text, nullptr, false);
  if (text.empty() || r.is_discarded()) {
    r = {{"status", "error"},
         {"error", WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                                       : std::string("no result")}};
  }
  return r;
}

// Runs the configuration in a child (in_child) and returns its measurements or its error.
json run_in_child(const BenchFlags& f, const Config& c) {
  json r = in_child([&] { return run_config(f, c); });
  // Error records carry the configuration, so that a failed run can be placed in its sweep.
  r["mode"] = c.mode;
  r["device"] = to_string(f.device);
  if (!r.contains("nodes")) r["nodes"] = c.nodes;
  if (!r.contains("graph")) r["graph"] = f.use_dataset ? dataset_label(f) : f.graph;
  if (!r.contains("heads")) r["heads"] = c.heads;
  if (!r.contains("features")) r["features"] = c.features;
  if (!r.contains("density") && c.by_density) r["density"] = c.density;
  if (!r.contains("avg_degree") && !c.by_density) r["avg_degree"] = c.degree;
  return r;
}

// "sparse N=4096 degree=16 H=8 F=8": one configuration of the sweep, as its flags name it.
std::string config_text(const BenchFlags& f, const Config& c) {
  std::ostringstream out;
  out << c.mode;
  if (f.use_dataset) {
    out << " dataset=" << dataset_label(f);
  } else {
    out << " " << f.graph << " N=" << c.nodes;
    if (c.by_density) {
      out << " density=" << c.density;
    } else {
      out << " degree=" << c.degree;
    }
  }
  out << " H=" << c.heads << " F=" << c.features;
  return out.str();
}

void print_header() {
  std::fprintf(report(), "%-10s %7s %10s %9s %7s %6s %3s %3s %11s %11s %11s %11s %9s %7s %8s\n",
               "graph", "nodes", "edges", "density", "degree", "mode", "H", "F", "forward ms",
               "backward ms", "step ms", "infer ms", "peak MiB", "B/edge", "faults");
}

// A timing's median, or "-" where it was not measured (null: forward and backward on the GPU).
std::string median_text(const json& timing) {
  if (timing.is_null()) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", timing["median"].get<double>());
  return buf;
}

void print_row(const json& r) {
  if (r["status"] != "ok") {
    std::fprintf(report(), "%-10s %7ld %10s %9s %7s %6s  %s\n", "-", r["nodes"].get<long>(), "-",
                 "-", "-", r["mode"].get<std::string>().c_str(),
                 r["error"].get<std::string>().c_str());
    return;
  }
  std::fprintf(report(),
               "%-10s %7ld %10ld %9.5f %7.1f %6s %3d %3d %11s %11s %11s %11s %9.1f %7.0f %8.0f\n",
               r["graph"].get<std::string>().c_str(), r["nodes"].get<long>(),
               r["edges"].get<long>(), r["density"].get<double>(), r["avg_degree"].get<double>(),
               r["mode"].get<std::string>().c_str(), r["heads"].get<int>(),
               r["features"].get<int>(), median_text(r["forward_ms"]).c_str(),
               median_text(r["backward_ms"]).c_str(), median_text(r["step_ms"]).c_str(),
               median_text(r["inference_ms"]).c_str(), r["peak_mib"].get<double>(),
               r["bytes_per_edge"].get<double>(), r["faults_per_step"].get<double>());
  std::fflush(report());
}

// The sweep as CSV: one row per configuration; a failed one keeps its configuration and
// leaves the measurements empty, as a row of the GPU leaves forward and backward.
std::string results_csv(const std::vector<json>& rows, Device device,
                        const std::string& node_order) {
  std::ostringstream out;
  out << "graph,nodes,edges,density,avg_degree,mode,heads,features,node_order,threads,device,"
         "forward_ms,forward_min_ms,forward_max_ms,backward_ms,backward_min_ms,backward_max_ms,"
         "step_ms,step_min_ms,step_max_ms,inference_ms,inference_min_ms,inference_max_ms,"
         "peak_mib,bytes_per_edge,faults_per_step,status\n";
  for (const auto& r : rows) {
    if (r["status"] != "ok") {  // the configuration, no measurements
      auto opt = [&](const char* k) { return r.contains(k) ? r[k].dump() : std::string(); };
      // threads empty, the device, then 12 timings and 3 memory columns empty
      out << r["graph"].get<std::string>() << ',' << r["nodes"] << ",," << opt("density") << ','
          << opt("avg_degree") << ',' << r["mode"].get<std::string>() << ',' << r["heads"] << ','
          << r["features"] << ',' << node_order << ",," << to_string(device)
          << ",,,,,,,,,,,,,,,,error\n";
      continue;
    }
    out << r["graph"].get<std::string>() << ',' << r["nodes"] << ',' << r["edges"] << ','
        << r["density"] << ',' << r["avg_degree"] << ',' << r["mode"].get<std::string>() << ','
        << r["heads"] << ',' << r["features"] << ',' << node_order << ',' << r["threads"] << ','
        << to_string(device);
    for (const char* k : {"forward_ms", "backward_ms", "step_ms", "inference_ms"}) {
      if (r[k].is_null()) {
        out << ",,,";
      } else {
        out << ',' << r[k]["median"] << ',' << r[k]["min"] << ',' << r[k]["max"];
      }
    }
    out << ',' << r["peak_mib"] << ',' << r["bytes_per_edge"] << ',' << r["faults_per_step"]
        << ",ok\n";
  }
  return out.str();
}

void run_bench(BenchFlags& f) {
  GAT_CHECK(f.reps >= 1, "--reps must be at least 1");
  // Before the sweep, which can take hours, not after it.
  check_outputs({{f.csv, "--csv"}, {f.json_path, "--json"}});
  std::vector<std::string> modes;
  if (f.mode == "both")
    modes = {"sparse", "dense"};
  else
    modes = {f.mode};
  std::vector<Config> configs;
  const bool by_density = !f.density.empty();
  const std::vector<long> nodes = f.use_dataset ? std::vector<long>{0} : f.nodes;
  const std::vector<double> sweep = f.use_dataset ? std::vector<double>{0}
                                    : by_density  ? f.density
                                                  : f.degree;
  for (const long n : nodes) {
    for (const double x : sweep) {
      for (const int h : f.heads) {
        for (const int feat : f.features) {
          for (const auto& m : modes) {
            Config c;
            c.nodes = n;
            c.by_density = by_density;
            (by_density ? c.density : c.degree) = x;
            c.heads = h;
            c.features = feat;
            c.mode = m;
            configs.push_back(c);
          }
        }
      }
    }
  }
  if (f.device == Device::kCuda) {
    // Whether a GPU is there, asked in a child: the parent must not initialise CUDA (see the
    // top of this file). No GPU is one line and exit status 1, as for gat train.
    const json probe = in_child([] {
      require_device(Device::kCuda);
      return json{{"status", "ok"}, {"device_name", cuda_device_text(cuda_status())}};
    });
    GAT_CHECK(probe["status"] == "ok", probe["error"].get<std::string>());
    std::fprintf(report(), "device: cuda, %s; forward and backward are not timed apart (-)\n",
                 probe["device_name"].get<std::string>().c_str());
  }
  print_header();
  std::fflush(report());
  std::vector<json> rows;
  // Which configuration of how many is running, on stderr: a sweep can take minutes per point.
  // On a terminal the line is erased before its row is printed, so the table stays a table.
  const bool live = isatty(STDERR_FILENO) != 0;
  for (std::size_t k = 0; k < configs.size(); ++k) {
    const std::string what = config_text(f, configs[k]);
    std::fprintf(stderr, live ? "\r[%zu/%zu] %s ...\033[K" : "[%zu/%zu] %s\n", k + 1,
                 configs.size(), what.c_str());
    std::fflush(stderr);
    rows.push_back(run_in_child(f, configs[k]));
    if (live) std::fputs("\r\033[K", stderr);
    print_row(rows.back());
  }
  if (!f.csv.empty()) write_output(f.csv, results_csv(rows, f.device, f.data.node_order));
  if (!f.json_path.empty()) write_json(f.json_path, json{{"results", rows}});
}

}  // namespace

void register_bench(CLI::App& app) {
  auto flags = std::make_shared<BenchFlags>();
  auto& f = *flags;
  CLI::App* cmd = app.add_subcommand(
      "bench", "Time sparse vs dense attention (forward, backward, training step, memory)");
  add_data_flags(*cmd, f.data);
  add_node_order_flag(*cmd, f.data);
  cmd->get_option("--dataset")
      ->description("Benchmark on a real dataset instead of generated graphs (e.g. cora)");
  cmd->add_option("--nodes", f.nodes, "Node counts of generated graphs")
      ->delimiter(',')
      ->capture_default_str()
      ->check(CLI::Range(2L, 1L << 30));
  cmd->add_option("--degree", f.degree, "Target average degrees of generated graphs")
      ->delimiter(',')
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--density", f.density,
                  "Target densities (edges / N^2) instead of degrees, e.g. 0.001,0.01,0.1")
      ->delimiter(',')
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--graph", f.graph, "Generator: er (Erdos-Renyi) or rmat (power law)")
      ->capture_default_str()
      ->check(CLI::IsMember({"er", "rmat"}));
  cmd->add_option("--mode", f.mode, "sparse, dense or both")
      ->capture_default_str()
      ->check(CLI::IsMember({"sparse", "dense", "both"}));
  cmd->add_option("--heads", f.heads, "Heads H (list)")
      ->delimiter(',')
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--hidden", f.features, "Features per head F (list)")
      ->delimiter(',')
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 16));
  cmd->add_option("--out-heads", f.out_heads,
                  "Heads of the output layer (averaged); default: the paper's for --dataset "
                  "(pubmed: 8), else 1")
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--in", f.in_features, "Input features of generated graphs")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--warmup", f.warmup, "Untimed repetitions first")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000));
  cmd->add_option("--reps", f.reps, "Timed repetitions (median, min, max reported)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--threads", f.threads, "OpenMP threads (default: all cores)")
      ->check(CLI::Range(1, 4096));
  add_device_flag(*cmd, f.device)
      ->description(
          "Where to time: cpu, or cuda (an NVIDIA GPU; the training step is "
          "timed whole, and peak memory is the host's)");
  cmd->add_option("--aggregation", f.aggregation,
                  "With --device cuda: the sparse attention's aggregation, kernel (gat's) or "
                  "cusparse (cusparseSpMM per head)")
      ->capture_default_str()
      ->check(CLI::IsMember({"kernel", "cusparse"}));
  cmd->add_option("--seed", f.seed, "Seed of graphs, features and weights")
      ->capture_default_str()
      ->check(seed_value());
  cmd->add_option("--dense-limit-gib", f.dense_limit_gib,
                  "Refuse dense runs needing more than this (default: available memory)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--csv", f.csv,
                  "Write results as CSV ('-': stdout, the table then goes to stderr)")
      ->check(non_empty_path());
  cmd->add_option("--json", f.json_path,
                  "Write results as JSON ('-': stdout, the table then goes to stderr)")
      ->check(non_empty_path());
  cmd->callback([flags, cmd] {
    keep_freed_memory();  // before the children fork: they inherit it
    GAT_CHECK(cmd->count("--aggregation") == 0 || flags->device == Device::kCuda,
              "--aggregation chooses the GPU's aggregation: it needs --device cuda");
    flags->use_dataset = cmd->count("--dataset") > 0 || flags->data.own_graph();
    if (!flags->use_dataset) {
      refuse_own_graph_flags(flags->data,
                             "without --dataset, --edges or --ogb gat bench generates its graphs "
                             "(the width per head is --hidden)");
    }
    run_bench(*flags);
  });
}

}  // namespace gat::app
