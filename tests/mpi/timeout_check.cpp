// Run under mpirun with 2 processes (tests/app/mpi_test.sh): process 1 stalls for 5 s before
// its first collective; process 0's communicator, with a 1 s timeout, must give up with
// gat::Error instead of waiting, and says so on stdout ("timeout: <message>"); it then ends the
// job as the gat app does (MPI_Abort, exit status 3). A communicator without a timeout, or one
// that ignores it, would hang until the test's own `timeout` kills it.
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/mpi/mpi_communicator.hpp"

int main(int argc, char** argv) {
  const gat::MpiSession session(&argc, &argv);  // outlives the catch: MPI_Abort needs MPI
  try {
    gat::MpiCommunicator comm(1.0);
    std::vector<std::byte> mine(8), all(8 * static_cast<std::size_t>(comm.size()));
    if (comm.rank() == 1) std::this_thread::sleep_for(std::chrono::seconds(5));
    comm.allgather(mine.data(), mine.size(), all.data());
    std::printf("no timeout on process %d\n", comm.rank());
    return 0;
  } catch (const gat::Error& e) {
    std::printf("timeout: %s\n", e.what());
    std::fflush(stdout);
    gat::MpiSession::abort(3);
  }
}
