#pragma once
// Errors: the library reports every problem a user can fix by throwing gat::Error.
// It never prints, exits or aborts; apps catch the error in main and return non-zero.

#include <sstream>
#include <stdexcept>
#include <string>

namespace gat {

/// @brief The one exception type the library throws; what() is a message a user can act on.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace gat

/// Throws gat::Error with a streamed message when cond is false, e.g.
///   GAT_CHECK(n >= 0, "node count must be non-negative, got " << n);
/// Used at public entry points; kernels rely on assert for internal invariants.
#define GAT_CHECK(cond, msg)                       \
  do {                                             \
    if (!(cond)) {                                 \
      std::ostringstream gat_check_stream_;        \
      gat_check_stream_ << msg;                    \
      throw ::gat::Error(gat_check_stream_.str()); \
    }                                              \
  } while (false)

/// Throws gat::Error unconditionally with a streamed message.
#define GAT_FAIL(msg) GAT_CHECK(false, msg)
