// gat train: node classification on a LINQS dataset with the paper's GAT.

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "commands.hpp"
#include "common.hpp"
#include "gat/build_config.hpp"
#include "gat/core/device.hpp"
#include "gat/core/error.hpp"
#include "gat/core/threads.hpp"
#include "gat/io/partition.hpp"
#include "gat/train/cuda_trainer.hpp"
#include "gat/train/dist_trainer.hpp"
#include "gat/train/trainer.hpp"
#if GAT_BUILD_MPI
#include "gat/mpi/mpi_communicator.hpp"
#endif
#include "model_flags.hpp"
#include "model_io.hpp"
#include "presets.hpp"
#include "progress.hpp"
#include "results.hpp"
#include "train_graph.hpp"

namespace gat::app {
namespace {

struct TrainFlags : ModelFlags {
  DataFlags data;
  int runs = 1;
  int threads = 0;
  bool quiet = false;
  int log_every = 10;
  std::string json;
  std::string history;       // --history: per-epoch CSV
  std::string save;          // checkpoint of run 1
  std::string partitions;    // --partitions: distributed training on `gat partition`'s output
  double mpi_timeout = 900;  // --mpi-timeout: seconds a collective waits for the others
  // --task graph
  std::string task = "node";
  int folds = 10;
  std::string pool = "sum";
  bool no_edge_features = false;
  int batch_size = 32;
  std::int64_t gate_hidden = 0;
  std::string protocol = "cv";
  std::string model_kind = "gat";
  std::vector<std::string> grid;
  int outer_folds = 10;
  int final_runs = 3;
  double holdout = 0.1;
  bool jk = true;
  bool raw_attributes = false;
  int degree_features = 4;
  std::int64_t mlp_hidden = 64;
  double mlp_dropout = 0.0;
  int shards = 2;
  int lr_step = 0;
  double lr_decay = 0.5;
  double ema = 0.0;
};

// The per-epoch history as CSV, one row per epoch of every run, for tools/plot_train.py.
std::string history_csv(const std::vector<std::pair<std::uint64_t, TrainResult>>& runs) {
  std::string csv = "run,seed,epoch,train_loss,train_acc,val_loss,val_acc,train_ms,eval_ms\n";
  char buf[256];
  for (std::size_t r = 0; r < runs.size(); ++r) {
    for (const EpochStats& s : runs[r].second.history) {
      std::snprintf(buf, sizeof buf, "%zu,%llu,%d,%.9g,%.9g,%.9g,%.9g,%.6g,%.6g\n", r + 1,
                    static_cast<unsigned long long>(runs[r].first), s.epoch, s.train_loss,
                    s.train_acc, s.val_loss, s.val_acc, s.train_ms, s.eval_ms);
      csv += buf;
    }
  }
  return csv;
}

nlohmann::json history_json(const TrainResult& res) {
  nlohmann::json h = nlohmann::json::array();
  for (const EpochStats& s : res.history) {
    h.push_back({{"epoch", s.epoch},
                 {"train_loss", s.train_loss},
                 {"train_acc", s.train_acc},
                 {"val_loss", s.val_loss},
                 {"val_acc", s.val_acc},
                 {"train_ms", s.train_ms},
                 {"eval_ms", s.eval_ms}});
  }
  return h;
}

// The dataset line of the report: sizes, split, and the citations the reader skipped.
void print_dataset(const Dataset& data, const LinqsReport& linqs, const NodeDataReport* own) {
  std::fprintf(report(),
               "dataset %s: %d nodes, %lld edges, %lld features, %d classes; split %zu/%zu/%zu",
               data.name.c_str(), data.num_nodes(), static_cast<long long>(data.graph.num_edges()),
               static_cast<long long>(data.num_features()), data.num_classes(), data.train.size(),
               data.val.size(), data.test.size());
  if (linqs.skipped_citations > 0) {
    std::fprintf(report(), "; %lld citations to unknown nodes skipped",
                 static_cast<long long>(linqs.skipped_citations));
  }
  std::fprintf(report(), "\n");
  if (own) std::fprintf(report(), "split %s\n", own->split.c_str());
}

// Progress of the runs on stderr. --log-every counts only when given: without it, Progress
// chooses a live line on a terminal and a log elsewhere.
ProgressOptions progress_options(const TrainFlags& f, const CLI::App& cmd) {
  ProgressOptions po;
  po.quiet = f.quiet;
  po.log_every = cmd.count("--log-every") > 0 ? f.log_every : 0;
  po.unit = "run";
  po.count = f.runs;
  po.max_epochs = f.train.epochs;
  po.patience = f.train.patience;
  return po;
}

// Each epoch's scores to the progress display.
EpochCallback progress_callback(Progress& progress) {
  return [&progress](const EpochStats& s) {
    EpochPoint p;
    p.epoch = s.epoch;
    p.loss = s.train_loss;
    p.train_acc = s.train_acc;
    p.has_val = true;
    p.val_loss = s.val_loss;
    p.val_acc = s.val_acc;
    p.ms = s.train_ms + s.eval_ms;
    progress.update(p);
  };
}

// Run r (0-based): seed f.seed + r, progress on stderr, and --save for run 1.
TrainedModel train_run(const TrainFlags& f, const Dataset& data, int r, Progress& progress) {
  const std::uint64_t seed = f.seed + static_cast<std::uint64_t>(r);
  progress.begin(r);
  TrainedModel run = train_model(f, data, seed, progress_callback(progress));
  progress.end();
  if (r == 0 && !f.save.empty()) {
    // The trainer has restored the best-validation weights; run 1 is the one saved, so the
    // file can be reproduced with --runs 1 and the same --seed.
    save_trained_model(f.save, run, data, f.data);
    std::fprintf(report(), "saved run 1 (seed %llu, best epoch %d) to %s\n",
                 static_cast<unsigned long long>(seed), run.result.best_epoch, f.save.c_str());
  }
  return run;
}

// The epoch times of every run, for the medians of the closing lines.
struct Timings {
  std::vector<double> train_ms, eval_ms;
};

// Run r's line of the report and its entry of --json; its epoch times join `all`.
nlohmann::json report_run(const TrainFlags& f, int r, const TrainedModel& run, Timings& all) {
  const TrainResult& res = run.result;
  std::vector<double> tms, ems;
  for (const auto& s : res.history) {
    tms.push_back(s.train_ms);
    ems.push_back(s.eval_ms);
  }
  const double run_train_ms = median(tms), run_eval_ms = median(ems);
  all.train_ms.insert(all.train_ms.end(), tms.begin(), tms.end());
  all.eval_ms.insert(all.eval_ms.end(), ems.begin(), ems.end());
  std::fprintf(
      report(),
      "run %d/%d seed %llu: test accuracy %.4f  (val %.4f, best epoch %d of %d, epoch %.2f "
      "ms, inference %.2f ms)\n",
      r + 1, f.runs, static_cast<unsigned long long>(run.seed), res.test_acc, res.val_acc,
      res.best_epoch, res.epochs_run, run_train_ms, run_eval_ms);
  std::fflush(report());
  return {{"seed", run.seed},
          {"test_acc", res.test_acc},
          {"val_acc", res.val_acc},
          {"train_acc", res.train_acc},
          {"best_epoch", res.best_epoch},
          {"epochs", res.epochs_run},
          {"median_epoch_ms", run_train_ms},
          {"median_inference_ms", run_eval_ms},
          {"history", history_json(res)}};
}

// The closing lines: test accuracy over the runs, time and peak memory; the same into `out`.
void report_totals(const TrainFlags& f, const std::vector<double>& accs, const Timings& t,
                   nlohmann::json& out) {
  const double m = mean(accs), sd = stddev(accs);
  if (f.runs == 1) {
    std::fprintf(report(), "test accuracy: %.2f %%\n", 100 * m);
  } else {
    std::fprintf(report(),
                 "test accuracy: %.2f ± %.2f %% (mean ± std over %d runs, seeds %llu..%llu)\n",
                 100 * m, 100 * sd, f.runs, static_cast<unsigned long long>(f.seed),
                 static_cast<unsigned long long>(f.seed + f.runs - 1));
  }
  const double rss = peak_rss_mib();
  // On the GPU the thread count does not decide the time, and the process's peak resident
  // memory is the host's alone (the device's is not counted), which the line says.
  const bool gpu = f.train.device != Device::kCpu;
  const std::string where = gpu ? "on " + std::string(to_string(f.train.device))
                                : std::to_string(num_threads()) + " threads";
  std::fprintf(report(),
               "time (median over all epochs, %s): training epoch %.3f ms (forward + backward + "
               "Adam), inference %.3f ms\npeak memory%s: %.1f MiB\n",
               where.c_str(), median(t.train_ms), median(t.eval_ms), gpu ? " (host)" : "", rss);
  out["test_acc_mean"] = m;
  out["test_acc_std"] = sd;
  out["median_epoch_ms"] = median(t.train_ms);
  out["median_inference_ms"] = median(t.eval_ms);
  out["peak_rss_mib"] = rss;
}

void run_train(TrainFlags& f, const CLI::App& cmd) {
  apply_threads(f.threads);
  GAT_CHECK(f.runs >= 1, "--runs must be at least 1, got " << f.runs);
  GAT_CHECK(f.log_every >= 1, "--log-every must be at least 1, got " << f.log_every);
  // Refuse before training, not after it, when a result cannot be written.
  check_outputs({{f.json, "--json"}, {f.history, "--history"}, {f.save, "--save"}});
  // Before any data is read: the options the GPU backend does not run, naming the option (a
  // preset, applied later, sets only --out-heads and Adam's settings, which it runs), then
  // whether a device can run here at all.
  const bool gpu = f.train.device == Device::kCuda;
  if (gpu) check_cuda_options(f.model);
  require_device(f.train.device);
  LinqsReport linqs;
  NodeDataReport own;
  const Dataset data = load_dataset(f.data, &linqs, &own);
  print_dataset(data, linqs, f.data.own_graph() ? &own : nullptr);
  if (f.data.node_order != "file") {
    std::fprintf(report(), "nodes numbered in %s order (--node-order)\n",
                 f.data.node_order.c_str());
  }
  GAT_CHECK(data.num_features() > 0,
            "dataset '" << data.name << "' has no node features: give --features FILE");
  GAT_CHECK(!data.train.empty(), "dataset '" << data.name
                                             << "' has no training nodes: give --labels FILE "
                                                "(and --split, or the default random split)");
  std::string preset_line;
  const std::string preset = apply_preset(data.name, cmd, f, preset_line);
  std::fprintf(report(), "%s\n", preset_line.c_str());
  // stdout is block-buffered in a file: without this, progress on stderr would come first when
  // both go to one log.
  std::fflush(report());
  finish_model_options(f, data);
  // The host's memory: on the GPU the host still holds the data, the model and its copy of
  // the best weights, but not the activations this estimate is mostly made of.
  if (!gpu) check_training_memory(f, data);

  nlohmann::json out;
  out["dataset"] = data.name;
  out["preset"] = preset.empty() ? nlohmann::json() : nlohmann::json(preset);
  out["threads"] = num_threads();
  out["node_order"] = f.data.node_order;
  out["device"] = to_string(f.train.device);
  if (gpu) {
    const std::string name = cuda_device_text(cuda_status());
    std::fprintf(report(), "device: cuda, %s\n", name.c_str());
    std::fflush(report());
    out["device_name"] = name;
  }
  out["options"] = model_flags_json(f);
  Progress progress(progress_options(f, cmd));
  std::vector<double> accs;
  Timings times;
  std::vector<std::pair<std::uint64_t, TrainResult>> runs;
  for (int r = 0; r < f.runs; ++r) {
    const TrainedModel run = train_run(f, data, r, progress);
    accs.push_back(run.result.test_acc);
    out["runs"].push_back(report_run(f, r, run, times));
    runs.emplace_back(run.seed, run.result);
  }
  report_totals(f, accs, times, out);
  if (!f.history.empty()) write_output(f.history, history_csv(runs));
  if (!f.json.empty()) write_json(f.json, out);
}

// gat train --partitions DIR under mpirun: process k trains on part k (gat/train/dist_trainer.hpp)
// and the processes together train the model `gat train` trains on the whole graph. Process 0
// reports, writes --json, --history and --save; the others print nothing but their errors. An
// error on any process ends the whole job (MPI_Abort), so that no process waits for a peer
// that has gone.
// Returns the exit status (non-zero when the processes refused the run together).
int run_train_partitions(TrainFlags& f, const CLI::App& cmd) {
#if GAT_BUILD_MPI
  int argc = 0;
  char** argv = nullptr;
  const MpiSession session(&argc, &argv);
  const int rank = MpiSession::world_rank(), size = MpiSession::world_size();
  try {
    apply_threads(f.threads);
    for (const char* flag : {"--dataset", "--data-dir", "--edges", "--features", "--labels",
                             "--split", "--node-order", "--runs", "--attention", "--score",
                             "--align", "--multi-dim", "--share-weights", "--top-k"}) {
      GAT_USAGE_CHECK(cmd.count(flag) == 0,
                      flag << " does not apply to --partitions: the data is the partition's "
                              "(gat partition chose it), and distributed training runs the "
                              "paper's layer, one run");
    }
    GAT_CHECK(f.train.device == Device::kCpu, "--partitions trains on the CPU only");
    if (rank == 0) {
      check_outputs({{f.json, "--json"}, {f.history, "--history"}, {f.save, "--save"}});
    }
    // Every process reads the manifest and refuses the same way before reading its part.
    const PartitionManifest manifest = read_manifest(f.partitions);
    const int parts = manifest.parts;
    if (parts != size) {
      if (rank == 0) {
        std::fprintf(stderr,
                     "gat: error: --partitions %s has %d parts but %d processes run: use "
                     "mpirun -np %d\n",
                     f.partitions.c_str(), parts, size, parts);
      }
      return 1;  // every process, after MPI_Finalize (the session's end)
    }
    const GraphPart part = read_partition(f.partitions, rank);
    std::string preset_line;
    const std::string preset = apply_preset(part.name, cmd, f, preset_line);
    f.model.in_features = part.num_features;
    f.model.num_classes = part.num_classes;
    if (rank == 0) {
      std::fprintf(report(),
                   "dataset %s: %d nodes, %lld edges, %lld features, %d classes; split "
                   "%d/%d/%d; %d parts (%s)\n%s\n",
                   part.name.c_str(), part.total_nodes, static_cast<long long>(part.total_edges),
                   static_cast<long long>(part.num_features), part.num_classes, part.train_total,
                   part.val_total, part.test_total, part.parts, f.partitions.c_str(),
                   preset_line.c_str());
      std::fflush(report());
    }
    MpiCommunicator comm(f.mpi_timeout);
    TrainedModel run{GatModel<float>(f.model, f.seed), TrainResult{}, f.seed};
    TrainOptions options = f.train;
    options.seed = f.seed;
    ProgressOptions po = progress_options(f, cmd);
    po.quiet = po.quiet || rank != 0;
    Progress progress(po);
    progress.begin(0);
    run.result = train_node_classifier(run.model, part, options, comm, progress_callback(progress));
    progress.end();
    if (rank != 0) return 0;
    if (!f.save.empty()) {
      const TrainResult& res = run.result;
      save_checkpoint(f.save, run.model,
                      {{"dataset", part.name},
                       {"classes", nlohmann::json(manifest.class_names).dump()},
                       {"nodes", std::to_string(part.total_nodes)},
                       {"edges", std::to_string(part.total_edges)},
                       {"features", std::to_string(part.num_features)},
                       {"seed", std::to_string(f.seed)},
                       {"best_epoch", std::to_string(res.best_epoch)},
                       {"val_acc", nlohmann::json(res.val_acc).dump()},
                       {"test_acc", nlohmann::json(res.test_acc).dump()},
                       {"partitions", std::to_string(part.parts)}});
      std::fprintf(report(), "saved the model (seed %llu, best epoch %d) to %s\n",
                   static_cast<unsigned long long>(f.seed), run.result.best_epoch, f.save.c_str());
    }
    nlohmann::json out;
    out["dataset"] = part.name;
    out["preset"] = preset.empty() ? nlohmann::json() : nlohmann::json(preset);
    out["threads"] = num_threads();
    out["processes"] = size;
    out["partitions"] = f.partitions;
    out["partition_method"] = to_string(manifest.method);
    NodeId halo = 0;
    for (const auto& p : manifest.part_files) halo += p.halo;
    out["halo_rows"] = halo;  // rows all processes receive per exchange
    out["device"] = "cpu";
    out["options"] = model_flags_json(f);
    Timings times;
    out["runs"].push_back(report_run(f, 0, run, times));
    report_totals(f, {run.result.test_acc}, times, out);
    if (!f.history.empty()) write_output(f.history, history_csv({{run.seed, run.result}}));
    if (!f.json.empty()) write_json(f.json, out);
    return 0;
  } catch (const std::exception& e) {
    if (size == 1) throw;
    // One line from each failing process, then the job ends: a peer may wait in a collective.
    std::fprintf(stderr, "gat: error: process %d of %d: %s\n", rank, size, e.what());
    std::fflush(stderr);
    MpiSession::abort(1);
  }
#else
  (void)cmd;
  GAT_FAIL("--partitions " << f.partitions
                           << ": this gat was built without MPI (configure with "
                              "-DGAT_WITH_MPI=ON and install libopenmpi-dev)");
#endif
}

// Graph classification keeps its own defaults (GraphClassifierOptions, GraphTrainOptions);
// a shared flag overrides them only when given on the command line.
void run_graph_task(const TrainFlags& f, const CLI::App& cmd) {
  apply_threads(f.threads);
  GraphRunFlags g;
  g.data = f.data;
  auto given = [&](const char* flag) { return cmd.count(flag) > 0; };
  if (given("--layers")) g.model.layers = f.model.layers;
  if (given("--hidden")) g.model.hidden = f.model.hidden;
  if (given("--heads")) g.model.heads = f.model.heads;
  if (given("--dropout")) g.model.dropout = f.model.dropout;
  if (given("--attn-dropout")) g.model.attention_dropout = f.model.attention_dropout;
  if (given("--negative-slope")) g.model.negative_slope = f.model.negative_slope;
  if (given("--self-loops")) g.model.self_loops = f.model.self_loops;
  if (given("--score")) g.model.score = f.model.score;
  if (given("--align")) g.model.align = f.model.align;
  // The graph model's own default learning rate (GraphTrainOptions has the library's 0.01):
  // with a sum readout and jumping knowledge, 0.01 overshoots on PROTEINS (README).
  g.train.adam.lr = given("--lr") ? f.train.adam.lr : 0.001;
  if (given("--weight-decay")) g.train.adam.weight_decay = f.train.adam.weight_decay;
  if (given("--epochs")) g.train.epochs = f.train.epochs;
  g.protocol = f.protocol;
  g.model_kind = f.model_kind;
  const bool errica = f.protocol == "errica";
  GAT_USAGE_CHECK(errica || (!given("--patience") && !given("--final-runs") &&
                             !given("--holdout") && !given("--outer-folds") && f.grid.empty()),
                  "--patience, --final-runs, --holdout, --outer-folds and --grid apply to "
                  "--protocol errica; "
                  "--protocol cv trains --epochs on each fold with nothing but the test fold to "
                  "stop on");
  GAT_USAGE_CHECK(!errica || !given("--folds"),
                  "--protocol errica has --outer-folds; --folds is --protocol cv's");
  if (errica) {
    // Errica et al. train for up to a few hundred epochs and stop on the holdout.
    g.train.epochs = given("--epochs") ? f.train.epochs : 300;
    g.train.patience = given("--patience") ? f.train.patience : 50;
  }
  g.selection.folds = f.outer_folds;
  g.selection.final_runs = f.final_runs;
  const double folds = 1.0 / f.holdout;
  GAT_USAGE_CHECK(std::abs(folds - std::round(folds)) < 1e-9,
                  "--holdout " << f.holdout
                               << ": the holdout is one stratified fold of the training part, "
                                  "so it must be 1/k (0.1, 0.2, 0.25, 1/3, 0.5)");
  g.selection.holdout_folds = static_cast<int>(std::round(folds));
  GAT_USAGE_CHECK(f.final_runs <= g.selection.holdout_folds,
                  "--final-runs " << f.final_runs << " exceeds the " << g.selection.holdout_folds
                                  << " holdout folds (each run early-stops on its own)");
  g.grid = f.grid;
  g.model.jumping_knowledge = f.jk;
  g.model.mlp_hidden = f.mlp_hidden;
  g.model.mlp_dropout = f.mlp_dropout;
  g.train.shards = f.shards;
  g.train.lr_step = f.lr_step;
  g.train.lr_decay = f.lr_decay;
  g.train.ema = f.ema;
  g.save = f.save;
  g.model.gate_hidden = f.gate_hidden;
  g.train.batch_size = f.batch_size;
  g.folds = f.folds;
  g.pool = f.pool;
  if (f.model_kind == "baseline") {
    GAT_USAGE_CHECK(!given("--layers") && !given("--heads") && !given("--hidden") &&
                        !given("--attn-dropout") && !given("--jk") && !given("--pool") &&
                        !given("--degree-features") && !given("--score") && !given("--align"),
                    "--model baseline has no GAT layer and sums the node features: --layers, "
                    "--heads, --hidden, --attn-dropout, --score, --align, --jk, --pool and "
                    "--degree-features (the structure it does not see) do not apply; its MLP is "
                    "--mlp-hidden");
    g.model.mlp_hidden = given("--mlp-hidden") ? f.mlp_hidden : 64;
    g.pool = "sum";
    g.model.jumping_knowledge = false;
  }
  g.no_edge_features = f.no_edge_features;
  g.raw_attributes = f.raw_attributes;
  g.degree_features = f.model_kind == "baseline" ? 0 : f.degree_features;
  g.seed = f.seed;
  g.quiet = f.quiet;
  g.log_every = given("--log-every") ? f.log_every : 0;
  g.json = f.json;
  g.history = f.history;
  run_train_graph(g);
}

// The flags of `gat train` that only one task reads, and why the other does not. A flag given
// for the wrong task is a usage error: ignoring it silently would run another experiment than
// the one asked for. Every other flag of the command applies to both tasks.
constexpr TaskOnlyFlag kTaskFlags[] = {
    {"--attention", "node", "graph classification uses sparse attention"},
    {"--out-heads", "node",
     "graph classification ends in a readout and a linear classifier, not an output GAT layer"},
    {"--feature-dropout", "node", "graph classification has --dropout and --attn-dropout"},
    {"--no-bias", "node", "the layers of graph classification always have a bias"},
    {"--residual", "node", "graph classification always has residual connections"},
    {"--share-weights", "node", "graph classification's gatv2 layers have their own W_dst"},
    {"--top-k", "node", "graph classification's --align local keeps the default 8 in-edges"},
    {"--multi-dim", "node", "graph classification has one weight per edge and head"},
    {"--runs", "node", "graph classification reports --folds"},
    {"--folds", "graph", "node classification uses the dataset's split (see --runs)"},
    {"--pool", "graph", "node classification has no graph readout"},
    {"--no-edge-features", "graph", "the LINQS datasets have no edge features"},
    {"--batch-size", "graph", "node classification trains on the whole graph at once"},
    {"--gate-hidden", "graph", "node classification has no attention pooling"},
    {"--no-normalize", "node", "graph classification reads one-hot labels and attributes"},
    {"--strict", "node", "graph classification reads TU files, which have no such leniency"},
    {"--protocol", "graph", "node classification uses the dataset's split"},
    {"--model", "graph", "node classification trains the GAT of the model flags"},
    {"--grid", "graph", "node classification trains one configuration"},
    {"--outer-folds", "graph", "node classification uses the dataset's split"},
    {"--final-runs", "graph", "node classification has --runs"},
    {"--holdout", "graph", "node classification uses the dataset's validation split"},
    {"--jk", "graph", "node classification has no graph readout"},
    {"--no-jk", "graph", "node classification has no graph readout"},
    {"--mlp-hidden", "graph", "node classification ends in an output GAT layer"},
    {"--raw-attributes", "graph", "node classification reads features as --normalize says"},
    {"--degree-features", "graph", "node classification reads the features it is given"},
    {"--mlp-dropout", "graph", "node classification ends in an output GAT layer"},
    {"--shards", "graph", "node classification trains on the whole graph at once"},
    {"--lr-step", "graph", "node classification keeps its learning rate"},
    {"--lr-decay", "graph", "node classification keeps its learning rate"},
    {"--ema", "graph", "node classification keeps the weights Adam moves"},
    {"--node-order", "node", "graph classification batches small graphs as the files list them"},
};

}  // namespace

void register_train(CLI::App& app) {
  auto flags = std::make_shared<TrainFlags>();
  auto& f = *flags;
  CLI::App* cmd = app.add_subcommand("train", "Train a GAT for node classification");
  add_data_flags(*cmd, f.data);
  add_node_order_flag(*cmd, f.data);
  add_model_flags(*cmd, f);
  add_training_flags(*cmd, f);
  cmd->add_option("--seed", f.seed, "Seed of run 1 (run r uses seed + r - 1)")
      ->capture_default_str()
      ->check(seed_value());
  cmd->add_option("--runs", f.runs, "Independent runs; reports mean ± std")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--threads", f.threads, "OpenMP threads (default: all cores)")
      ->check(CLI::Range(1, 4096));
  add_device_flag(*cmd, f.train.device);
  cmd->add_flag("-q,--quiet", f.quiet, "No progress on stderr");
  cmd->add_option("--log-every", f.log_every,
                  "Progress as one line every N epochs (default: a live line on a terminal, "
                  "else every 10 epochs)")
      ->check(CLI::Range(1, 1 << 30));
  cmd->add_option("--json", f.json,
                  "Write results as JSON to this file, with every run's per-epoch history ('-': "
                  "stdout, the report then goes to stderr)")
      ->check(non_empty_path());
  cmd->add_option("--history", f.history,
                  "Write the per-epoch history as CSV (run,seed,epoch,train_loss,train_acc,"
                  "val_loss,val_acc,train_ms,eval_ms; tools/plot_train.py draws it)")
      ->check(non_empty_path());
  cmd->add_option("--save", f.save,
                  "Save the model as a safetensors checkpoint: run 1's weights of its best "
                  "validation epoch (with --runs N, the other runs are not saved)")
      ->check(non_empty_path());
  cmd->add_option("--partitions", f.partitions,
                  "Train on a partition written by gat partition, one MPI process per part: "
                  "mpirun -np P gat train --partitions DIR (the same model as on the whole graph)");
  cmd->add_option("--mpi-timeout", f.mpi_timeout,
                  "--partitions: seconds an exchange waits for the other processes before the "
                  "job ends with an error (0: for ever); must exceed one layer's work on a part")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e7));
  cmd->add_option("--task", f.task,
                  "node: node classification on a LINQS dataset; graph: graph classification on "
                  "a TU dataset (MUTAG, PTC_MR, ...) by stratified k-fold cross-validation")
      ->capture_default_str()
      ->check(CLI::IsMember({"node", "graph"}));
  cmd->add_option("--folds", f.folds, "--task graph: folds of cross-validation")
      ->capture_default_str()
      ->check(CLI::Range(2, 1000));
  cmd->add_option("--pool", f.pool,
                  "--task graph: graph readout: attention, mean, sum, max (sum counts; the "
                  "others average)")
      ->capture_default_str()
      ->check(CLI::IsMember({"attention", "mean", "sum", "max"}));
  cmd->add_flag("--no-edge-features", f.no_edge_features,
                "--task graph: attention ignores the edge features (ablation)");
  cmd->add_option("--batch-size", f.batch_size, "--task graph: graphs per mini-batch")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--gate-hidden", f.gate_hidden,
                  "--task graph: hidden width of the attention-pooling gate (0: linear gate)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1 << 16));
  cmd->add_option("--protocol", f.protocol,
                  "--task graph: cv (stratified k-fold, --epochs per fold) or errica (Errica et "
                  "al. 2020: model selection over --grid and early stopping on a holdout, the "
                  "test fold touched once)")
      ->capture_default_str()
      ->check(CLI::IsMember({"cv", "errica"}));
  cmd->add_option("--model", f.model_kind,
                  "--task graph: gat, or baseline (no GAT layer: the sum of each graph's node "
                  "features through an MLP, Errica et al.'s structure-agnostic baseline)")
      ->capture_default_str()
      ->check(CLI::IsMember({"gat", "baseline"}));
  cmd->add_option("--grid", f.grid,
                  "--protocol errica: KEY=V1,V2,... (repeatable; every combination is a "
                  "candidate) with KEY one of layers, hidden, heads, dropout, attn-dropout, "
                  "score, align, mlp-hidden, mlp-dropout, jk, pool, lr, weight-decay, batch-size, "
                  "lr-step, ema, degree-features")
      ->take_all();
  cmd->add_option("--outer-folds", f.outer_folds, "--protocol errica: outer folds")
      ->capture_default_str()
      ->check(CLI::Range(2, 1000));
  cmd->add_option("--final-runs", f.final_runs,
                  "--protocol errica: retrainings of the selected configuration per fold (test "
                  "accuracy: their mean)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  cmd->add_option("--holdout", f.holdout,
                  "--protocol errica: share of the training part held out for selection and "
                  "early stopping (1/k)")
      ->capture_default_str()
      ->check(CLI::Range(0.01, 0.5));
  cmd->add_flag("--jk,!--no-jk", f.jk,
                "--task graph: jumping knowledge (default on): read out every layer and the "
                "input, each by its own pool, concatenated; --no-jk: the last layer only");
  cmd->add_flag("--raw-attributes", f.raw_attributes,
                "--task graph: node attributes as read (default: each column standardised over "
                "the dataset's nodes)");
  cmd->add_option("--degree-features", f.degree_features,
                  "--task graph: append a one-hot of each node's neighbour count, capped at K "
                  "(0: none); softmax attention averages and cannot count")
      ->capture_default_str()
      ->check(CLI::Range(0, 1024));
  cmd->add_option("--mlp-hidden", f.mlp_hidden,
                  "--task graph: hidden width of the classifier head (0: linear)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1 << 16));
  cmd->add_option("--mlp-dropout", f.mlp_dropout,
                  "--task graph: dropout on the input of the head's last layer")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 0.999));
  cmd->add_option("--shards", f.shards,
                  "--task graph: each batch is cut into this many parts computed in parallel "
                  "(the result does not depend on the thread count; it does on the shards)")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--lr-step", f.lr_step,
                  "--task graph: multiply the learning rate by --lr-decay every N epochs (0: "
                  "constant)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1 << 30));
  cmd->add_option("--lr-decay", f.lr_decay, "--task graph: see --lr-step")
      ->capture_default_str()
      ->check(CLI::Range(1e-6, 1.0));
  cmd->add_option("--ema", f.ema,
                  "--task graph: validate, early-stop and keep an exponential moving average "
                  "of the weights with this decay per step (0: off, the weights as trained)")
      ->capture_default_str()
      ->check(CLI::Validator(
          [](std::string& value) -> std::string {
            // [0, 1), as the library and --grid ema= take it: 1 would never move the average.
            double d = -1;
            std::size_t used = 0;
            try {
              d = std::stod(value, &used);
            } catch (const std::exception&) {
              used = 0;
            }
            if (used == value.size() && d >= 0 && d < 1) return "";
            return "Value " + value + " not in range [0, 1)";
          },
          "FLOAT in [0, 1)"));
  cmd->callback([flags, cmd] {
    keep_freed_memory();
    refuse_other_task_flags(kTaskFlags, flags->task, *cmd);
    // An error (exit 1) rather than a usage error: the command line is right, the backend
    // does not have the task (graph classification trains mini-batches of small graphs).
    GAT_CHECK(flags->task != "graph" || flags->train.device == Device::kCpu,
              "--device " << to_string(flags->train.device)
                          << ": graph classification runs on the CPU only");
    GAT_USAGE_CHECK(flags->partitions.empty() || flags->task == "node",
                    "--partitions trains node classification only (--task node)");
    GAT_USAGE_CHECK(cmd->count("--mpi-timeout") == 0 || !flags->partitions.empty(),
                    "--mpi-timeout applies to --partitions only");
    if (!flags->partitions.empty()) {
      if (const int status = run_train_partitions(*flags, *cmd); status != 0) std::exit(status);
    } else if (flags->task == "graph") {
      run_graph_task(*flags, *cmd);
    } else {
      run_train(*flags, *cmd);
    }
  });
}

}  // namespace gat::app
