#pragma once
// A group of P "processes" in one test process: P threads, each with a gat::Communicator whose
// collectives meet at a barrier and copy from each other's buffers. Lets the distributed
// trainer's tests run P = 1, 2, 3, 4 without mpirun (tests/train/dist_trainer_test.cpp); the
// MPI transport itself is tested under mpirun (tests/app/mpi_test.sh).

#include <barrier>
#include <cstddef>
#include <cstring>
#include <exception>
#include <functional>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "gat/core/communicator.hpp"
#include "gat/core/error.hpp"

namespace gat::test {

class ThreadGroup {
 public:
  explicit ThreadGroup(int size) : size_(size), barrier_(size), slots_(size) {}

  /// @brief Runs fn(comm) on P threads, one Communicator each, and rethrows the first exception
  /// any of them threw. Every thread must reach the same collectives (a thread that throws
  /// before its peers' next collective would leave them waiting: throw before any, or not at all).
  void run(const std::function<void(Communicator&)>& fn) {
    std::vector<std::thread> threads;
    std::exception_ptr error;
    std::mutex m;
    for (int r = 0; r < size_; ++r) {
      threads.emplace_back([&, r] {
        Member comm(*this, r);
        try {
          fn(comm);
        } catch (...) {
          const std::lock_guard lock(m);
          if (!error) error = std::current_exception();
        }
      });
    }
    for (auto& t : threads) t.join();
    if (error) std::rethrow_exception(error);
  }

 private:
  struct Slot {
    const std::byte* send = nullptr;
    std::vector<std::size_t> send_bytes;
  };

  class Member final : public Communicator {
   public:
    Member(ThreadGroup& g, int rank) : g_(g), rank_(rank) {}
    int rank() const override { return rank_; }
    int size() const override { return g_.size_; }
    void alltoallv(const std::byte* send, std::span<const std::size_t> send_bytes, std::byte* recv,
                   std::span<const std::size_t> recv_bytes) override {
      Slot& mine = g_.slots_[rank_];
      mine.send = send;
      mine.send_bytes.assign(send_bytes.begin(), send_bytes.end());
      g_.barrier_.arrive_and_wait();
      std::size_t at = 0;
      for (int q = 0; q < g_.size_; ++q) {
        const Slot& from = g_.slots_[q];
        std::size_t offset = 0;
        for (int k = 0; k < rank_; ++k) offset += from.send_bytes[k];
        GAT_CHECK(from.send_bytes[rank_] == recv_bytes[q],
                  "ThreadGroup: " << q << " sends " << from.send_bytes[rank_] << " bytes to "
                                  << rank_ << ", which expects " << recv_bytes[q]);
        if (recv_bytes[q] > 0) std::memcpy(recv + at, from.send + offset, recv_bytes[q]);
        at += recv_bytes[q];
      }
      g_.barrier_.arrive_and_wait();
    }
    void allgather(const std::byte* send, std::size_t bytes, std::byte* recv) override {
      g_.slots_[rank_].send = send;
      g_.barrier_.arrive_and_wait();
      for (int q = 0; q < g_.size_; ++q) {
        if (bytes > 0) std::memcpy(recv + q * bytes, g_.slots_[q].send, bytes);
      }
      g_.barrier_.arrive_and_wait();
    }

   private:
    ThreadGroup& g_;
    int rank_;
  };

  int size_;
  std::barrier<> barrier_;
  std::vector<Slot> slots_;
};

}  // namespace gat::test
