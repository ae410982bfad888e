#include "model_flags.hpp"

#include <sstream>
#include <string>
#include <type_traits>

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

// One command-line option per row of the library's option table (for_each_option), by type.
template <typename Number>
CLI::Option* add_table_option(CLI::App& cmd, const OptionInfo& info, Number& member) {
  CLI::Option* option = cmd.add_option(info.flag, member, info.help)->capture_default_str();
  // The range in the member's own type, so that messages read "1 to 64", not "1.000000 ...".
  if (info.min < info.max) {
    option->check(CLI::Range(static_cast<Number>(info.min), static_cast<Number>(info.max)));
  }
  return option;
}
CLI::Option* add_table_option(CLI::App& cmd, const OptionInfo& info, bool& member) {
  // "--no-bias" turns a default-true option off; the others turn theirs on.
  const bool value = std::string(info.flag).rfind("--no-", 0) != 0;
  return cmd.add_flag_callback(
      info.flag, [&member, value] { member = value; }, info.help);
}
// Enums: the library's parse_* checks the name and lists the choices in its message.
template <typename Enum, typename Parse>
CLI::Option* add_enum_option(CLI::App& cmd, const OptionInfo& info, const std::string& help,
                             Enum& member, Parse parse, const std::string& what) {
  return cmd
      .add_option_function<std::string>(
          info.flag, [&member, parse](const std::string& name) { member = parse(name); }, help)
      ->default_str(to_string(member))
      ->check(library_names(parse, what));
}
CLI::Option* add_table_option(CLI::App& cmd, const OptionInfo& info, SelfLoops& member) {
  return add_enum_option(cmd, info, info.help, member, parse_self_loops, "POLICY");
}
CLI::Option* add_table_option(CLI::App& cmd, const OptionInfo& info, AttentionMode& member) {
  return add_enum_option(cmd, info, info.help, member, parse_attention_mode, "MODE");
}
CLI::Option* add_table_option(CLI::App& cmd, const OptionInfo& info, ScoreFunction& member) {
  // The choices come from the variant registry, so a new score is in the help by itself.
  return add_enum_option(cmd, info, std::string(info.help) + ": " + score_names(), member,
                         parse_score_function, "SCORE");
}
CLI::Option* add_table_option(CLI::App& cmd, const OptionInfo& info, Alignment& member) {
  return add_enum_option(cmd, info, std::string(info.help) + ": " + alignment_names(), member,
                         parse_alignment, "ALIGN");
}

}  // namespace

std::vector<CLI::Option*> add_model_flags(CLI::App& cmd, ModelFlags& f) {
  std::vector<CLI::Option*> out;
  for_each_option(f.model, [&](const OptionInfo& info, auto& member) {
    if (*info.flag != '\0') out.push_back(add_table_option(cmd, info, member));
  });
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

CLI::Option* add_device_flag(CLI::App& cmd, Device& device) {
  return cmd
      .add_option_function<std::string>(
          "--device", [&device](const std::string& name) { device = parse_device(name); },
          "Where to train: cpu, or cuda (an NVIDIA GPU; needs a build with -DGAT_WITH_CUDA=ON, "
          "and runs the paper's layer only)")
      ->default_str(to_string(device))
      ->check(library_names(parse_device, "DEVICE"));
}

void finish_model_options(ModelFlags& f, const Dataset& data) {
  f.model.in_features = data.num_features();
  f.model.num_classes = data.num_classes();
}

void check_training_memory(const ModelFlags& f, const Dataset& data) {
  const GatModelOptions& o = f.model;
  const std::int64_t edges = data.graph.num_edges();
  std::ostringstream what;
  what << "training the model (N = " << data.num_nodes() << " nodes, E = " << edges << " edges, "
       << o.layers << " layers";
  if (o.layers > 1) what << ", " << o.heads << " heads x " << o.hidden << " features";
  what << ", " << GatModel<float>::parameter_count(o) << " parameters)";
  check_memory(GatModel<float>::estimate_training_bytes(
                   o, data.num_nodes(), edges, data.feature_entries(), data.has_dense_features()),
               what.str());
}

nlohmann::json model_flags_json(const ModelFlags& f) {
  // The options a user can set, under the library's keys, then the training flags.
  nlohmann::json out = nlohmann::json::object();
  for_each_option(f.model, [&](const OptionInfo& info, const auto& value) {
    if (*info.flag == '\0') return;
    using V = std::decay_t<decltype(value)>;
    if constexpr (std::is_arithmetic_v<V>) {
      out[info.key] = value;
    } else {
      out[info.key] = to_string(value);
    }
  });
  out["lr"] = f.train.adam.lr;
  out["weight_decay"] = f.train.adam.weight_decay;
  out["epochs"] = f.train.epochs;
  out["patience"] = f.train.patience;
  return out;
}

}  // namespace gat::app
