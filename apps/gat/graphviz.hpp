#pragma once
// Running Graphviz's dot as a child process, for gat attention --png. Kept apart from the
// command because it is process plumbing (PATH lookup, posix_spawn, a private temporary
// folder), not analysis, and so that the command's file holds only its flags and calls.

#include <string>

namespace gat::app {

/// @brief The full path of an executable named `name` on $PATH, or empty (what `command -v`
/// finds). Looked up before any work starts, so that a missing tool fails at once.
std::string find_on_path(const std::string& name);

/// @brief Renders `dot_text` with `dot_exe -Tpng` and writes the PNG to `png` through
/// gat::write_output (atomic replace, a device or "-" written directly). dot itself writes only
/// into a private temporary folder; its messages are kept there, and the first one is reported
/// (gat::Error "dot -Tpng failed: ...") when it fails.
void render_png(const std::string& dot_exe, const std::string& dot_text, const std::string& png);

}  // namespace gat::app
