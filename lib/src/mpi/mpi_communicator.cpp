#include "gat/mpi/mpi_communicator.hpp"

#include <mpi.h>

#include <climits>
#include <cstdlib>
#include <string>
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

MpiCommunicator::MpiCommunicator() {
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
  check_mpi(MPI_Alltoallv(send, sc.data(), sd.data(), MPI_BYTE, recv, rc.data(), rd.data(),
                          MPI_BYTE, as_comm(comm_)),
            "MPI_Alltoallv");
}

void MpiCommunicator::allgather(const std::byte* send, std::size_t bytes, std::byte* recv) {
  to_count(bytes * static_cast<std::size_t>(size_), "gathered");
  check_mpi(MPI_Allgather(send, to_count(bytes, "gathered"), MPI_BYTE, recv,
                          to_count(bytes, "gathered"), MPI_BYTE, as_comm(comm_)),
            "MPI_Allgather");
}

}  // namespace gat
