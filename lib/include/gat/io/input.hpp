#pragma once
// Opening the files that the readers parse: plain or gzip-compressed, found by name with or
// without the ".gz", and only when they are regular files.
//
// Every data reader goes through here, so that `cora.content.gz` reads like `cora.content`,
// and so that a path naming a FIFO (which would block forever), a device such as /dev/zero
// (which never ends) or a folder is refused with one line before anything is read.

#include <string>

namespace gat {

/// @brief The file to read for `path`: `path` itself when it exists, else `path + ".gz"` when
/// that exists, else `path` unchanged (so that the error that follows names what was asked for).
std::string find_input(const std::string& path);

/// @brief Whether find_input(path) names an existing file (plain or ".gz").
bool input_exists(const std::string& path);

/// @brief The whole content of find_input(path), decompressed when it is gzip (recognised by
/// its magic bytes, not its name; zlib reads a plain file as it is). Throws gat::Error naming
/// the file when it does not exist, is not a regular file (folder, FIFO, device, socket, a
/// link that leads nowhere or loops), cannot be read, or is a corrupt or truncated gzip stream.
std::string read_input(const std::string& path);

}  // namespace gat
