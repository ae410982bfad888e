#pragma once
// Index and matrix types shared by the whole library.
// Legend for shapes in every comment: N nodes, E edges, H heads, F features per head,
// D edge-feature size, G graphs.

// Eigen settings that are part of gat's ABI and of its results (CMakeLists.txt says why each
// one is needed). The CMake target gat::gat and `pkg-config --cflags gat` define them; a file
// compiled without them would allocate matrices differently from the library (a heap
// corruption at the first free) or make products whose bits depend on the CPU, so it stops
// here instead. They must be defined before Eigen is first included.
#if !defined(EIGEN_MAX_ALIGN_BYTES) || EIGEN_MAX_ALIGN_BYTES != 64 || \
    !defined(EIGEN_MAX_STATIC_ALIGN_BYTES) || EIGEN_MAX_STATIC_ALIGN_BYTES != 64
#error \
    "gat: compile with -DEIGEN_MAX_ALIGN_BYTES=64 -DEIGEN_MAX_STATIC_ALIGN_BYTES=64 (defined before any Eigen include), as the gat::gat CMake target and `pkg-config --cflags gat` do"
#endif
#if !defined(EIGEN_NO_CPUID) || !defined(EIGEN_DONT_PARALLELIZE)
#error \
    "gat: compile with -DEIGEN_NO_CPUID -DEIGEN_DONT_PARALLELIZE, as the gat::gat CMake target and `pkg-config --cflags gat` do"
#endif

#include <Eigen/Core>
#include <cstdint>

#include "gat/build_config.hpp"

// Eigen's inline code is compiled into the library and into every file that includes these
// headers; compiled for other vector extensions it would exist twice under one name, and the
// linker may keep either copy. Same extensions, one copy.
#if (defined(__AVX2__) ? 1 : 0) != GAT_BUILD_AVX2 || \
    (defined(__FMA__) ? 1 : 0) != GAT_BUILD_FMA ||   \
    (defined(__AVX512F__) ? 1 : 0) != GAT_BUILD_AVX512F
#error \
    "gat: this file is compiled for other vector extensions than the gat library; compile with the flags in GAT_BUILD_ARCH_FLAGS (gat/build_config.hpp), as the gat::gat CMake target and `pkg-config --cflags gat` do"
#endif

namespace gat {

/// Node ids are 32-bit: graphs beyond 2^31 nodes are out of scope for one machine.
using NodeId = std::int32_t;
/// Edge offsets (CSR row pointers, slot indices) are 64-bit: E may exceed 2^31.
using EdgeId = std::int64_t;

/// Row-major dense matrix: node data is (N, H·F), edge data is (E, H).
template <typename T>
using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowMatrix = Matrix<float>;

/// Read-only and writable views of a row-major matrix, the way ops take their arguments.
template <typename T>
using MatrixCRef = Eigen::Ref<const Matrix<T>>;
template <typename T>
using MatrixRef = Eigen::Ref<Matrix<T>>;

}  // namespace gat
