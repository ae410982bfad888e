#pragma once
// The one way the library and the apps write a file (JSON, CSV, .npy, safetensors, DOT, PNG).
//
// What `path` names decides how it is written:
//   "-"                         standard output, flushed and checked (a full disk is an error);
//   a device, FIFO or socket    opened for writing as it is and written directly, never replaced
//                               (`--output /dev/null` run as root must not replace /dev/null);
//   a symlink                   followed to its final target, which is then treated as below;
//                               the link itself stays a link. A chain through /proc (as
//                               /dev/stdout → /proc/self/fd/1 is) names a descriptor this
//                               process already has open: it is written directly, appending,
//                               neither truncated nor replaced, as `cmd >> file` would;
//   a folder                    an error;
//   a regular file or new path  replaced atomically: a temporary `.<name>.XXXXXX` with a random
//                               suffix is created exclusively (O_EXCL, never through a link) in
//                               the same folder, written, given the old file's mode (a new file
//                               gets 0666 minus the umask, as any open would), fsynced, renamed
//                               over the path, and the folder fsynced. A crash leaves the old
//                               file or the complete new one; concurrent writers to one path
//                               each succeed and the last rename wins with a complete copy.
// Every failure is a gat::Error naming the path and the cause (strerror), and leaves no
// temporary behind.

#include <string>
#include <string_view>

namespace gat {

/// @brief Writes `bytes` to `path` as described above: "-" is stdout, devices and FIFOs are
/// written directly, regular files and new paths are replaced atomically, links are followed.
/// Throws gat::Error naming the path and the cause on any failure (ENOSPC included).
void write_output(const std::string& path, std::string_view bytes);

/// @brief Kept for callers written before write_output: the same as write_output.
void write_file_atomic(const std::string& path, std::string_view bytes);

/// @brief The check an app runs on an output path before any long work starts, so that
/// `--json nonexist/x.json` fails in a second, not after training. Accepts "-", an existing
/// device, FIFO or socket, and a path whose folder exists and in which a file can be created
/// (proved by creating and removing a unique temporary, since access() says yes to root even
/// on a read-only mount). Throws gat::Error naming `flag` and `path` for an empty path, a
/// folder, a missing folder or one that cannot be written.
void check_output_path(const std::string& path, const std::string& flag);

}  // namespace gat
