#include "presets.hpp"

#include <algorithm>
#include <cctype>
#include <functional>
#include <vector>

namespace gat::app {
namespace {

struct Setting {
  const char* flag;
  const char* value;  // as the user would type it, for the report
  std::function<void(ModelFlags&)> apply;
};

struct Preset {
  const char* dataset;
  std::vector<Setting> settings;
};

// The flags' defaults are the paper's transductive setting for Cora, which it also uses for
// CiteSeer; PubMed differs in three values. One table, so that a new preset is one entry.
const std::vector<Preset>& presets() {
  static const std::vector<Preset> kPresets{
      {"cora", {}},
      {"citeseer", {}},
      {"pubmed",
       {{"--out-heads", "8", [](ModelFlags& f) { f.model.out_heads = 8; }},
        {"--lr", "0.01", [](ModelFlags& f) { f.train.adam.lr = 0.01; }},
        {"--weight-decay", "0.001", [](ModelFlags& f) { f.train.adam.weight_decay = 0.001; }}}},
  };
  return kPresets;
}

// The preset of a dataset (case-insensitive), or nullptr.
const Preset* find_preset(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const auto& table = presets();
  const auto it =
      std::find_if(table.begin(), table.end(), [&](const Preset& p) { return name == p.dataset; });
  return it == table.end() ? nullptr : &*it;
}

}  // namespace

int preset_out_heads(const std::string& dataset) {
  ModelFlags flags;
  flags.model.out_heads = 1;
  if (const Preset* p = find_preset(dataset)) {
    for (const Setting& s : p->settings) {
      if (std::string(s.flag) == "--out-heads") s.apply(flags);
    }
  }
  return flags.model.out_heads;
}

std::string apply_preset(const std::string& dataset, const CLI::App& cmd, ModelFlags& flags,
                         std::string& report) {
  const Preset* it = find_preset(dataset);
  if (it == nullptr) {
    report = "no preset for dataset '" + dataset + "': the flags' defaults apply";
    return "";
  }
  std::string set, kept;
  for (const Setting& s : it->settings) {
    if (cmd.count(s.flag) > 0) {
      kept += std::string(kept.empty() ? "" : " ") + s.flag;
    } else {
      s.apply(flags);
      set += std::string(set.empty() ? "" : " ") + s.flag + " " + s.value;
    }
  }
  std::string name = it->dataset;  // the table's spelling, lower case
  report = "preset " + name + " (GAT paper): ";
  if (it->settings.empty()) {
    report += "the flags' defaults";
  } else if (set.empty()) {
    report += "nothing set";
  } else {
    report += set;
  }
  if (!kept.empty()) report += " (yours kept: " + kept + ")";
  return name;
}

}  // namespace gat::app
