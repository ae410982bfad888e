// Embedding gat in a program of one's own, through the installed package: build a graph from
// the edge list and the dense feature array the program already holds, train a GAT on it, save
// and load the model, then embed and classify the nodes of a graph it has never seen.
//
// The data (communities(), not gat code): two communities; each node has 4 edges into its own
// and 1 into the other, and 16 noisy features whose mean is +0.15 or -0.15 by community. The
// features alone classify about 73% of nodes; the graph makes up the rest.
// Exits non-zero unless the accuracy on the unseen graph is well above chance (50%).
#include <cstdio>
#include <filesystem>
#include <gat/gat.hpp>
#include <random>
#include <vector>

namespace {

constexpr int kFeatures = 16;

struct Data {
  std::vector<gat::NodeId> src, dst;  // edge list (M)
  std::vector<float> features;        // (N, 16) row-major
  std::vector<std::int32_t> labels;   // (N) community of each node
};

Data communities(gat::NodeId nodes, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<gat::NodeId> half(0, nodes / 2 - 1);
  std::normal_distribution<float> noise(0.0f, 1.0f);
  Data d;
  for (gat::NodeId i = 0; i < nodes; ++i) {
    for (int k = 0; k < 5; ++k) {  // 4 ids of the same parity (community), then 1 of the other
      d.src.push_back(i);
      d.dst.push_back(2 * half(rng) + (k < 4 ? i % 2 : 1 - i % 2));
    }
    for (int f = 0; f < kFeatures; ++f) d.features.push_back((i % 2 ? 0.15f : -0.15f) + noise(rng));
    d.labels.push_back(i % 2);
  }
  return d;
}

}  // namespace

int main() {
  const std::string path = (std::filesystem::temp_directory_path() / "gat_consumer.safetensors");
  // ---- gat, as a user's program calls it (24 lines) ----
  gat::BuildOptions undirected;
  undirected.symmetrize = true;
  undirected.duplicates = gat::Duplicates::kDrop;

  const Data d = communities(400, 7);
  const gat::CsrGraph graph = gat::build_csr(400, d.src, d.dst, undirected);
  const gat::FeatureView x(d.features.data(), 400, kFeatures);  // the program's memory, no copy
  const gat::Split split = gat::random_split(d.labels, 2, {20, 100, 200}, /*seed=*/1);

  gat::GatModelOptions options;  // the GAT paper's two-layer model: 8 heads × 8 features
  options.in_features = kFeatures;
  options.num_classes = 2;
  gat::GatModel<float> model(options, /*seed=*/1);
  gat::TrainOptions train;
  train.epochs = 300;
  train.patience = 50;
  train.threads = 2;
  const gat::TrainResult result =
      gat::train_node_classifier(model, graph, x, d.labels, split, train);
  gat::save_checkpoint(path, model);

  const gat::GatModel<float> loaded = gat::load_checkpoint(path);
  const Data unseen = communities(300, 8);  // inductive use: a new graph, same kind of data
  const gat::CsrGraph graph2 = gat::build_csr(300, unseen.src, unseen.dst, undirected);
  const gat::Inference out =
      gat::infer(loaded, graph2, gat::FeatureView(unseen.features.data(), 300, kFeatures));
  const std::vector<std::int32_t> predicted = gat::predict<float>(out.logits);
  // ---- end of the user's gat code ----

  int correct = 0;
  for (std::size_t i = 0; i < predicted.size(); ++i) correct += predicted[i] == unseen.labels[i];
  const double acc = static_cast<double>(correct) / static_cast<double>(predicted.size());
  std::filesystem::remove(path);
  std::printf(
      "trained %d epochs (best %d), test accuracy %.3f; unseen graph of %d nodes: "
      "accuracy %.3f (chance 0.5), embedding %lld x %lld\n",
      result.epochs_run, result.best_epoch, result.test_acc, graph2.num_nodes(), acc,
      static_cast<long long>(out.embedding.rows()), static_cast<long long>(out.embedding.cols()));
  if (acc < 0.8) {
    std::fprintf(stderr,
                 "gat_consumer: accuracy %.3f on the unseen graph is not well above "
                 "chance\n",
                 acc);
    return 1;
  }
  return 0;
}
