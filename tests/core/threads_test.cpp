// Thread control (gat/core/threads.hpp): set_num_threads sets what num_threads reports and what
// a parallel region gets, refuses counts below 1 without changing the setting, and the chunk
// size that fixes every reduction's order is the documented constant.

#include "gat/core/threads.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <omp.h>

#include <thread>

#include "gat/core/error.hpp"

namespace gat {
namespace {

using ::testing::HasSubstr;

// Each test restores the thread count it found, so that tests in the same process do not
// depend on their order.
class Threads : public ::testing::Test {
 protected:
  void SetUp() override { saved_ = num_threads(); }
  void TearDown() override { set_num_threads(saved_); }

 private:
  int saved_ = 1;
};

// The number of threads a parallel region started now actually runs with.
int threads_in_parallel_region() {
  int team = 0;
#pragma omp parallel
  {
#pragma omp single
    team = omp_get_num_threads();
  }
  return team;
}

TEST_F(Threads, SetThenGet) {
  for (const int n : {1, 2, 3, 7, 1}) {
    set_num_threads(n);
    EXPECT_EQ(num_threads(), n);
  }
}

TEST_F(Threads, CountReachesParallelRegions) {
  set_num_threads(1);
  EXPECT_EQ(threads_in_parallel_region(), 1);
  set_num_threads(3);
  // OpenMP may give fewer threads than asked (dynamic adjustment), never more.
  const int team = threads_in_parallel_region();
  EXPECT_GE(team, 1);
  EXPECT_LE(team, 3);
  if (!omp_get_dynamic()) {
    EXPECT_EQ(team, 3);
  }
}

TEST_F(Threads, RefusesFewerThanOneAndKeepsTheSetting) {
  set_num_threads(2);
  for (const int bad : {0, -1, -64}) {
    SCOPED_TRACE(bad);
    try {
      set_num_threads(bad);
      FAIL() << "expected gat::Error";
    } catch (const Error& e) {
      EXPECT_THAT(e.what(), HasSubstr("thread count must be at least 1"));
      EXPECT_THAT(e.what(), HasSubstr("got " + std::to_string(bad)));
    }
    EXPECT_EQ(num_threads(), 2);
  }
}

TEST(ThreadsChunk, FixedRowChunk) {
  static_assert(kRowChunk == 256, "the reduction order depends on this constant");
  EXPECT_EQ(kRowChunk, 256);
}

}  // namespace
}  // namespace gat

namespace gat {
namespace {

// A std::thread starts with OpenMP's default count; a ThreadScope sets the count for the scope
// in whatever thread opens it, and 0 means the count last given to set_num_threads.
TEST_F(Threads, ScopeInAWorkerThread) {
  set_num_threads(1);
  int inside = 0, default_inside = 0, after = 0;
  std::thread worker([&] {
    const int before = num_threads();
    {
      ThreadScope scope(2);
      inside = threads_in_parallel_region();
    }
    {
      ThreadScope scope(0);  // the global default: 1, as set in the main thread
      default_inside = threads_in_parallel_region();
    }
    after = num_threads() == before ? 1 : 0;
  });
  worker.join();
  EXPECT_EQ(inside, 2);
  EXPECT_EQ(default_inside, 1);
  EXPECT_EQ(after, 1) << "the worker's own count was not restored";
  EXPECT_EQ(num_threads(), 1);  // the main thread untouched
}

}  // namespace
}  // namespace gat
