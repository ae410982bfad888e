#include "gat/core/threads.hpp"

#include <omp.h>

#include "gat/core/error.hpp"

namespace gat {

void set_num_threads(int n) {
  GAT_CHECK(n >= 1, "thread count must be at least 1, got " << n);
  omp_set_num_threads(n);
}

int num_threads() { return omp_get_max_threads(); }

}  // namespace gat
