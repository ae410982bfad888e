#pragma once
// MpiCommunicator: gat::Communicator over MPI, in the gat_mpi library that a build with
// GAT_WITH_MPI (the default) makes beside gat; link gat::mpi to use it. The program initialises
// and finalises MPI itself (MpiSession does both); gat never calls MPI_Abort or prints.
//
// A collective whose peer has died does not return on its own in every MPI implementation: the
// program should end the job when any process fails (MpiSession::abort, which the gat app calls
// after printing its error), so that no process waits for ever. A peer that neither fails nor
// answers (stopped, hung, its machine gone without the launcher noticing) is caught by the
// communicator's timeout: a collective that has not completed within it throws gat::Error.

#include <cstddef>
#include <span>

#include "gat/core/communicator.hpp"

namespace gat {

/// @brief MPI_Init_thread (funneled: only the calling thread makes MPI calls; OpenMP threads
/// never do) on construction when MPI is not initialised yet, MPI_Finalize on destruction when
/// it initialised it. Throws gat::Error when MPI cannot start.
class MpiSession {
 public:
  MpiSession(int* argc, char*** argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
  /// @brief Whether this process runs under a launcher with more than one process, i.e. MPI's
  /// world has more than one rank.
  static int world_size();
  static int world_rank();
  /// @brief Ends every process of the job with `code` (MPI_Abort on the world).
  [[noreturn]] static void abort(int code);

 private:
  bool owns_ = false;
};

/// @brief The processes of MPI_COMM_WORLD (duplicated: gat's messages never meet the
/// program's). Errors of MPI calls are returned, not fatal, and become gat::Error.
class MpiCommunicator final : public Communicator {
 public:
  /// @param timeout_seconds how long a collective may wait for the other processes before it
  /// throws gat::Error (0: for ever). It must exceed the longest work between two collectives
  /// (one layer's forward or backward on the largest part). Collectives are started
  /// non-blocking and tested: a short spin, then sleeps of 50 µs, so a long wait does not burn
  /// a core.
  explicit MpiCommunicator(double timeout_seconds = 0);
  ~MpiCommunicator() override;
  MpiCommunicator(const MpiCommunicator&) = delete;
  MpiCommunicator& operator=(const MpiCommunicator&) = delete;
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void alltoallv(const std::byte* send, std::span<const std::size_t> send_bytes, std::byte* recv,
                 std::span<const std::size_t> recv_bytes) override;
  void allgather(const std::byte* send, std::size_t bytes, std::byte* recv) override;

 private:
  // Waits for the request of a collective (an MPI_Request*) within the timeout.
  void wait(void* request, const char* call) const;
  void* comm_ = nullptr;  // the MPI_Comm, kept opaque so that this header needs no mpi.h
  int rank_ = 0, size_ = 1;
  double timeout_ = 0;
};

}  // namespace gat
