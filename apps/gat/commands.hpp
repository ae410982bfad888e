#pragma once
// The subcommands of the gat app; each file registers one.

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>

namespace gat::app {

void register_train(CLI::App& app);
void register_bench(CLI::App& app);
void register_eval(CLI::App& app);       // eval.cpp: a saved model's accuracy, loss, confusion
void register_predict(CLI::App& app);    // predict.cpp: per-node predictions as CSV
void register_embed(CLI::App& app);      // embed.cpp: hidden-layer embeddings as CSV or .npy
void register_info(CLI::App& app);       // info.cpp: dataset statistics
void register_attention(CLI::App& app);  // attention.cpp: attention weights, statistics, ablation
void register_partition(CLI::App& app);  // partition.cpp: parts for distributed training

/// Writes JSON (indented, with a final newline) through gat::write_output: "-" is stdout, a
/// device is written directly, a file is replaced atomically.
void write_json(const std::string& path, const nlohmann::json& value);

}  // namespace gat::app
