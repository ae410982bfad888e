// Checkpoints: options ↔ metadata, a trained model saved and loaded bit for bit, every way a
// checkpoint can be wrong, and crashes during a save (a child process killed while writing,
// and one that stops before the rename) that must leave the previous checkpoint intact.

#include "gat/io/checkpoint.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/io/safetensors.hpp"
#include "gat/train/trainer.hpp"
#include "support/checkpoint_checks.hpp"
#include "support/io_fixtures.hpp"
#include "support/synthetic.hpp"
#include "support/temp_dir.hpp"

namespace gat::detail {
// Defined in lib/src/io/output.cpp without a public header (see safetensors_test.cpp).
using AtomicWriteHook = void (*)(const char* stage);
void set_atomic_write_hook(AtomicWriteHook hook);
}  // namespace gat::detail

namespace gat {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

GatModelOptions options_for(const Dataset& d) {
  GatModelOptions o;
  o.in_features = d.num_features();
  o.num_classes = d.num_classes();
  o.hidden = 4;
  o.heads = 3;
  return o;
}

std::vector<Matrix<float>> weights(GatModel<float>& model) {
  std::vector<Matrix<float>> out;
  for (auto* p : model.parameters()) out.push_back(p->value);
  return out;
}

class Checkpoints : public ::testing::Test {
 protected:
  void TearDown() override { detail::set_atomic_write_hook(nullptr); }

  std::string path(const std::string& name) const { return tmp_.path(name); }

  // The message load_checkpoint throws for this file, or what happened instead.
  static std::string load_error(const std::string& p) {
    return test::error_message([&] { load_checkpoint(p); });
  }

  test::TempDir tmp_{"gat_checkpoint_test"};
};

TEST(CheckpointOptions, EveryFieldRoundTrips) {
  GatModelOptions o;
  o.in_features = 1433;
  o.num_classes = 7;
  o.layers = 3;
  o.hidden = 5;
  o.heads = 6;
  o.out_heads = 2;
  o.dropout = 0.1;  // not exact in binary: must come back bit for bit
  o.attention_dropout = 1.0 / 3.0;
  o.feature_dropout = 0.0;
  o.negative_slope = 0.01;
  o.bias = false;
  o.residual = true;
  o.self_loops = SelfLoops::kRemove;
  o.attention = AttentionMode::kDense;
  o.dense_memory_limit = std::numeric_limits<std::uint64_t>::max() - 1;
  o.score = ScoreFunction::kGatV2;
  o.share_weights = true;
  o.align = Alignment::kLocal;
  o.top_k = 3;
  o.multi_dim = true;
  const CheckpointMetadata m = options_to_metadata(o);
  EXPECT_EQ(m.at("dropout"), "0.1");
  EXPECT_EQ(m.at("bias"), "false");
  EXPECT_EQ(m.at("self_loops"), "remove");
  EXPECT_EQ(m.at("attention"), "dense");
  EXPECT_EQ(m.at("dense_memory_limit"), "18446744073709551614");
  const GatModelOptions back = options_from_metadata(m);
  EXPECT_EQ(options_to_metadata(back), m);
  EXPECT_EQ(back.attention_dropout, 1.0 / 3.0);
  EXPECT_EQ(back.in_features, 1433);
  EXPECT_EQ(back.self_loops, SelfLoops::kRemove);
  EXPECT_EQ(m.size(), 20u);
  test::expect_each_field_read(m, options_to_metadata(GatModelOptions{}), [](const auto& one) {
    return options_to_metadata(options_from_metadata(one));
  });
}

TEST(CheckpointOptions, MissingFieldsTakeTheirDefaults) {
  const GatModelOptions o = options_from_metadata({{"hidden", "16"}, {"something_new", "x"}});
  EXPECT_EQ(o.hidden, 16);
  EXPECT_EQ(o.heads, GatModelOptions{}.heads);
  EXPECT_EQ(o.negative_slope, GatModelOptions{}.negative_slope);
  EXPECT_EQ(o.self_loops, SelfLoops::kAdd);
}

TEST(CheckpointOptions, InvalidValuesNameTheField) {
  test::expect_invalid_values_named({{"heads", "eight"},
                                     {"heads", "8.5"},
                                     {"heads", "99999999999"},
                                     {"dropout", "nan"},
                                     {"dropout", "0.5x"},
                                     {"bias", "yes"},
                                     {"self_loops", "sometimes"},
                                     {"attention", ""},
                                     {"in_features", "-"}},
                                    [](const CheckpointMetadata& m, const std::string& source) {
                                      options_from_metadata(m, source);
                                    });
}

// Train a few epochs, save, load: same weights bit for bit, same logits, same accuracy; the
// metadata carries the options and the extras. Several architectures, so that bias-free
// layers, a projected residual and an identity residual (hidden width = width) are all covered.
TEST_F(Checkpoints, TrainedModelRoundTripsBitForBit) {
  const Dataset d = test::synthetic_dataset(300, 3, 5);
  std::vector<GatModelOptions> variants(3, options_for(d));
  variants[1].bias = false;
  variants[1].out_heads = 2;
  variants[1].self_loops = SelfLoops::kRemove;
  variants[2].residual = true;
  variants[2].layers = 3;  // layer 1 maps 12 → 12 features: identity residual
  variants[2].negative_slope = 0.1;
  for (std::size_t v = 0; v < variants.size(); ++v) {
    GatModel<float> model(variants[v], 11 + v);
    TrainOptions t;
    t.epochs = 5;
    t.seed = 3;
    train_node_classifier(model, d, t);
    const Evaluation before = evaluate(model, d);

    const std::string p = path("model" + std::to_string(v) + ".safetensors");
    save_checkpoint(p, model, {{"dataset", d.name}, {"note", "round trip"}});
    Checkpoint loaded = load_checkpoint_with_metadata(p);
    EXPECT_EQ(loaded.metadata.at("dataset"), "synthetic");
    EXPECT_EQ(loaded.metadata.at("format"), "gat");
    EXPECT_EQ(loaded.metadata.at("format_version"), "1");
    EXPECT_EQ(options_to_metadata(loaded.model.options()), options_to_metadata(model.options()));
    const auto a = weights(model), b = weights(loaded.model);
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t k = 0; k < a.size(); ++k) {
      EXPECT_EQ(a[k], b[k]) << model.parameters()[k]->name;
    }
    const Evaluation after = evaluate(loaded.model, d);
    EXPECT_EQ(before.logits, after.logits) << "variant " << v;  // bit-identical
    EXPECT_EQ(before.test_acc, after.test_acc);
    EXPECT_EQ(before.val_loss, after.val_loss);
  }
  // The residual variant stored projections where widths differ and none where they match.
  const SafetensorsFile f = read_safetensors(path("model2.safetensors"));
  EXPECT_TRUE(f.tensors.count("layers.0.res_weight"));
  EXPECT_FALSE(f.tensors.count("layers.1.res_weight"));
  EXPECT_TRUE(f.tensors.count("layers.2.res_weight"));
  EXPECT_FALSE(read_safetensors(path("model1.safetensors")).tensors.count("layers.0.bias"));
}

TEST_F(Checkpoints, TensorsUseTheDocumentedNamesAndShapes) {
  const Dataset d = test::synthetic_dataset(60, 3, 1);
  GatModel<float> model(options_for(d), 1);
  save_checkpoint(path("m.safetensors"), model);
  const SafetensorsFile f = read_safetensors(path("m.safetensors"));
  using S = std::vector<std::int64_t>;
  EXPECT_EQ(f.tensors.at("layers.0.weight").shape, (S{30, 12}));  // (in, H·F)
  EXPECT_EQ(f.tensors.at("layers.0.att_src").shape, (S{3, 4}));   // (H, F)
  EXPECT_EQ(f.tensors.at("layers.0.att_dst").shape, (S{3, 4}));
  EXPECT_EQ(f.tensors.at("layers.0.bias").shape, (S{1, 12}));
  EXPECT_EQ(f.tensors.at("layers.1.weight").shape, (S{12, 3}));  // (H·F, C)
  EXPECT_EQ(f.tensors.at("layers.1.bias").shape, (S{1, 3}));
  EXPECT_EQ(f.tensors.size(), 8u);
  EXPECT_EQ(f.tensors.at("layers.0.weight").dtype, SafetensorsDtype::kF32);
  EXPECT_EQ(tensor_to_matrix<float>(f.tensors.at("layers.0.weight"), "w"),
            model.layers()[0].parameter("weight").value);
}

TEST_F(Checkpoints, RefusesBrokenCheckpointsNamingTheProblem) {
  const Dataset d = test::synthetic_dataset(60, 3, 1);
  const GatModel<float> model(options_for(d), 1);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<test::CheckpointDamage> cases = {
      {"no format", [](SafetensorsFile& f) { f.metadata.erase("format"); },
       "not a gat checkpoint (metadata 'format' is missing"},
      {"other format", [](SafetensorsFile& f) { f.metadata["format"] = "pt"; },
       "metadata 'format' is 'pt'"},
      {"future version", [](SafetensorsFile& f) { f.metadata["format_version"] = "2"; },
       "unsupported checkpoint format_version '2'"},
      {"no version", [](SafetensorsFile& f) { f.metadata.erase("format_version"); },
       "format_version (missing)"},
      {"bad option", [](SafetensorsFile& f) { f.metadata["heads"] = "many"; },
       "metadata 'heads' has the invalid value 'many'"},
      {"options that make no model", [](SafetensorsFile& f) { f.metadata["layers"] = "0"; },
       "metadata 'layers' is 0"},
      {"invalid dropout", [](SafetensorsFile& f) { f.metadata["dropout"] = "1.5"; },
       "do not make a model: GatConv: input dropout"},
      {"missing tensor", [](SafetensorsFile& f) { f.tensors.erase("layers.1.att_dst"); },
       "tensor 'layers.1.att_dst' is missing"},
      {"extra tensor",
       [](SafetensorsFile& f) { f.tensors["layers.9.weight"] = f.tensors["layers.0.bias"]; },
       "unexpected tensor 'layers.9.weight'"},
      {"wrong shape",
       [](SafetensorsFile& f) {
         f.tensors["layers.0.att_src"].shape = {4, 3};  // same bytes, transposed shape
       },
       "tensor 'layers.0.att_src' has shape [4, 3] but the options give [3, 4]"},
      {"options disagree with shapes", [](SafetensorsFile& f) { f.metadata["hidden"] = "5"; },
       "tensor 'layers.0.weight' has shape [30, 12] but the options give [30, 15]"},
      {"a 1-D tensor", [](SafetensorsFile& f) { f.tensors["layers.0.bias"].shape = {12}; },
       "tensor 'layers.0.bias' has shape [12]"},
      {"wrong dtype",
       [](SafetensorsFile& f) {
         f.tensors["layers.1.bias"] = tensor_from_matrix<double>(Matrix<double>::Zero(1, 3));
       },
       "tensor 'layers.1.bias' has dtype F64, expected F32"},
      {"non-finite value",
       [&](SafetensorsFile& f) {
         Matrix<float> w = tensor_to_matrix<float>(f.tensors["layers.1.weight"], "w");
         w(2, 1) = nan;
         f.tensors["layers.1.weight"] = tensor_from_matrix<float>(w);
       },
       "tensor 'layers.1.weight' holds a non-finite value (NaN or infinity) at [2, 1]"},
      {"infinite value",
       [&](SafetensorsFile& f) {
         Matrix<float> w = tensor_to_matrix<float>(f.tensors["layers.0.bias"], "b");
         w(0, 0) = -std::numeric_limits<float>::infinity();
         f.tensors["layers.0.bias"] = tensor_from_matrix<float>(w);
       },
       "tensor 'layers.0.bias' holds a non-finite value"},
      // Metadata claiming a model far larger than the file is refused before anything of that
      // size is allocated (the shapes do not match).
      {"enormous claimed model",
       [](SafetensorsFile& f) {
         f.metadata["in_features"] = "1000000000000";
         f.metadata["hidden"] = "2000000000";
       },
       "tensor 'layers.0.weight' has shape [30, 12] but the options give [1000000000000, "
       "6000000000]"},
  };
  test::expect_damage_refused(
      path("broken.safetensors"), [&](const std::string& p) { save_checkpoint(p, model); },
      [](const std::string& p) { load_checkpoint(p); }, cases);
  // A safetensors-level problem comes through with the file name too.
  EXPECT_THAT(load_error(path("absent.safetensors")), HasSubstr("absent.safetensors: cannot open"));
}

TEST_F(Checkpoints, SaveRefusesNonFiniteWeightsAndReservedExtras) {
  const Dataset d = test::synthetic_dataset(60, 3, 1);
  GatModel<float> model(options_for(d), 1);
  EXPECT_THROW(save_checkpoint(path("m.safetensors"), model, {{"heads", "2"}}), Error);
  EXPECT_THROW(save_checkpoint(path("m.safetensors"), model, {{"format", "x"}}), Error);
  model.layers()[1].parameter("att_src").value(0, 1) = std::numeric_limits<float>::infinity();
  try {
    save_checkpoint(path("m.safetensors"), model);
    FAIL() << "saved a non-finite weight";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("layers.1.att_src has a non-finite value at [0, 1]"));
  }
  EXPECT_FALSE(std::filesystem::exists(path("m.safetensors")));
}

// ---- Crashes during a save ---------------------------------------------------------------

// The write end of a pipe the child reports on, for the hooks below (plain function pointers).
int g_report_fd = -1;

// The one file in `dir` other than `keep`: the temporary a save left behind ("" if none).
// write_output names it with a random suffix (.model.safetensors.XXXXXXXX), so it is found by
// listing, not by guessing.
std::string leftover(const std::filesystem::path& dir, const std::string& keep) {
  std::string found;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().filename() != keep) found = e.path().string();
  }
  return found;
}

// Runs `save` in a forked child and returns its wait status. The child never returns into the
// test framework: it leaves through _exit or a signal.
int run_in_child(const std::function<void()>& save, const std::function<void(pid_t)>& parent) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    g_report_fd = fds[1];
    try {
      save();
    } catch (...) {
      _exit(3);
    }
    _exit(0);
  }
  close(fds[1]);
  char byte = 0;
  // Wait until the child reports that it reached the hook (or exits without reaching it).
  const bool reached = read(fds[0], &byte, 1) == 1;
  close(fds[0]);
  if (reached) parent(pid);
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

// A child saving a new checkpoint over an existing one is killed with SIGKILL halfway through
// writing the temporary file: the previous checkpoint still loads and equals the original.
TEST_F(Checkpoints, KilledWhileWritingLeavesThePreviousCheckpoint) {
  const Dataset d = test::synthetic_dataset(60, 3, 1);
  GatModel<float> original(options_for(d), 1);
  GatModel<float> replacement(options_for(d), 2);
  const std::string p = path("model.safetensors");
  save_checkpoint(p, original, {{"which", "original"}});

  std::string temp;
  const int status = run_in_child(
      [&] {
        detail::set_atomic_write_hook([](const char* stage) {
          if (std::string(stage) != "partial") return;
          const char byte = 1;
          if (write(g_report_fd, &byte, 1) != 1) _exit(4);
          pause();  // wait here, mid-write, for the parent's SIGKILL
        });
        save_checkpoint(p, replacement, {{"which", "replacement"}});
      },
      [&](pid_t child) {
        temp = leftover(tmp_.dir(), "model.safetensors");
        EXPECT_FALSE(temp.empty()) << "the child had not started writing";
        kill(child, SIGKILL);
      });
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;

  // The half-written temporary file is litter, never the checkpoint.
  EXPECT_TRUE(std::filesystem::exists(temp));
  EXPECT_LT(std::filesystem::file_size(temp), std::filesystem::file_size(p));
  EXPECT_THROW(read_safetensors(temp), Error);
  Checkpoint loaded = load_checkpoint_with_metadata(p);
  EXPECT_EQ(loaded.metadata.at("which"), "original");
  const auto a = weights(original), b = weights(loaded.model);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t k = 0; k < a.size(); ++k) EXPECT_EQ(a[k], b[k]);
}

// The simulated crash: the child writes and syncs the complete temporary file, then exits
// before the rename. The target is untouched; the temporary file is a complete checkpoint.
TEST_F(Checkpoints, CrashBeforeRenameLeavesThePreviousCheckpoint) {
  const Dataset d = test::synthetic_dataset(60, 3, 1);
  GatModel<float> original(options_for(d), 1);
  GatModel<float> replacement(options_for(d), 2);
  const std::string p = path("model.safetensors");
  save_checkpoint(p, original, {{"which", "original"}});

  const int status = run_in_child(
      [&] {
        detail::set_atomic_write_hook([](const char* stage) {
          if (std::string(stage) != "written") return;
          const char byte = 1;
          if (write(g_report_fd, &byte, 1) != 1) _exit(4);
          _exit(9);  // "crash": no rename, no clean-up
        });
        save_checkpoint(p, replacement, {{"which", "replacement"}});
      },
      [&](pid_t) {});
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 9) << "status " << status;

  EXPECT_EQ(load_checkpoint_with_metadata(p).metadata.at("which"), "original");
  const std::string temp = leftover(tmp_.dir(), "model.safetensors");
  ASSERT_FALSE(temp.empty());
  EXPECT_EQ(load_checkpoint_with_metadata(temp).metadata.at("which"), "replacement");
  GatModel<float> again = load_checkpoint(p);
  const auto a = weights(original), b = weights(again);
  for (std::size_t k = 0; k < a.size(); ++k) EXPECT_EQ(a[k], b[k]);
}

// A failure inside this process just before the rename: the error reaches the caller, the
// temporary file is removed and the previous checkpoint is intact.
TEST_F(Checkpoints, FailedSaveKeepsThePreviousCheckpoint) {
  const Dataset d = test::synthetic_dataset(60, 3, 1);
  GatModel<float> original(options_for(d), 1);
  GatModel<float> replacement(options_for(d), 2);
  const std::string p = path("model.safetensors");
  save_checkpoint(p, original, {{"which", "original"}});
  detail::set_atomic_write_hook([](const char* stage) {
    if (std::string(stage) == "written") throw Error("disk on fire");
  });
  EXPECT_THROW(save_checkpoint(p, replacement, {{"which", "replacement"}}), Error);
  detail::set_atomic_write_hook(nullptr);
  EXPECT_EQ(load_checkpoint_with_metadata(p).metadata.at("which"), "original");
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(tmp_.dir())) {
    names.push_back(e.path().filename().string());
  }
  EXPECT_THAT(names, ::testing::ElementsAre("model.safetensors"));
}

}  // namespace
}  // namespace gat
