#include "gat/mpi/mpi_communicator.hpp"

#include <mpi.h>

#include <chrono>
#include <climits>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "gat/core/error.hpp"

namespace gat {
namespace {

// MPI's message of an error code.
std::string mpi_message(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS)
    return "MPI error " + std::to_string(code);
  return std::string(text, static_cast<std::size_t>(length));
}

void check_mpi(int code, const char* call) {
  GAT_CHECK(code == MPI_SUCCESS, call << " failed: " << mpi_message(code));
}

MPI_Comm& as_comm(void*& p) { return *static_cast<MPI_Comm*>(p); }

// MPI counts and displacements are int: a message past 2 GiB is refused, not truncated.
int to_count(std::size_t bytes, const char* what) {
  GAT_CHECK(bytes <= static_cast<std::size_t>(INT_MAX),
            "MPI exchange of " << bytes << " bytes (" << what
                               << ") exceeds MPI's int counts (2 GiB): use more processes");
  return static_cast<int>(bytes);
}

}  // namespace

MpiSession::MpiSession(int* argc, char*** argv) {
  int started = 0;
  check_mpi(MPI_Initialized(&started), "MPI_Initialized");
  if (started) return;
  int provided = 0;
  check_mpi(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  owns_ = true;
}

MpiSession::~MpiSession() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (owns_ && !finalized) MPI_Finalize();
}

int MpiSession::world_size() {
  int size = 1;
  check_mpi(MPI_Comm_size(MPI_COMM_WORLD, &size), "MPI_Comm_size");
  return size;
}

int MpiSession::world_rank() {
  int rank = 0;
  check_mpi(MPI_Comm_rank(MPI_COMM_WORLD, &rank), "MPI_Comm_rank");
  return rank;
}

void MpiSession::abort(int code) {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);  // MPI_Abort does not return; should it, the process still ends
}

MpiCommunicator::MpiCommunicator(double timeout_seconds) : timeout_(timeout_seconds) {
  GAT_CHECK(timeout_seconds >= 0,
            "MpiCommunicator: the timeout must be non-negative seconds, got " << timeout_seconds);
  int started = 0;
  check_mpi(MPI_Initialized(&started), "MPI_Initialized");
  GAT_CHECK(started, "MpiCommunicator: MPI is not initialised (create a gat::MpiSession first)");
  comm_ = new MPI_Comm(MPI_COMM_NULL);
  check_mpi(MPI_Comm_dup(MPI_COMM_WORLD, &as_comm(comm_)), "MPI_Comm_dup");
  MPI_Comm_set_errhandler(as_comm(comm_), MPI_ERRORS_RETURN);
  check_mpi(MPI_Comm_rank(as_comm(comm_), &rank_), "MPI_Comm_rank");
  check_mpi(MPI_Comm_size(as_comm(comm_), &size_), "MPI_Comm_size");
}

MpiCommunicator::~MpiCommunicator() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized && as_comm(comm_) != MPI_COMM_NULL) MPI_Comm_free(&as_comm(comm_));
  delete static_cast<MPI_Comm*>(comm_);
}

void MpiCommunicator::alltoallv(const std::byte* send, std::span<const std::size_t> send_bytes,
                                std::byte* recv, std::span<const std::size_t> recv_bytes) {
  const auto p = static_cast<std::size_t>(size_);
  GAT_CHECK(send_bytes.size() == p && recv_bytes.size() == p,
            "MpiCommunicator::alltoallv: " << send_bytes.size() << " and " << recv_bytes.size()
                                           << " counts for " << p << " processes");
  std::vector<int> sc(p), sd(p), rc(p), rd(p);
  std::size_t s_at = 0, r_at = 0;
  for (std::size_t q = 0; q < p; ++q) {
    sc[q] = to_count(send_bytes[q], "sent");
    rc[q] = to_count(recv_bytes[q], "received");
    sd[q] = to_count(s_at, "sent");
    rd[q] = to_count(r_at, "received");
    s_at += send_bytes[q];
    r_at += recv_bytes[q];
  }
  MPI_Request request = MPI_REQUEST_NULL;
  check_mpi(MPI_Ialltoallv(send, sc.data(), sd.data(), MPI_BYTE, recv, rc.data(), rd.data(),
                           MPI_BYTE, as_comm(comm_), &request),
            "MPI_Ialltoallv");
  wait(&request, "MPI_Ialltoallv");
}

void MpiCommunicator::allgather(const std::byte* send, std::size_t bytes, std::byte* recv) {
  to_count(bytes * static_cast<std::size_t>(size_), "gathered");
  MPI_Request request = MPI_REQUEST_NULL;
  check_mpi(MPI_Iallgather(send, to_count(bytes, "gathered"), MPI_BYTE, recv,
                           to_count(bytes, "gathered"), MPI_BYTE, as_comm(comm_), &request),
            "MPI_Iallgather");
  wait(&request, "MPI_Iallgather");
}

void MpiCommunicator::wait(void* request, const char* call) const {
  auto* r = static_cast<MPI_Request*>(request);
  if (timeout_ <= 0) {
    check_mpi(MPI_Wait(r, MPI_STATUS_IGNORE), call);
    return;
  }
  // MPI_Test drives the transfer; spinning keeps the latency of short waits (most of them, a
  // few microseconds between the processes' kernels), sleeping keeps a long one from burning a
  // core.
  const auto start = std::chrono::steady_clock::now();
  for (long spins = 0;; ++spins) {
    int done = 0;
    check_mpi(MPI_Test(r, &done, MPI_STATUS_IGNORE), call);
    if (done) return;
    const double waited =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    GAT_CHECK(waited <= timeout_,
              call << ": the other processes did not answer within " << timeout_
                   << " s (one has stopped, hangs, or lost its connection); if a step really "
                      "takes that long, raise the timeout (gat train --mpi-timeout)");
    if (spins > 10000) std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
}

}  // namespace gat
