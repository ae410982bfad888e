// Graph-classification checkpoints: GraphClassifierOptions ↔ metadata (every field), the layout
// computed before a load against the model's own parameters, a model saved and loaded bit for
// bit (logits included) across architectures, the refusals between node and graph checkpoints,
// damaged files, and the stored test graphs' text form.

#include "gat/io/graph_checkpoint.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/data/batch.hpp"
#include "gat/graph/build.hpp"
#include "gat/io/checkpoint.hpp"
#include "gat/io/safetensors.hpp"
#include "support/checkpoint_checks.hpp"
#include "support/io_fixtures.hpp"
#include "support/synthetic.hpp"
#include "support/temp_dir.hpp"

namespace gat {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// Twelve small graphs: graph g has 2 + g % 5 nodes on a ring (both directions), one node alone
// when g % 5 == 0 (two nodes, one edge), node features (3) and edge features (2) drawn from g,
// classes g % 3.
GraphDataset small_graphs() {
  GraphDataset d;
  d.name = "small";
  std::vector<NodeId> src, dst;
  NodeId n = 0;
  for (int g = 0; g < 12; ++g) {
    const NodeId size = 2 + g % 5;
    for (NodeId i = 0; i < size; ++i) {
      const NodeId j = (i + 1) % size;
      if (size == 2 && i == 1) break;
      src.push_back(n + i);
      dst.push_back(n + j);
    }
    n += size;
    d.node_offsets.push_back(n);
    d.labels.push_back(g % 3);
  }
  BuildOptions b;
  b.symmetrize = true;
  d.graph = build_csr(n, src, dst, b);
  d.node_features.resize(n, 3);
  for (NodeId i = 0; i < n; ++i) {
    d.node_features.row(i) << std::sin(float(i)), std::cos(0.5f * float(i)), float(i % 2);
  }
  d.edge_features.resize(d.graph.num_edges(), 2);
  for (EdgeId p = 0; p < d.graph.num_edges(); ++p) {
    d.edge_features.row(p) << float(p % 3 == 0), 0.25f * float(p % 4);
  }
  d.class_names = {"x", "y", "z"};
  return d;
}

GraphClassifierOptions options_for(const GraphDataset& d) {
  GraphClassifierOptions o;
  o.in_features = d.num_features();
  o.edge_features = d.edge_feature_size();
  o.num_classes = d.num_classes();
  o.layers = 2;
  o.hidden = 3;
  o.heads = 2;
  return o;
}

// The architectures the tests save and load: the default readout with edge features, the
// structure-agnostic baseline (no GAT layer, sum pooling, an MLP head), jumping knowledge over
// attention pools with a hidden gate and an MLP head with dropout, and max pooling without
// edge features, and GATv2 scores (no edge features) with the cardinality alignment.
std::vector<GraphClassifierOptions> variants(const GraphDataset& d) {
  std::vector<GraphClassifierOptions> v(5, options_for(d));
  v[1].layers = 0;
  v[1].pool = PoolKind::kSum;
  v[1].mlp_hidden = 8;
  v[2].jumping_knowledge = true;
  v[2].gate_hidden = 3;
  v[2].mlp_hidden = 4;
  v[2].mlp_dropout = 0.5;
  v[2].residual = false;
  v[2].self_loops = SelfLoops::kKeep;
  v[2].edge_fill = {EdgeFill::kConstant, 0.5};
  v[2].dropout = 0.1;
  v[3].pool = PoolKind::kMax;
  v[3].edge_features = 0;
  v[3].layers = 3;
  v[4].score = ScoreFunction::kGatV2;
  v[4].align = Alignment::kCardinality;
  v[4].pool = PoolKind::kSum;
  v[4].edge_features = 0;  // edge features enter the gat score only
  return v;
}

// Logits (G, C) of every graph of `d`, in evaluation mode.
Matrix<float> logits(const GraphClassifier<float>& model, const GraphDataset& d) {
  std::vector<std::int64_t> all(static_cast<std::size_t>(d.num_graphs()));
  for (std::size_t g = 0; g < all.size(); ++g) all[g] = static_cast<std::int64_t>(g);
  const GraphBatch b = make_batch(d, all);
  const Matrix<float> none(b.graph.num_edges(), 0);
  const LayerGraph<float> g =
      model.prepare_graph(b.graph, model.options().edge_features > 0 ? b.edge_features : none);
  GraphClassifierCache<float> cache;
  return model.forward(g, b.node_features, b.node_offsets, cache, ForwardContext{});
}

std::vector<Matrix<float>> weights(GraphClassifier<float>& model) {
  std::vector<Matrix<float>> out;
  for (auto* p : model.parameters()) out.push_back(p->value);
  return out;
}

// Every weight moved off its initial value, so that a load that kept the initialisation of the
// model it builds (seed 0) instead of the file's values cannot pass.
void perturb(GraphClassifier<float>& model) {
  float t = 0.1f;
  for (auto* p : model.parameters()) {
    for (Eigen::Index k = 0; k < p->value.size(); ++k) {
      p->value.data()[k] += 0.05f * std::sin(t);
      t += 0.37f;
    }
  }
}

class GraphCheckpoints : public ::testing::Test {
 protected:
  std::string path(const std::string& name) const { return tmp_.path(name); }

  static std::string load_error(const std::string& p) {
    return test::error_message([&] { load_graph_classifier(p); });
  }

  test::TempDir tmp_{"gat_graph_checkpoint_test"};
};

TEST(GraphCheckpointOptions, EveryFieldRoundTrips) {
  GraphClassifierOptions o;
  o.in_features = 28;
  o.edge_features = 4;
  o.num_classes = 6;
  o.layers = 0;
  o.hidden = 5;
  o.heads = 7;
  o.dropout = 0.1;  // not exact in binary: must come back bit for bit
  o.attention_dropout = 1.0 / 3.0;
  o.negative_slope = 0.01;
  o.score = ScoreFunction::kScaledDot;
  o.align = Alignment::kCardinality;
  o.residual = false;
  o.self_loops = SelfLoops::kRemove;
  o.edge_fill = {EdgeFill::kConstant, -0.75};
  o.pool = PoolKind::kMax;
  o.gate_hidden = 9;
  o.jumping_knowledge = true;
  o.mlp_hidden = 11;
  o.mlp_dropout = 0.3;
  const CheckpointMetadata m = graph_options_to_metadata(o);
  EXPECT_EQ(m.at("layers"), "0");
  EXPECT_EQ(m.at("dropout"), "0.1");
  EXPECT_EQ(m.at("residual"), "false");
  EXPECT_EQ(m.at("self_loops"), "remove");
  EXPECT_EQ(m.at("edge_fill"), "constant");
  EXPECT_EQ(m.at("edge_fill_value"), "-0.75");
  EXPECT_EQ(m.at("pool"), "max");
  EXPECT_EQ(m.at("score"), "scaled-dot");
  EXPECT_EQ(m.at("align"), "cardinality");
  EXPECT_EQ(m.at("jumping_knowledge"), "true");
  EXPECT_EQ(m.at("mlp_hidden"), "11");
  const GraphClassifierOptions back = graph_options_from_metadata(m);
  EXPECT_EQ(graph_options_to_metadata(back), m);
  EXPECT_EQ(back.attention_dropout, 1.0 / 3.0);
  EXPECT_EQ(back.edge_fill.kind, EdgeFill::kConstant);
  EXPECT_EQ(back.pool, PoolKind::kMax);
  EXPECT_TRUE(back.jumping_knowledge);
  EXPECT_EQ(back.score, ScoreFunction::kScaledDot);
  EXPECT_EQ(back.align, Alignment::kCardinality);
  EXPECT_EQ(m.size(), 20u);
  test::expect_each_field_read(
      m, graph_options_to_metadata(GraphClassifierOptions{}),
      [](const auto& one) { return graph_options_to_metadata(graph_options_from_metadata(one)); });
  // Every pool kind by its name.
  for (const PoolKind kind : {PoolKind::kAttention, PoolKind::kMean, PoolKind::kSum}) {
    GraphClassifierOptions p;
    p.pool = kind;
    EXPECT_EQ(graph_options_from_metadata(graph_options_to_metadata(p)).pool, kind);
  }
}

TEST(GraphCheckpointOptions, MissingFieldsTakeTheirDefaults) {
  const GraphClassifierOptions o =
      graph_options_from_metadata({{"hidden", "32"}, {"something_new", "x"}});
  EXPECT_EQ(o.hidden, 32);
  EXPECT_EQ(o.layers, GraphClassifierOptions{}.layers);
  EXPECT_EQ(o.pool, PoolKind::kAttention);
  EXPECT_FALSE(o.jumping_knowledge);
}

TEST(GraphCheckpointOptions, InvalidValuesNameTheField) {
  test::expect_invalid_values_named({{"pool", "median"},
                                     {"pool", ""},
                                     {"edge_fill", "zero"},
                                     {"edge_fill_value", "inf"},
                                     {"jumping_knowledge", "yes"},
                                     {"score", "attention"},
                                     {"align", "softmax2"},
                                     {"mlp_hidden", "1.5"},
                                     {"layers", "three"},
                                     {"mlp_dropout", "0.5x"}},
                                    [](const CheckpointMetadata& m, const std::string& source) {
                                      graph_options_from_metadata(m, source);
                                    });
}

// The layout a load checks a file against, before building anything, is the list of the
// parameters the model builds, name for name and shape for shape, over every combination of
// the options that change which parameters there are.
TEST(GraphCheckpointLayout, MatchesTheModelsParameters) {
  int checked = 0;
  for (const int layers : {0, 1, 3}) {
    for (const PoolKind pool :
         {PoolKind::kAttention, PoolKind::kMean, PoolKind::kSum, PoolKind::kMax}) {
      for (const bool jk : {false, true}) {
        for (const std::int64_t mlp : {0, 5}) {
          for (const std::int64_t gate : {0, 3}) {
            for (const std::int64_t d : {0, 2}) {
              for (const bool residual : {false, true}) {
                for (const ScoreFunction score : {ScoreFunction::kGat, ScoreFunction::kGatV2}) {
                  if (score == ScoreFunction::kGatV2 && d > 0) continue;  // gat score only
                  GraphClassifierOptions o;
                  o.score = score;
                  o.align =
                      score == ScoreFunction::kGat ? Alignment::kSoftmax : Alignment::kCardinality;
                  o.in_features = 4;  // 4 = H·F below: layer 1 on has an identity residual
                  o.edge_features = d;
                  o.num_classes = 3;
                  o.layers = layers;
                  o.hidden = 2;
                  o.heads = 2;
                  o.pool = pool;
                  o.jumping_knowledge = jk;
                  o.mlp_hidden = mlp;
                  o.gate_hidden = gate;
                  o.residual = residual;
                  if (layers == 1 && d == 0) o.in_features = 5;  // and a projected one
                  GraphClassifier<float> model(o, 1);
                  const auto layout = graph_classifier_layout(o);
                  const auto params = model.parameters();
                  ASSERT_EQ(layout.size(), params.size())
                      << graph_options_to_metadata(o).at("pool");
                  for (std::size_t k = 0; k < params.size(); ++k) {
                    EXPECT_EQ(layout[k].name, params[k]->name);
                    EXPECT_EQ(layout[k].rows, params[k]->value.rows()) << params[k]->name;
                    EXPECT_EQ(layout[k].cols, params[k]->value.cols()) << params[k]->name;
                  }
                  ++checked;
                }
              }
            }
          }
        }
      }
    }
  }
  EXPECT_EQ(checked, 3 * 4 * 2 * 2 * 2 * 3 * 2);  // d × score: 3 combinations
}

// Save, load: same options, same weights bit for bit, the same logits; the metadata carries the
// model kind, the format and the extras.
TEST_F(GraphCheckpoints, RoundTripsBitForBit) {
  const GraphDataset d = small_graphs();
  const auto all = variants(d);
  for (std::size_t v = 0; v < all.size(); ++v) {
    GraphClassifier<float> model(all[v], 7 + v);
    perturb(model);
    const Matrix<float> before = logits(model, d);
    const std::string p = path("model" + std::to_string(v) + ".safetensors");
    save_graph_classifier(
        p, model, {{"dataset", d.name}, {"test_graphs", "1,4,7"}, {"test_accuracy", "0.5"}});
    GraphCheckpoint loaded = load_graph_classifier(p);
    EXPECT_EQ(loaded.metadata.at("model"), "graph_classifier");
    EXPECT_EQ(loaded.metadata.at("format"), "gat");
    EXPECT_EQ(loaded.metadata.at("format_version"), "1");
    EXPECT_EQ(loaded.metadata.at("dataset"), "small");
    EXPECT_EQ(loaded.metadata.at("test_graphs"), "1,4,7");
    EXPECT_EQ(graph_options_to_metadata(loaded.model.options()),
              graph_options_to_metadata(model.options()))
        << "variant " << v;
    const auto a = weights(model), b = weights(loaded.model);
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t k = 0; k < a.size(); ++k) {
      EXPECT_EQ(a[k], b[k]) << model.parameters()[k]->name;
    }
    EXPECT_EQ(before, logits(loaded.model, d)) << "variant " << v;  // bit-identical
  }
  // The baseline stored no GAT layer; jumping knowledge one attention pool per layer and input.
  const SafetensorsFile base = read_safetensors(path("model1.safetensors"));
  EXPECT_FALSE(base.tensors.count("layers.0.weight"));
  EXPECT_EQ(base.tensors.at("mlp.weight").shape, (std::vector<std::int64_t>{3, 8}));
  const SafetensorsFile jk = read_safetensors(path("model2.safetensors"));
  for (const char* name : {"pools.0.gate_hidden.weight", "pools.1.gate.weight",
                           "pools.2.gate_hidden.bias", "layers.1.edge_weight"}) {
    EXPECT_TRUE(jk.tensors.count(name)) << name;
  }
  EXPECT_EQ(jk.tensors.at("mlp.weight").shape, (std::vector<std::int64_t>{3 + 6 + 6, 4}));
}

// Each loader refuses the other kind in one line that names the file and the command to use.
TEST_F(GraphCheckpoints, NodeAndGraphCheckpointsRefuseEachOther) {
  const GraphDataset d = small_graphs();
  const std::string graph = path("graph.safetensors");
  save_graph_classifier(graph, GraphClassifier<float>(options_for(d), 1));
  const Dataset nodes = test::synthetic_dataset(60, 3, 1);
  GatModelOptions n;
  n.in_features = nodes.num_features();
  n.num_classes = nodes.num_classes();
  const std::string node = path("node.safetensors");
  save_checkpoint(node, GatModel<float>(n, 1));

  const std::string as_node = test::error_message([&] { load_checkpoint(graph); });
  EXPECT_THAT(as_node, AllOf(HasSubstr(graph + ": a graph-classification checkpoint"),
                             HasSubstr("gat eval --task graph and gat predict --task graph")));
  const std::string as_graph = load_error(node);
  EXPECT_THAT(as_graph, AllOf(HasSubstr(node + ": a node-classification checkpoint"),
                              HasSubstr("read it without --task graph")));
  for (const std::string& message : {as_node, as_graph}) {
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
  // Neither saver lets an extra claim the other kind.
  EXPECT_THROW(save_checkpoint(path("x.safetensors"), GatModel<float>(n, 1),
                               {{"model", "graph_classifier"}}),
               Error);
  EXPECT_THROW(save_graph_classifier(path("x.safetensors"),
                                     GraphClassifier<float>(options_for(d), 1), {{"model", "x"}}),
               Error);
  EXPECT_FALSE(std::filesystem::exists(path("x.safetensors")));
}

TEST_F(GraphCheckpoints, RefusesBrokenCheckpointsNamingTheProblem) {
  const GraphDataset d = small_graphs();
  GraphClassifierOptions o = options_for(d);
  o.gate_hidden = 3;
  const GraphClassifier<float> model(o, 1);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<test::CheckpointDamage> cases = {
      // The format checks are the node checkpoints' (checkpoint_test.cpp); the model kind and
      // all that depends on the options are this loader's.
      {"unknown model", [](SafetensorsFile& f) { f.metadata["model"] = "transformer"; },
       "unknown checkpoint model 'transformer'"},
      {"bad option", [](SafetensorsFile& f) { f.metadata["pool"] = "median"; },
       "metadata 'pool' has the invalid value 'median'"},
      {"negative layers", [](SafetensorsFile& f) { f.metadata["layers"] = "-1"; },
       "metadata 'layers' is -1"},
      {"more layers than tensors", [](SafetensorsFile& f) { f.metadata["layers"] = "1000"; },
       "metadata 'layers' is 1000 but the file holds"},
      {"invalid dropout", [](SafetensorsFile& f) { f.metadata["mlp_dropout"] = "1.5"; },
       "do not make a model: GraphClassifier: mlp_dropout"},
      {"missing tensor", [](SafetensorsFile& f) { f.tensors.erase("pool.gate.weight"); },
       "tensor 'pool.gate.weight' is missing"},
      {"extra tensor",
       [](SafetensorsFile& f) { f.tensors["mlp.weight"] = f.tensors["pool.gate.weight"]; },
       "unexpected tensor 'mlp.weight'"},
      {"wrong shape",
       [](SafetensorsFile& f) {
         f.tensors["layers.1.att_src"].shape = {3, 2};
       },
       "tensor 'layers.1.att_src' has shape [3, 2] but the options give [2, 3]"},
      {"options disagree with shapes", [](SafetensorsFile& f) { f.metadata["num_classes"] = "4"; },
       "tensor 'classifier.weight' has shape [6, 3] but the options give [6, 4]"},
      {"readout changed", [](SafetensorsFile& f) { f.metadata["jumping_knowledge"] = "true"; },
       "tensor 'pools.0.gate_hidden.weight' is missing"},
      {"wrong dtype",
       [](SafetensorsFile& f) {
         f.tensors["classifier.bias"] = tensor_from_matrix<double>(Matrix<double>::Zero(1, 3));
       },
       "tensor 'classifier.bias' has dtype F64, expected F32"},
      {"non-finite value",
       [&](SafetensorsFile& f) {
         Matrix<float> w = tensor_to_matrix<float>(f.tensors["classifier.weight"], "w");
         w(0, 2) = nan;
         f.tensors["classifier.weight"] = tensor_from_matrix<float>(w);
       },
       "tensor 'classifier.weight' holds a non-finite value (NaN or infinity) at [0, 2]"},
      // Metadata claiming a model far larger than the file is refused before anything of that
      // size is allocated (the shapes do not match).
      {"enormous claimed model",
       [](SafetensorsFile& f) {
         f.metadata["in_features"] = "1000000000000";
         f.metadata["hidden"] = "2000000000";
       },
       "tensor 'layers.0.weight' has shape [3, 6] but the options give [1000000000000, "
       "4000000000]"},
  };
  test::expect_damage_refused(
      path("broken.safetensors"), [&](const std::string& p) { save_graph_classifier(p, model); },
      [](const std::string& p) { load_graph_classifier(p); }, cases);
  // A file cut short, and one that is not there, come through with the file name too.
  const std::string good = path("good.safetensors");
  save_graph_classifier(good, model);
  const std::string cut = path("cut.safetensors");
  std::filesystem::copy_file(good, cut);
  std::filesystem::resize_file(cut, std::filesystem::file_size(good) - 10);
  EXPECT_THAT(load_error(cut), HasSubstr("cut.safetensors: "));
  EXPECT_THAT(load_error(path("absent.safetensors")), HasSubstr("absent.safetensors: cannot open"));
}

// A refused save writes nothing: the previous checkpoint stays as it was.
TEST_F(GraphCheckpoints, SaveRefusesNonFiniteWeightsAndReservedExtras) {
  const GraphDataset d = small_graphs();
  GraphClassifier<float> model(options_for(d), 1);
  const std::string p = path("m.safetensors");
  save_graph_classifier(p, model, {{"which", "first"}});
  for (const char* key : {"format", "format_version", "model", "pool", "edge_fill_value"}) {
    EXPECT_THAT(test::error_message([&] {
                  save_graph_classifier(p, model, {{key, "x"}});
                }),
                HasSubstr("metadata key '" + std::string(key) + "' is reserved"));
  }
  model.parameters().back()->value(0, 1) = std::numeric_limits<float>::infinity();
  EXPECT_THAT(test::error_message([&] {
                save_graph_classifier(p, model, {{"which", "second"}});
              }),
              HasSubstr("classifier.bias has a non-finite value at [0, 1]"));
  EXPECT_EQ(load_graph_classifier(p).metadata.at("which"), "first");
}

TEST(GraphIndices, RoundTrip) {
  const std::vector<std::int64_t> graphs = {0, 3, 17, 187};
  EXPECT_EQ(graph_indices_to_text(graphs), "0,3,17,187");
  EXPECT_EQ(graph_indices_from_text("0,3,17,187", 188, "m: metadata 'test_graphs'"), graphs);
  EXPECT_EQ(graph_indices_from_text("5", 6, "m"), (std::vector<std::int64_t>{5}));
  EXPECT_EQ(graph_indices_to_text({}), "");
}

TEST(GraphIndices, RefusesGarbageNamingSourceAndEntry) {
  const std::string source = "m.safetensors: metadata 'test_graphs'";
  for (const auto& [text, expected] : std::vector<std::pair<std::string, std::string>>{
           {"", "holds no graph index"},
           {"1,,2", "entry 2, '', is not a graph index"},
           {"-1", "entry 1, '-1', is not a graph index"},
           {"+1", "entry 1, '+1', is not a graph index"},
           {"1, 2", "entry 2, ' 2', is not a graph index"},
           {"1,2,", "entry 3, '', is not a graph index"},
           {"0x1", "entry 1, '0x1', is not a graph index"},
           {"1.5", "entry 1, '1.5', is not a graph index"},
           {"99999999999999999999", "entry 1, '99999999999999999999', is not a graph index"},
           {"3,188", "graph index 188 is out of range: the dataset has 188 graphs"},
           {"3,2", "graph index 2 follows 3"},
           {"2,2", "graph index 2 follows 2"}}) {
    try {
      graph_indices_from_text(text, 188, source);
      ADD_FAILURE() << "'" << text << "' accepted";
    } catch (const Error& e) {
      EXPECT_THAT(e.what(), AllOf(HasSubstr(source), HasSubstr(expected))) << text;
    }
  }
}

}  // namespace
}  // namespace gat
