// Embedding gat in a program of one's own: build a graph from an edge list held in memory,
// train a GAT on it, then read the predicted class and the learned embedding of every node.
//
// The data: two communities of 200 nodes. Each node has 4 edges into its own community and
// 1 into the other, and 16 noisy features whose mean is +0.15 or -0.15 by community; the
// features alone classify about 73% of nodes, the graph makes up the rest.
// Exits non-zero unless the test accuracy is well above chance (50%).
#include <cstdio>
#include <gat/gat.hpp>
#include <random>
#include <vector>

int main() {
  constexpr gat::NodeId kNodes = 400;  // node i belongs to community i % 2
  constexpr int kFeatures = 16;
  std::mt19937 rng(7);

  // Edge list and dense features, as a user's program would hold them.
  std::vector<gat::NodeId> src, dst;
  std::uniform_int_distribution<gat::NodeId> half(0, kNodes / 2 - 1);
  for (gat::NodeId i = 0; i < kNodes; ++i) {
    for (int k = 0; k < 4; ++k) {  // same community: an id of the same parity
      src.push_back(i);
      dst.push_back(2 * half(rng) + i % 2);
    }
    src.push_back(i);  // other community
    dst.push_back(2 * half(rng) + 1 - i % 2);
  }
  gat::RowMatrix features(kNodes, kFeatures);  // (N, 16)
  std::normal_distribution<float> noise(0.0f, 1.0f);
  for (gat::NodeId i = 0; i < kNodes; ++i) {
    for (int f = 0; f < kFeatures; ++f) features(i, f) = (i % 2 ? 0.15f : -0.15f) + noise(rng);
  }

  // A Dataset: undirected graph without duplicates or self loops (the model adds its own),
  // features (stored sparse; a dense matrix converts exactly), labels, class names and a split.
  gat::Dataset data;
  data.name = "communities";
  gat::BuildOptions build;
  build.symmetrize = true;
  build.duplicates = gat::Duplicates::kDrop;
  build.self_loops = gat::SelfLoops::kRemove;
  data.graph = gat::build_csr(kNodes, src, dst, build);
  data.features = gat::from_dense(features);
  data.class_names = {"even", "odd"};
  for (gat::NodeId i = 0; i < kNodes; ++i) {
    data.labels.push_back(i % 2);
    (i < 40 ? data.train : i < 140 ? data.val : data.test).push_back(i);  // 20 per class train
  }

  // The GAT paper's two-layer model (8 heads × 8 hidden features), trained with early stopping.
  gat::GatModelOptions options;
  options.in_features = kFeatures;
  options.num_classes = 2;
  gat::GatModel<float> model(options, /*seed=*/1);
  gat::TrainOptions train;
  train.epochs = 300;
  train.patience = 50;
  const gat::TrainResult result = gat::train_node_classifier(model, data, train);

  // Predictions: logits (N, C) of one inference pass, then the arg-max class per node.
  const gat::Evaluation eval = gat::evaluate(model, data);
  const std::vector<std::int32_t> predicted = gat::predict<float>(eval.logits);
  int correct = 0;
  for (const gat::NodeId i : data.test) correct += predicted[i] == data.labels[i];
  const double test_acc = static_cast<double>(correct) / static_cast<double>(data.test.size());

  // Embeddings: the hidden layer's output (N, 8·8) of an inference forward pass.
  const gat::CsrGraph graph = model.prepare_graph(data.graph);
  const gat::SparseInput<float> input(data.features);
  gat::GatModelCache<float> cache;
  model.forward(graph, input, cache, gat::ForwardContext{});
  const gat::RowMatrix& embedding = cache.hidden.back();

  std::printf("graph: %d nodes, %lld edges; %d epochs (best %d)\n", data.num_nodes(),
              static_cast<long long>(data.graph.num_edges()), result.epochs_run, result.best_epoch);
  std::printf("test accuracy %.3f (chance 0.5); node 0 predicted %s, embedding %lld x %lld\n",
              test_acc, data.class_names[predicted[0]].c_str(),
              static_cast<long long>(embedding.rows()), static_cast<long long>(embedding.cols()));
  if (test_acc < 0.8) {
    std::fprintf(stderr, "gat_consumer: test accuracy %.3f is not well above chance\n", test_acc);
    return 1;
  }
  return 0;
}
