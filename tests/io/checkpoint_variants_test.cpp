// Checkpoints of models with attention variants (score functions, alignments, multi-dimensional
// attention): the variant options survive the metadata, a trained model comes back bit for bit
// with exactly the tensors its layers have, and a file whose variant options are lost is
// refused rather than loaded into the wrong architecture.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/io/checkpoint.hpp"
#include "gat/io/safetensors.hpp"
#include "gat/train/trainer.hpp"
#include "support/synthetic.hpp"
#include "support/temp_dir.hpp"

namespace gat {
namespace {

using ::testing::HasSubstr;

struct Variant {
  std::string name;
  ScoreFunction score;
  bool share_weights;
  Alignment align;
  bool multi_dim;
  int top_k;
};

const std::vector<Variant> kVariants = {
    {"gatv2", ScoreFunction::kGatV2, false, Alignment::kSoftmax, false, 8},
    {"gatv2_shared", ScoreFunction::kGatV2, true, Alignment::kSoftmax, false, 8},
    {"general", ScoreFunction::kGeneral, false, Alignment::kSoftmax, false, 8},
    {"multi_dim_sparsemax", ScoreFunction::kGat, false, Alignment::kSparsemax, true, 8},
    {"uniform", ScoreFunction::kGat, false, Alignment::kUniform, false, 8},
    {"scaled_dot_local", ScoreFunction::kScaledDot, false, Alignment::kLocal, false, 3},
    {"cosine", parse_score_function("cosine"), false, Alignment::kSoftmax, false, 8},
};

GatModelOptions options_for(const Dataset& d, const Variant& v) {
  GatModelOptions o;
  o.in_features = d.num_features();
  o.num_classes = d.num_classes();
  o.hidden = 4;
  o.heads = 3;
  o.out_heads = 2;
  o.score = v.score;
  o.share_weights = v.share_weights;
  o.align = v.align;
  o.multi_dim = v.multi_dim;
  o.top_k = v.top_k;
  return o;
}

void expect_same_variant(const GatModelOptions& a, const GatModelOptions& b,
                         const std::string& what) {
  EXPECT_EQ(a.score, b.score) << what;
  EXPECT_EQ(a.share_weights, b.share_weights) << what;
  EXPECT_EQ(a.align, b.align) << what;
  EXPECT_EQ(a.multi_dim, b.multi_dim) << what;
  EXPECT_EQ(a.top_k, b.top_k) << what;
}

// Each variant is written to the metadata (it differs from the default model's) and read back.
TEST(CheckpointVariantOptions, VariantFieldsRoundTrip) {
  const Dataset d = test::synthetic_dataset(60, 3, 1);
  const CheckpointMetadata defaults = options_to_metadata(
      options_for(d, {"default", ScoreFunction::kGat, false, Alignment::kSoftmax, false, 8}));
  for (const Variant& v : kVariants) {
    const GatModelOptions o = options_for(d, v);
    const CheckpointMetadata m = options_to_metadata(o);
    EXPECT_NE(m, defaults) << v.name << ": the variant is not in the metadata";
    const GatModelOptions back = options_from_metadata(m);
    expect_same_variant(back, o, v.name);
    EXPECT_EQ(options_to_metadata(back), m) << v.name;
  }
}

class CheckpointVariants : public ::testing::Test {
 protected:
  test::TempDir tmp_{"gat_checkpoint_variants_test"};
};

// Train a few epochs, save, load: the same options, the same parameter names and values bit
// for bit, the same logits; and the file holds exactly the model's tensors (gatv2's W_dst only
// when not shared, general's M, no attention tensor at all for uniform attention).
TEST_F(CheckpointVariants, TrainedModelsRoundTripBitForBit) {
  const Dataset d = test::synthetic_dataset(300, 3, 5);
  for (std::size_t k = 0; k < kVariants.size(); ++k) {
    const Variant& v = kVariants[k];
    GatModel<float> model(options_for(d, v), 31 + k);
    TrainOptions t;
    t.epochs = 4;
    t.seed = 3;
    train_node_classifier(model, d, t);
    const Evaluation before = evaluate(model, d);

    const std::string p = tmp_.path(v.name + ".safetensors");
    save_checkpoint(p, model, {{"dataset", d.name}});
    Checkpoint loaded = load_checkpoint_with_metadata(p);
    expect_same_variant(loaded.model.options(), model.options(), v.name);
    EXPECT_EQ(options_to_metadata(loaded.model.options()), options_to_metadata(model.options()))
        << v.name;

    const auto a = model.parameters(), b = loaded.model.parameters();
    ASSERT_EQ(a.size(), b.size()) << v.name;
    std::set<std::string> names;
    for (std::size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i]->name, b[i]->name) << v.name;
      EXPECT_EQ(a[i]->value, b[i]->value) << v.name << " " << a[i]->name;
      names.insert(a[i]->name);
    }
    std::set<std::string> stored;
    for (const auto& [name, tensor] : read_safetensors(p).tensors) stored.insert(name);
    EXPECT_EQ(stored, names) << v.name;

    const Evaluation after = evaluate(loaded.model, d);
    EXPECT_TRUE(before.logits.allFinite()) << v.name;
    EXPECT_EQ(before.logits, after.logits) << v.name;  // bit-identical
    EXPECT_EQ(before.test_acc, after.test_acc) << v.name;
    EXPECT_EQ(before.val_loss, after.val_loss) << v.name;
  }
  // Which tensors each variant stores, by name.
  auto has = [&](const std::string& variant, const std::string& tensor) {
    return read_safetensors(tmp_.path(variant + ".safetensors")).tensors.count(tensor) > 0;
  };
  EXPECT_TRUE(has("gatv2", "layers.0.weight_dst"));
  EXPECT_TRUE(has("gatv2", "layers.0.att"));
  EXPECT_FALSE(has("gatv2", "layers.0.att_src"));
  EXPECT_FALSE(has("gatv2_shared", "layers.0.weight_dst"));
  EXPECT_TRUE(has("general", "layers.1.att_matrix"));
  EXPECT_TRUE(has("multi_dim_sparsemax", "layers.0.att_src"));
  EXPECT_FALSE(has("uniform", "layers.0.att_src"));
  EXPECT_TRUE(has("uniform", "layers.0.weight"));
  EXPECT_TRUE(has("scaled_dot_local", "layers.0.weight_query"));
}

// A variant checkpoint whose variant options are removed from the metadata describes a plain
// GAT model, whose tensors differ: the load is refused naming a tensor, never half-loaded.
// (The multi-dimensional sparsemax variant has the plain model's tensors and shapes, so it is
// left out: without its metadata it is indistinguishable from a plain GAT checkpoint.)
TEST_F(CheckpointVariants, LostVariantOptionsAreRefused) {
  const Dataset d = test::synthetic_dataset(60, 3, 1);
  const CheckpointMetadata defaults = options_to_metadata(
      options_for(d, {"default", ScoreFunction::kGat, false, Alignment::kSoftmax, false, 8}));
  for (const Variant& v : kVariants) {
    if (v.name == "multi_dim_sparsemax") continue;
    const GatModel<float> model(options_for(d, v), 1);
    const std::string p = tmp_.path(v.name + ".safetensors");
    save_checkpoint(p, model);
    SafetensorsFile f = read_safetensors(p);
    for (const auto& [key, value] : defaults) {
      if (f.metadata.count(key) && f.metadata.at(key) != value) f.metadata[key] = value;
    }
    write_safetensors(p, f);
    try {
      load_checkpoint(p);
      ADD_FAILURE() << v.name << ": loaded without its variant options";
    } catch (const Error& e) {
      EXPECT_THAT(e.what(), HasSubstr(p)) << v.name;
      EXPECT_THAT(e.what(), HasSubstr("tensor 'layers.")) << v.name;
    }
  }
}

}  // namespace
}  // namespace gat
