#pragma once
// Communicator: the two collective operations a distributed run needs, independent of the
// transport. gat::MpiCommunicator (gat/mpi/mpi_communicator.hpp, the gat_mpi library of a
// GAT_WITH_MPI build) implements them with MPI; SoloCommunicator is a group of one; a test can
// run a group of threads in one process. The trainer (gat/train/dist_trainer.hpp) sums what it
// gathers in rank order itself, never through a reduction whose order the transport chooses, so
// a run gives the same bits every time.

#include <cstddef>
#include <cstring>
#include <span>

#include "gat/core/error.hpp"

namespace gat {

/// @brief A fixed group of processes, each with a rank in [0, size()). Every member must call the
/// same collectives in the same order; each call returns once its data has arrived. A failure
/// (a peer gone, the transport's error) throws gat::Error.
class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// @brief Personalised all-to-all: this process sends send_bytes[q] bytes to process q, taken
  /// from `send` consecutively in rank order, and receives recv_bytes[q] bytes from q into
  /// `recv`, likewise; recv_bytes[q] must equal what q sends here. Both spans have size() entries.
  virtual void alltoallv(const std::byte* send, std::span<const std::size_t> send_bytes,
                         std::byte* recv, std::span<const std::size_t> recv_bytes) = 0;
  /// @brief Every process contributes `bytes` bytes; recv (size()·bytes) gets process q's at
  /// offset q·bytes.
  virtual void allgather(const std::byte* send, std::size_t bytes, std::byte* recv) = 0;
};

/// @brief The group of one process: collectives copy their input.
class SoloCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void alltoallv(const std::byte* send, std::span<const std::size_t> send_bytes, std::byte* recv,
                 std::span<const std::size_t> recv_bytes) override {
    GAT_CHECK(send_bytes.size() == 1 && recv_bytes.size() == 1 && send_bytes[0] == recv_bytes[0],
              "SoloCommunicator::alltoallv: counts do not describe a group of one");
    if (send_bytes[0] > 0) std::memcpy(recv, send, send_bytes[0]);
  }
  void allgather(const std::byte* send, std::size_t bytes, std::byte* recv) override {
    if (bytes > 0) std::memcpy(recv, send, bytes);
  }
};

}  // namespace gat
