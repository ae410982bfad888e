#include "model_flags.hpp"

#include <map>
#include <sstream>

#include "gat/core/error.hpp"
#include "gat/core/memory.hpp"

namespace gat::app {
namespace {

// A CLI11 check that accepts what `parse` accepts and otherwise reports the library's own
// message (which lists the choices), so the names live in one place: the library.
template <typename Parse>
CLI::Validator library_names(Parse parse, const std::string& what) {
  return CLI::Validator(
      [parse](std::string& value) -> std::string {
        try {
          parse(value);
          return {};
        } catch (const gat::Error& e) {
          return e.what();
        }
      },
      what);
}

}  // namespace

std::vector<CLI::Option*> add_model_flags(CLI::App& cmd, ModelFlags& f) {
  std::vector<CLI::Option*> out;
  out.push_back(
      cmd.add_option("--layers", f.model.layers, "GAT layers (the last one is the classifier)")
          ->capture_default_str()
          ->check(CLI::Range(1, 64)));
  out.push_back(cmd.add_option("--hidden", f.model.hidden, "Features per head in hidden layers")
                    ->capture_default_str()
                    ->check(CLI::Range(1, 1 << 16)));
  out.push_back(cmd.add_option("--heads", f.model.heads, "Heads in hidden layers (concatenated)")
                    ->capture_default_str()
                    ->check(CLI::Range(1, 1024)));
  out.push_back(
      cmd.add_option("--out-heads", f.model.out_heads, "Heads in the output layer (averaged)")
          ->capture_default_str()
          ->check(CLI::Range(1, 1024)));
  out.push_back(cmd.add_option("--dropout", f.model.dropout, "Dropout on every layer's input")
                    ->capture_default_str()
                    ->check(CLI::Range(0.0, 0.999)));
  out.push_back(cmd.add_option("--feature-dropout", f.model.feature_dropout,
                               "Dropout on projected features where they are aggregated (as the "
                               "reference implementation does)")
                    ->capture_default_str()
                    ->check(CLI::Range(0.0, 0.999)));
  out.push_back(
      cmd.add_option("--attn-dropout", f.model.attention_dropout, "Dropout on attention weights")
          ->capture_default_str()
          ->check(CLI::Range(0.0, 0.999)));
  out.push_back(
      cmd.add_option("--negative-slope", f.model.negative_slope, "LeakyReLU slope of edge scores")
          ->capture_default_str()
          ->check(CLI::Range(0.0, 1.0)));
  out.push_back(cmd.add_flag("--no-bias", f.no_bias, "Layers without bias"));
  out.push_back(cmd.add_flag("--residual", f.model.residual, "Residual connection in every layer"));
  out.push_back(
      cmd.add_option("--self-loops", f.self_loops, "Self loops: add (one per node), keep, remove")
          ->capture_default_str()
          ->check(CLI::IsMember({"add", "keep", "remove"})));
  out.push_back(
      cmd.add_option("--attention", f.attention,
                     "Attention over CSR edges (sparse) or N x N score matrices per head (dense)")
          ->capture_default_str()
          ->check(CLI::IsMember({"sparse", "dense"})));
  out.push_back(cmd.add_option("--score", f.score,
                               "Edge score: gat, gatv2, dot, scaled-dot, general, biased-general, "
                               "activated-general")
                    ->capture_default_str()
                    ->check(library_names(parse_score_function, "SCORE")));
  out.push_back(cmd.add_flag("--share-weights", f.model.share_weights,
                             "gatv2: one projection for both ends of an edge"));
  out.push_back(cmd.add_option("--align", f.align,
                               "How scores become weights: softmax, sparsemax, hard, local "
                               "(softmax over the top-k in-edges), uniform (mean aggregation)")
                    ->capture_default_str()
                    ->check(library_names(parse_alignment, "ALIGN")));
  out.push_back(cmd.add_option("--top-k", f.model.top_k, "--align local: in-edges kept per node")
                    ->capture_default_str()
                    ->check(CLI::Range(1, 1 << 20)));
  out.push_back(cmd.add_flag("--multi-dim", f.model.multi_dim,
                             "Multi-dimensional attention: one weight per edge and channel"));
  return out;
}

std::vector<CLI::Option*> add_training_flags(CLI::App& cmd, ModelFlags& f) {
  std::vector<CLI::Option*> out;
  out.push_back(cmd.add_option("--lr", f.train.adam.lr, "Adam learning rate")
                    ->capture_default_str()
                    ->check(CLI::PositiveNumber));
  out.push_back(
      cmd.add_option("--weight-decay", f.train.adam.weight_decay, "L2 penalty on all weights")
          ->capture_default_str()
          ->check(CLI::NonNegativeNumber));
  out.push_back(cmd.add_option("--epochs", f.train.epochs, "Maximum epochs")
                    ->capture_default_str()
                    ->check(CLI::Range(1, 1 << 30)));
  out.push_back(cmd.add_option("--patience", f.train.patience, "Early-stopping patience (epochs)")
                    ->capture_default_str()
                    ->check(CLI::Range(1, 1 << 30)));
  return out;
}

SelfLoops parse_self_loops(const std::string& name) {
  static const std::map<std::string, SelfLoops> kPolicies{
      {"add", SelfLoops::kAdd}, {"keep", SelfLoops::kKeep}, {"remove", SelfLoops::kRemove}};
  const auto it = kPolicies.find(name);
  GAT_CHECK(it != kPolicies.end(),
            "unknown self-loop policy '" << name << "'; choose one of add, keep, remove");
  return it->second;
}

void finish_model_options(ModelFlags& f, const Dataset& data) {
  f.model.in_features = data.num_features();
  f.model.num_classes = data.num_classes();
  f.model.self_loops = parse_self_loops(f.self_loops);
  f.model.bias = !f.no_bias;
  f.model.attention = f.attention == "dense" ? AttentionMode::kDense : AttentionMode::kSparse;
  f.model.score = parse_score_function(f.score);
  f.model.align = parse_alignment(f.align);
}

void check_training_memory(const ModelFlags& f, const Dataset& data) {
  const GatModelOptions& o = f.model;
  const std::int64_t edges = data.graph.num_edges();
  std::ostringstream what;
  what << "training the model (N = " << data.num_nodes() << " nodes, E = " << edges << " edges, "
       << o.layers << " layers";
  if (o.layers > 1) what << ", " << o.heads << " heads x " << o.hidden << " features";
  what << ", " << GatModel<float>::parameter_count(o) << " parameters)";
  check_memory(
      GatModel<float>::estimate_training_bytes(o, data.num_nodes(), edges, data.features.nnz()),
      what.str());
}

nlohmann::json model_flags_json(const ModelFlags& f) {
  return {{"layers", f.model.layers},
          {"hidden", f.model.hidden},
          {"heads", f.model.heads},
          {"out_heads", f.model.out_heads},
          {"dropout", f.model.dropout},
          {"attention_dropout", f.model.attention_dropout},
          {"feature_dropout", f.model.feature_dropout},
          {"negative_slope", f.model.negative_slope},
          {"bias", !f.no_bias},
          {"residual", f.model.residual},
          {"self_loops", f.self_loops},
          {"attention", f.attention},
          {"score", f.score},
          {"share_weights", f.model.share_weights},
          {"align", f.align},
          {"top_k", f.model.top_k},
          {"multi_dim", f.model.multi_dim},
          {"lr", f.train.adam.lr},
          {"weight_decay", f.train.adam.weight_decay},
          {"epochs", f.train.epochs},
          {"patience", f.train.patience}};
}

}  // namespace gat::app
