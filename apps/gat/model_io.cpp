#include "model_io.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "gat/core/error.hpp"
#include "graph_data.hpp"

namespace gat::app {

TrainedModel train_model(const ModelFlags& flags, const Dataset& data, std::uint64_t seed,
                         const EpochCallback& on_epoch) {
  TrainedModel run{GatModel<float>(flags.model, seed), TrainResult{}, seed};
  TrainOptions options = flags.train;
  options.seed = seed;
  run.result = train_node_classifier(run.model, data, options, on_epoch);
  return run;
}

CheckpointMetadata training_metadata(const Dataset& data, const DataFlags& flags,
                                     std::uint64_t seed, const TrainResult& result) {
  CheckpointMetadata meta = {
      {"dataset", data.name},
      {"classes", nlohmann::json(data.class_names).dump()},
      {"nodes", std::to_string(data.num_nodes())},
      {"edges", std::to_string(data.graph.num_edges())},
      {"features", std::to_string(data.num_features())},
      {"normalize", flags.normalized() ? "true" : "false"},
      // Recorded, not re-applied: --strict changes whether a file loads, never what it
      // loads as, so a dataset that loads gives the same input either way.
      {"strict", flags.strict ? "true" : "false"},
      {"seed", std::to_string(seed)},
      {"best_epoch", std::to_string(result.best_epoch)},
      {"val_acc", nlohmann::json(result.val_acc).dump()},
      {"test_acc", nlohmann::json(result.test_acc).dump()}};
  if (flags.own_graph()) {
    // How the graph and split were made, so that eval re-creates the same test set (a split
    // redrawn with another seed would overlap the nodes the model trained on).
    meta["split"] = flags.split;
    meta["split_seed"] = std::to_string(flags.split_seed);
    meta["undirected"] = flags.undirected ? "true" : "false";
  }
  return meta;
}

void save_trained_model(const std::string& path, const TrainedModel& run, const Dataset& data,
                        const DataFlags& flags) {
  save_checkpoint(path, run.model, training_metadata(data, flags, run.seed, run.result));
}

namespace {

std::string meta_or(const CheckpointMetadata& meta, const char* key, const std::string& fallback) {
  const auto it = meta.find(key);
  return it == meta.end() ? fallback : it->second;
}

// The graph and split of an own-graph model, as trained, for each flag the user did not give:
// --undirected (another graph otherwise), and for commands that score a split, --split and
// --split-seed (another test set otherwise).
void restore_graph_flags(const CheckpointMetadata& meta, const DataFlags& flags, DataFlags& out) {
  const auto undirected = meta.find("undirected");
  if (undirected != meta.end() && !given(flags.undirected_option)) {
    out.undirected = undirected->second == "true";
  }
  if (!flags.split_needed) return;
  const auto split = meta.find("split");
  if (split != meta.end() && !given(flags.split_option)) out.split = split->second;
  const auto seed = meta.find("split_seed");
  if (seed != meta.end() && !given(flags.split_seed_option)) {
    const char* end = seed->second.data() + seed->second.size();
    const auto parsed = std::from_chars(seed->second.data(), end, out.split_seed);
    GAT_CHECK(parsed.ec == std::errc() && parsed.ptr == end,
              "checkpoint metadata: split_seed '" << seed->second << "' is not a seed");
  }
}

// The preprocessing the model was trained with, unless the user asked otherwise.
DataFlags flags_for_checkpoint(const std::string& model_path, const CheckpointMetadata& meta,
                               const DataFlags& flags) {
  DataFlags out = flags;
  const auto normalize = meta.find("normalize");
  if (normalize == meta.end()) return out;  // an older checkpoint: the flags as given
  const bool trained_normalized = normalize->second != "false";
  if (!no_normalize_given(flags)) {
    // --edges / --ogb data is raw unless --normalize; LINQS data normalised unless --no-normalize.
    if (flags.own_graph()) {
      out.normalize = trained_normalized;
    } else {
      out.no_normalize = !trained_normalized;
    }
  } else if (flags.normalized() != trained_normalized) {
    std::fprintf(stderr,
                 "gat: warning: model %s was trained on %s features; using %s features as "
                 "the flags ask\n",
                 model_path.c_str(), trained_normalized ? "row-normalised" : "raw",
                 flags.normalized() ? "row-normalised" : "raw");
  }
  if (flags.own_graph()) restore_graph_flags(meta, flags, out);
  return out;
}

// Different sizes are legitimate (a model applied to another graph of the same features and
// classes), but more often a mistake, so they are said once on stderr.
void warn_on_other_data(const CheckpointMetadata& meta, const Dataset& data) {
  const std::string nodes = meta_or(meta, "nodes", ""), edges = meta_or(meta, "edges", "");
  if (nodes.empty() || edges.empty()) return;
  const std::string now_nodes = std::to_string(data.num_nodes());
  const std::string now_edges = std::to_string(data.graph.num_edges());
  if (nodes == now_nodes && edges == now_edges) return;
  std::fprintf(stderr,
               "gat: warning: model was trained on %s (%s nodes, %s edges, %s features) but this "
               "dataset, %s, has %s nodes, %s edges, %lld features\n",
               meta_or(meta, "dataset", "another dataset").c_str(), nodes.c_str(), edges.c_str(),
               meta_or(meta, "features", "?").c_str(), data.name.c_str(), now_nodes.c_str(),
               now_edges.c_str(), static_cast<long long>(data.num_features()));
}

}  // namespace

ModelAndData load_model_and_data(const std::string& model_path, const DataFlags& flags) {
  // The model first: a wrong --model path fails before a large dataset is parsed.
  Checkpoint checkpoint = load_checkpoint_with_metadata(model_path);
  Dataset data = load_dataset(flags_for_checkpoint(model_path, checkpoint.metadata, flags));
  const GatModelOptions& o = checkpoint.model.options();
  GAT_CHECK(data.num_features() == o.in_features,
            "model " << model_path << " expects " << o.in_features
                     << " input features but dataset '" << data.name << "' has "
                     << data.num_features());
  const auto classes = checkpoint.metadata.find("classes");
  if (flags.own_graph() && classes != checkpoint.metadata.end()) {
    // A graph of one's own may have no labels (predict, embed), or labels that do not reach
    // the model's last classes: when its class names begin the model's, the model's apply.
    const nlohmann::json trained = nlohmann::json::parse(classes->second, nullptr, false);
    if (trained.is_array() && trained.size() >= data.class_names.size() &&
        std::equal(data.class_names.begin(), data.class_names.end(), trained.begin(),
                   [](const std::string& a, const nlohmann::json& b) {
                     return b.is_string() && b.get<std::string>() == a;
                   }) &&
        std::all_of(trained.begin(), trained.end(),
                    [](const nlohmann::json& b) { return b.is_string(); })) {
      data.class_names = trained.get<std::vector<std::string>>();
    }
  }
  GAT_CHECK(data.num_classes() == o.num_classes,
            "model " << model_path << " predicts " << o.num_classes << " classes but dataset '"
                     << data.name << "' has " << data.num_classes());
  if (classes != checkpoint.metadata.end()) {
    const nlohmann::json expected = data.class_names;
    GAT_CHECK(classes->second == expected.dump(),
              "model " << model_path << " was trained on the classes " << classes->second
                       << " but dataset '" << data.name << "' has " << expected.dump());
  }
  warn_on_other_data(checkpoint.metadata, data);
  return {std::move(data), std::move(checkpoint)};
}

GraphModelAndData load_graph_model_and_data(const std::string& model_path, const DataFlags& flags,
                                            bool test_graphs) {
  check_tu_flags(flags);  // a command line that names no TU dataset fails before any file is read
  GraphCheckpoint checkpoint = load_graph_classifier(model_path);
  const std::string trained_on = meta_or(checkpoint.metadata, "dataset", "");
  DataFlags data_flags = flags;
  if (!given(flags.dataset_option)) {
    // The default --dataset (cora) is a node dataset: the model's own is the useful default.
    GAT_USAGE_CHECK(!trained_on.empty(), "model " << model_path << " records no dataset (metadata "
                                                  << "'dataset'): name it with --dataset NAME");
    data_flags.dataset = trained_on;
  }
  GraphModelAndData out{load_tu_dataset(data_flags), std::move(checkpoint), {}};
  // The model saw its node attributes standardised over the dataset (gat train --task graph
  // does so unless --raw-attributes): give it the same inputs.
  const std::string standardized =
      meta_or(out.checkpoint.metadata, "standardized_attributes", "false");
  GAT_CHECK(standardized == "true" || standardized == "false",
            "model " << model_path << ": metadata 'standardized_attributes' is '" << standardized
                     << "', expected true or false");
  if (standardized == "true") standardize_node_attributes(out.data);
  const std::string degree = meta_or(out.checkpoint.metadata, "degree_features", "0");
  int cap = 0;
  const auto [end, ec] = std::from_chars(degree.data(), degree.data() + degree.size(), cap);
  GAT_CHECK(ec == std::errc() && end == degree.data() + degree.size() && cap >= 0 && cap <= 1024,
            "model " << model_path << ": metadata 'degree_features' is '" << degree
                     << "', expected a whole number in [0, 1024]");
  if (cap > 0) add_degree_features(out.data, cap);
  const GraphDataset& data = out.data;
  const GraphClassifierOptions& o = out.checkpoint.model.options();
  GAT_CHECK(data.num_features() == o.in_features,
            "model " << model_path << " expects " << o.in_features << " node features but dataset '"
                     << data.name << "' has " << data.num_features());
  // A model trained with --no-edge-features reads none, whatever the dataset has.
  GAT_CHECK(o.edge_features == 0 || data.edge_feature_size() == o.edge_features,
            "model " << model_path << " reads " << o.edge_features << " edge features but dataset '"
                     << data.name << "' has " << data.edge_feature_size());
  GAT_CHECK(data.num_classes() == o.num_classes,
            "model " << model_path << " predicts " << o.num_classes << " classes but dataset '"
                     << data.name << "' has " << data.num_classes());
  const bool other = !trained_on.empty() && trained_on != data.name;
  if (test_graphs) {
    // Graph indices of another dataset would pick arbitrary graphs, some of them trained on.
    const auto stored = out.checkpoint.metadata.find("test_graphs");
    GAT_CHECK(stored != out.checkpoint.metadata.end(),
              "model " << model_path << " records no test graphs (metadata 'test_graphs'): "
                       << "evaluate it with --graphs all");
    GAT_CHECK(!other, "model " << model_path << " was trained on " << trained_on
                               << ": its test graphs are graphs of that dataset, not of '"
                               << data.name << "'; evaluate it with --graphs all");
    out.test_graphs = graph_indices_from_text(stored->second, data.num_graphs(),
                                              model_path + ": metadata 'test_graphs'");
  } else if (other) {
    std::fprintf(stderr, "gat: warning: model %s was trained on %s; this dataset is %s\n",
                 model_path.c_str(), trained_on.c_str(), data.name.c_str());
  }
  return out;
}

}  // namespace gat::app
