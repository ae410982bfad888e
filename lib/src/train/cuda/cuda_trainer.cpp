// The GPU trainer's host side: device memory, the order of the kernels, cuBLAS for the dense
// products, cuSPARSE for the sparse-input projection. The kernels are in kernels.cu. Every
// launch goes to the legacy default stream, so operations run in the order written here and
// host copies wait for them; a step synchronises once, when its scalars come back.
//
// Per layer l (the CPU's GatConv, gat/layers/gat_conv.hpp), forward:
//   x_used = dropout(x)                    (N, in)   dense: a copy; sparse: the values (nnz)
//   z = x_used·W                           (N, H·F)  cuBLAS sgemm / cuSPARSE SpMM
//   s_src, s_dst = z·a per head            (N, H)
//   z_used = dropout(z)                    (N, H·F)  feature dropout
//   α, α' = softmax, dropout               (H, E)    one thread per (node, head)
//   agg = Σ_p α'·z_used[src]               (N, H·F)  one thread per (node, channel), slot order
//   (dense attention: α, α' (H·N, N) masked by the edge counts, one block per row; agg per
//   head α'_h·z_used_h by cuBLAS, one strided batch for all heads)
//   out = agg or mean of heads, + residual, + bias; ELU between layers
// and the backward in reverse, the scattered sums (into sources) on the transposed graph so
// that each output is one thread's sum in a fixed order.

#include "gat/train/cuda_trainer.hpp"

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cusparse.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "gat/core/device.hpp"
#include "gat/core/error.hpp"
#include "gat/core/memory.hpp"
#include "gat/core/random.hpp"
#include "gat/core/sparse_matrix.hpp"
#include "kernels.hpp"

namespace gat {
namespace {

using cuda::DeviceDropout;

void check_cuda(cudaError_t err, const char* what) {
  GAT_CHECK(err == cudaSuccess, "CUDA: " << what << " failed: " << cudaGetErrorString(err));
}
void check_cublas(cublasStatus_t status, const char* what) {
  GAT_CHECK(status == CUBLAS_STATUS_SUCCESS,
            "cuBLAS: " << what << " failed: " << cublasGetStatusString(status));
}
void check_cusparse(cusparseStatus_t status, const char* what) {
  GAT_CHECK(status == CUSPARSE_STATUS_SUCCESS,
            "cuSPARSE: " << what << " failed: " << cusparseGetErrorString(status));
}

/// Device memory for n values of T, freed with the object.
template <typename T>
class Buffer {
 public:
  Buffer() = default;
  ~Buffer() { release(); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  Buffer(Buffer&& other) noexcept
      : ptr_(std::exchange(other.ptr_, nullptr)),
        n_(std::exchange(other.n_, 0)),
        capacity_(std::exchange(other.capacity_, 0)) {}
  Buffer& operator=(Buffer&& other) noexcept {
    std::swap(ptr_, other.ptr_);
    std::swap(n_, other.n_);
    std::swap(capacity_, other.capacity_);
    return *this;
  }

  /// Holds n values afterwards (contents undefined when the size changed). Grows only: a
  /// smaller size keeps the allocation, so that scratch shared by layers of different widths
  /// (the dense weights' gradient, H·N² then N²) is allocated once, not freed and allocated
  /// again each step (cudaFree waits for the device).
  void resize(std::int64_t n) {
    if (n <= capacity_) {
      n_ = std::max<std::int64_t>(n, 0);
      return;
    }
    release();
    const auto bytes = static_cast<std::size_t>(n) * sizeof(T);
    const cudaError_t err = cudaMalloc(reinterpret_cast<void**>(&ptr_), bytes);
    if (err == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();  // clear the sticky-free error state of the runtime
      std::size_t free_bytes = 0, total_bytes = 0;
      (void)cudaMemGetInfo(&free_bytes, &total_bytes);
      GAT_FAIL("--device cuda: out of device memory: asked for "
               << double(bytes) / (1 << 20) << " MiB with " << double(free_bytes) / (1 << 20)
               << " MiB free of " << double(total_bytes) / (1 << 20) << " MiB");
    }
    check_cuda(err, "cudaMalloc");
    n_ = capacity_ = n;
  }
  void upload(const T* host, std::int64_t n) {
    resize(n);
    if (n > 0) {
      check_cuda(
          cudaMemcpy(ptr_, host, static_cast<std::size_t>(n) * sizeof(T), cudaMemcpyHostToDevice),
          "copy to the device");
    }
  }
  void upload(const std::vector<T>& host) { upload(host.data(), std::ssize(host)); }
  void download(T* host) const {
    if (n_ > 0) {
      check_cuda(
          cudaMemcpy(host, ptr_, static_cast<std::size_t>(n_) * sizeof(T), cudaMemcpyDeviceToHost),
          "copy from the device");
    }
  }
  void copy_from(const Buffer& other) {
    resize(other.n_);
    if (n_ > 0) {
      check_cuda(cudaMemcpy(ptr_, other.ptr_, static_cast<std::size_t>(n_) * sizeof(T),
                            cudaMemcpyDeviceToDevice),
                 "copy on the device");
    }
  }
  void zero() {
    if (n_ > 0) check_cuda(cudaMemset(ptr_, 0, static_cast<std::size_t>(n_) * sizeof(T)), "memset");
  }
  T* get() { return ptr_; }
  const T* get() const { return ptr_; }
  std::int64_t size() const { return n_; }

 private:
  void release() {
    if (ptr_ != nullptr) (void)cudaFree(ptr_);
    ptr_ = nullptr;
    n_ = capacity_ = 0;
  }
  T* ptr_ = nullptr;
  std::int64_t n_ = 0;         // the values held
  std::int64_t capacity_ = 0;  // the values allocated
};

/// 64-bit copies of 32-bit indices: cuSPARSE wants one index type for offsets and columns, and
/// the kernels index with 64 bits throughout.
std::vector<std::int64_t> widen(const std::vector<std::int32_t>& v) { return {v.begin(), v.end()}; }

/// A CSR matrix on the device.
struct DeviceCsr {
  std::int64_t rows = 0, cols = 0, nnz = 0;
  Buffer<std::int64_t> row_ptr, col;
};

struct DeviceParam {
  std::string name;
  std::int64_t rows = 0, cols = 0;
  Buffer<float> value, grad, m, v, best;
  std::int64_t size() const { return rows * cols; }
};

/// One GatConv layer: where its parameters are, and what its forward keeps for the backward.
struct LayerState {
  GatConvOptions o;
  int weight = -1, att_src = -1, att_dst = -1, bias = -1, res = -1;  // indices into params
  std::int64_t in = 0, h = 0, f = 0, hf = 0, width = 0;
  DeviceDropout input_drop, attention_drop, feature_drop;
  const float* x = nullptr;     // the dense input as used (after dropout), (N, in)
  Buffer<float> x_used;         // its copy after dropout (empty without dropout)
  Buffer<float> sparse_used;    // sparse input values after dropout (nnz), row order ...
  Buffer<float> sparse_used_t;  // ... and in the transpose's order
  Buffer<float> z, z_used, s_src, s_dst, alpha, alpha_used, agg, out;
  const float* values() const { return feature_drop.active ? z_used.get() : z.get(); }
  const float* weights() const { return attention_drop.active ? alpha_used.get() : alpha.get(); }
  bool averaged() const { return !o.concat && h > 1; }
  bool dense() const { return o.attention == AttentionMode::kDense; }
};

DeviceDropout device_dropout(bool active, double rate, const CounterRng& rng) {
  DeviceDropout d;
  d.active = active && rate > 0.0;
  if (d.active) {
    d.key = rng.key();
    d.threshold = CounterRng::drop_threshold(rate);
    d.scale = static_cast<float>(1.0 / (1.0 - rate));  // the CPU's T(1 / (1 - p))
  }
  return d;
}

}  // namespace

struct CudaTrainer::Impl {
  cublasHandle_t blas = nullptr;
  cusparseHandle_t sparse = nullptr;
  Buffer<char> workspace;  // cuSPARSE's
  CudaAggregation aggregation = CudaAggregation::kKernel;
  std::int64_t cusparse_calls = 0, kernel_calls = 0;  // sparse aggregations by each, so far

  GatModelOptions options;
  AdamOptions adam;
  long adam_steps = 0;
  bool has_best = false;
  std::int64_t n = 0, e = 0, c = 0;

  // The prepared graph: CSR by destination (row_ptr, src, and each slot's destination) and its
  // transpose by source (t_row_ptr, t_dst, t_slot: the slot of each transposed entry).
  Buffer<std::int64_t> row_ptr, src, dst, t_row_ptr, t_dst, t_slot;
  // Features: sparse (CSR, its transpose and where each transposed entry comes from) or dense.
  bool sparse_input = false;
  DeviceCsr x_csr, x_csr_t;
  Buffer<float> x_val;
  Buffer<std::int64_t> x_t_source;
  Buffer<float> x_dense;  // (N, in), packed
  Buffer<float> adj;      // edge counts (N, N) when a layer runs dense attention

  Buffer<std::int32_t> labels, train, val, test;
  std::vector<DeviceParam> params;
  std::vector<LayerState> layers;
  std::vector<Buffer<float>> act;      // ELU outputs between layers (N, width_l)
  std::vector<Buffer<float>> grad_in;  // gradients into those (N, width_l)

  // Backward scratch, sized at the first backward.
  Buffer<float> grad_logits, grad_agg, grad_z, grad_alpha_used, grad_score, alpha_t;
  Buffer<float> grad_s_src, grad_s_dst, partial;
  Buffer<float> grad_dense;  // dense attention: the weights' gradient (H·N, N)
  Buffer<double> node_loss, sum;
  Buffer<std::int32_t> node_correct, flags;
  Buffer<std::int64_t> correct_sum;

  ~Impl() {
    if (sparse != nullptr) (void)cusparseDestroy(sparse);
    if (blas != nullptr) (void)cublasDestroy(blas);
  }

  // ---- Products --------------------------------------------------------------------------
  // Row-major C (m, n) = A (m, k) · B (k, n) + beta·C. cuBLAS is column-major, where a row-major
  // matrix is its transpose: Cᵀ = Bᵀ·Aᵀ.
  void gemm_nn(std::int64_t m, std::int64_t nn, std::int64_t k, const float* a, const float* b,
               float* out, float beta) {
    const float one = 1.0f;
    check_cublas(cublasSgemm(blas, CUBLAS_OP_N, CUBLAS_OP_N, int(nn), int(m), int(k), &one, b,
                             int(nn), a, int(k), &beta, out, int(nn)),
                 "sgemm (projection)");
  }
  // Row-major C (k, n) += Aᵀ·B with A (m, k), B (m, n): the weight gradient xᵀ·grad_z.
  void gemm_tn_add(std::int64_t m, std::int64_t nn, std::int64_t k, const float* a, const float* b,
                   float* out) {
    const float one = 1.0f;
    check_cublas(cublasSgemm(blas, CUBLAS_OP_N, CUBLAS_OP_T, int(nn), int(k), int(m), &one, b,
                             int(nn), a, int(k), &one, out, int(nn)),
                 "sgemm (weight gradient)");
  }
  // Row-major C (m, k) = A (m, n)·Bᵀ + beta·C with B (k, n): the input gradient grad_z·Wᵀ.
  void gemm_nt(std::int64_t m, std::int64_t nn, std::int64_t k, const float* a, const float* b,
               float* out, float beta) {
    const float one = 1.0f;
    check_cublas(cublasSgemm(blas, CUBLAS_OP_T, CUBLAS_OP_N, int(k), int(m), int(nn), &one, b,
                             int(nn), a, int(nn), &beta, out, int(k)),
                 "sgemm (input gradient)");
  }
  // Dense attention, per head h of H with Aₕ the (N, N) block h of alpha (H·N, N) and Xₕ the
  // columns h·F .. h·F + F of a row-major (N, H·F) matrix: one strided batch of H products.
  // In cuBLAS's column-major view a row-major Xₕ (ld H·F) is Xₕᵀ (F, N), and Aₕ is Aₕᵀ (ld N).
  // outₕ = Aₕ·valuesₕ: outₕᵀ = valuesₕᵀ·Aₕᵀ.
  void dense_aggregate(const float* alpha, const float* values, float* out, int h, int f) {
    const float one = 1.0f, zero = 0.0f;
    const int nn = static_cast<int>(n), hf = h * f;
    check_cublas(cublasSgemmStridedBatched(blas, CUBLAS_OP_N, CUBLAS_OP_N, f, nn, nn, &one, values,
                                           hf, f, alpha, nn, n * n, &zero, out, hf, f, h),
                 "batched sgemm (dense aggregation)");
  }
  // gradₕ = g_aggₕ·valuesₕᵀ (N, N), g_agg the aggregation's gradient: gradₕᵀ =
  // valuesₕ·g_aggₕᵀ, the first operand transposed.
  void dense_weight_grad(const float* g_agg, const float* values, float* grad, int h, int f) {
    const float one = 1.0f, zero = 0.0f;
    const int nn = static_cast<int>(n), hf = h * f;
    check_cublas(cublasSgemmStridedBatched(blas, CUBLAS_OP_T, CUBLAS_OP_N, nn, nn, f, &one, values,
                                           hf, f, g_agg, hf, f, &zero, grad, nn, n * n, h),
                 "batched sgemm (dense attention gradient)");
  }
  // g_zₕ = Aₕᵀ·g_aggₕ (N, F), overwritten: g_zₕᵀ = g_aggₕᵀ·Aₕ.
  void dense_values_grad(const float* alpha, const float* g_agg, float* g_z, int h, int f) {
    const float one = 1.0f, zero = 0.0f;
    const int nn = static_cast<int>(n), hf = h * f;
    check_cublas(cublasSgemmStridedBatched(blas, CUBLAS_OP_N, CUBLAS_OP_T, f, nn, nn, &one, g_agg,
                                           hf, f, alpha, nn, n * n, &zero, g_z, hf, f, h),
                 "batched sgemm (dense values gradient)");
  }

  // Row-major C (rows, nn; leading dimension ldc) = A·B + beta·C for a CSR A (rows, cols) with
  // nnz entries and `values`, B (cols, nn; ldb). Never the transposed operation (cuSPARSE
  // documents it as not reproducible): the weight gradient multiplies by the stored transpose
  // instead. Returns cuSPARSE's status; a layout it does not support is the caller's to handle.
  cusparseStatus_t try_spmm(std::int64_t rows, std::int64_t cols, std::int64_t nnz,
                            const std::int64_t* a_row_ptr, const std::int64_t* a_col,
                            const float* a_values, const float* b, std::int64_t ldb,
                            std::int64_t nn, float* out, std::int64_t ldc, float beta) {
    // The descriptors are destroyed however this returns (workspace.resize may throw).
    struct Descriptors {
      cusparseConstSpMatDescr_t a = nullptr;
      cusparseConstDnMatDescr_t b = nullptr;
      cusparseDnMatDescr_t c = nullptr;
      Descriptors() = default;
      Descriptors(const Descriptors&) = delete;
      Descriptors& operator=(const Descriptors&) = delete;
      ~Descriptors() {
        if (a != nullptr) (void)cusparseDestroySpMat(a);
        if (b != nullptr) (void)cusparseDestroyDnMat(b);
        if (c != nullptr) (void)cusparseDestroyDnMat(c);
      }
    } m;
    cusparseStatus_t status = cusparseCreateConstCsr(
        &m.a, rows, cols, nnz, a_row_ptr, a_col, a_values, CUSPARSE_INDEX_64I, CUSPARSE_INDEX_64I,
        CUSPARSE_INDEX_BASE_ZERO, CUDA_R_32F);
    if (status == CUSPARSE_STATUS_SUCCESS) {
      status = cusparseCreateConstDnMat(&m.b, cols, nn, ldb, b, CUDA_R_32F, CUSPARSE_ORDER_ROW);
    }
    if (status == CUSPARSE_STATUS_SUCCESS) {
      status = cusparseCreateDnMat(&m.c, rows, nn, ldc, out, CUDA_R_32F, CUSPARSE_ORDER_ROW);
    }
    const float one = 1.0f;
    std::size_t bytes = 0;
    // CSR_ALG2: the row-major algorithm; cuSPARSE documents its results as reproducible.
    if (status == CUSPARSE_STATUS_SUCCESS) {
      status = cusparseSpMM_bufferSize(sparse, CUSPARSE_OPERATION_NON_TRANSPOSE,
                                       CUSPARSE_OPERATION_NON_TRANSPOSE, &one, m.a, m.b, &beta, m.c,
                                       CUDA_R_32F, CUSPARSE_SPMM_CSR_ALG2, &bytes);
    }
    if (status == CUSPARSE_STATUS_SUCCESS) {
      if (static_cast<std::int64_t>(bytes) > workspace.size()) {
        workspace.resize(static_cast<std::int64_t>(bytes));
      }
      status = cusparseSpMM(sparse, CUSPARSE_OPERATION_NON_TRANSPOSE,
                            CUSPARSE_OPERATION_NON_TRANSPOSE, &one, m.a, m.b, &beta, m.c,
                            CUDA_R_32F, CUSPARSE_SPMM_CSR_ALG2, workspace.get());
    }
    return status;
  }
  // The same for a DeviceCsr and packed B and C (the sparse-input projection and its weight
  // gradient), every status but success an error.
  void spmm(const DeviceCsr& a, const float* a_values, const float* b, std::int64_t nn, float* out,
            float beta) {
    if (a.nnz == 0) {
      if (beta == 0.0f) {
        check_cuda(cudaMemset(out, 0, static_cast<std::size_t>(a.rows * nn) * sizeof(float)),
                   "memset");
      }
      return;
    }
    check_cusparse(try_spmm(a.rows, a.cols, a.nnz, a.row_ptr.get(), a.col.get(), a_values, b, nn,
                            nn, out, nn, beta),
                   "SpMM (sparse-input projection)");
  }

  // The sparse attention's aggregation out[i, h·F + c] = Σ_p values[h, p]·b[col[p], h·F + c]
  // over the rows of a graph's CSR (row_ptr, col; E slots): the graph by destination in the
  // forward, its transpose in the backward. With kCusparse, one SpMM per head: head h's values
  // the row h·E.. of the (H, E) weights, B and C the columns h·F .. h·F + F of the (N, H·F)
  // matrices (leading dimension H·F). Only where every such start and row is 16 bytes aligned
  // (E, F and H·F multiples of 4 floats): cuSPARSE's kernels use 16-byte accesses, and a
  // misaligned one would fault asynchronously, after cusparseSpMM has returned success,
  // instead of being refused; the kernel runs the other calls (counted in kernel_calls).
  void aggregate_heads(const std::int64_t* a_row_ptr, const std::int64_t* a_col,
                       const float* values, const float* b, float* out, int h, int f) {
    const std::int64_t hf = std::int64_t{h} * f;
    const bool aligned = e % 4 == 0 && f % 4 == 0 && hf % 4 == 0;
    if (aggregation == CudaAggregation::kCusparse && e > 0 && aligned) {
      for (int k = 0; k < h; ++k) {
        check_cusparse(try_spmm(n, n, e, a_row_ptr, a_col, values + k * e, b + std::int64_t{k} * f,
                                hf, f, out + std::int64_t{k} * f, hf, 0.0f),
                       "SpMM (attention aggregation)");
      }
      ++cusparse_calls;
      return;
    }
    ++kernel_calls;
    cuda::heads_spmm(a_row_ptr, a_col, values, b, out, n, e, h, f, nullptr);
  }

  // ---- Forward ---------------------------------------------------------------------------
  void forward(bool training, std::uint64_t seed, std::uint64_t step) {
    for (std::size_t l = 0; l < layers.size(); ++l) {
      LayerState& s = layers[l];
      const auto li = static_cast<std::uint64_t>(l);
      s.input_drop = device_dropout(training, s.o.input_dropout,
                                    CounterRng(seed, step, li, kStreamInputDropout));
      s.attention_drop = device_dropout(training, s.o.attention_dropout,
                                        CounterRng(seed, step, li, kStreamAttentionDropout));
      s.feature_drop = device_dropout(training, s.o.feature_dropout,
                                      CounterRng(seed, step, li, kStreamFeatureDropout));
      const float* w = params[s.weight].value.get();
      s.z.resize(n * s.hf);
      if (l == 0 && sparse_input) {
        // Dropout of a sparse input touches its non-zeros only (counter: the entry's index).
        s.sparse_used.resize(x_csr.nnz);
        cuda::dropout(x_val.get(), s.sparse_used.get(), x_csr.nnz, s.input_drop, nullptr);
        if (training) {  // the weight gradient's operand; an inference pass needs none
          s.sparse_used_t.resize(x_csr.nnz);
          cuda::gather(s.sparse_used.get(), x_t_source.get(), s.sparse_used_t.get(), x_csr.nnz,
                       nullptr);
        }
        s.x = nullptr;
        spmm(x_csr, s.sparse_used.get(), w, s.hf, s.z.get(), 0.0f);
      } else {
        const float* x = l == 0 ? x_dense.get() : act[l - 1].get();
        if (s.input_drop.active) {
          s.x_used.resize(n * s.in);
          cuda::dropout(x, s.x_used.get(), n * s.in, s.input_drop, nullptr);
          x = s.x_used.get();
        }
        s.x = x;
        gemm_nn(n, s.hf, s.in, x, w, s.z.get(), 0.0f);
      }
      const int h = static_cast<int>(s.h), f = static_cast<int>(s.f);
      s.s_src.resize(n * s.h);
      s.s_dst.resize(n * s.h);
      cuda::head_dot(s.z.get(), params[s.att_src].value.get(), s.s_src.get(), n, h, f, nullptr);
      cuda::head_dot(s.z.get(), params[s.att_dst].value.get(), s.s_dst.get(), n, h, f, nullptr);
      if (s.feature_drop.active) {
        s.z_used.resize(n * s.hf);
        cuda::dropout(s.z.get(), s.z_used.get(), n * s.hf, s.feature_drop, nullptr);
      }
      s.out.resize(n * s.width);
      if (s.averaged()) s.agg.resize(n * s.hf);
      float* agg = s.averaged() ? s.agg.get() : s.out.get();
      if (s.dense()) {
        // The CPU's dense path: weights (H·N, N), dropout on them with the flat index of each
        // entry as its counter (gat::ops::dropout of the matrix), one product per head.
        const std::int64_t entries = s.h * n * n;
        s.alpha.resize(entries);
        cuda::dense_attention_softmax(adj.get(), s.s_src.get(), s.s_dst.get(),
                                      static_cast<float>(s.o.negative_slope), n, h, s.alpha.get(),
                                      nullptr);
        if (s.attention_drop.active) {
          s.alpha_used.resize(entries);
          cuda::dropout(s.alpha.get(), s.alpha_used.get(), entries, s.attention_drop, nullptr);
        }
        dense_aggregate(s.weights(), s.values(), agg, h, f);
      } else {
        s.alpha.resize(s.h * e);
        if (s.attention_drop.active) s.alpha_used.resize(s.h * e);
        cuda::attention_softmax(row_ptr.get(), src.get(), s.s_src.get(), s.s_dst.get(),
                                static_cast<float>(s.o.negative_slope), n, e, h, s.attention_drop,
                                s.alpha.get(),
                                s.attention_drop.active ? s.alpha_used.get() : nullptr, nullptr);
        aggregate_heads(row_ptr.get(), src.get(), s.weights(), s.values(), agg, h, f);
      }
      if (s.averaged()) cuda::mean_heads(s.agg.get(), s.out.get(), n, h, f, nullptr);
      if (s.o.residual) {
        if (s.res >= 0) {
          const float* wr = params[s.res].value.get();
          if (s.x == nullptr) {
            spmm(x_csr, s.sparse_used.get(), wr, s.width, s.out.get(), 1.0f);
          } else {
            gemm_nn(n, s.width, s.in, s.x, wr, s.out.get(), 1.0f);
          }
        } else if (s.x == nullptr) {  // identity on a sparse input (in = width)
          cuda::add_sparse(x_csr.row_ptr.get(), x_csr.col.get(), s.sparse_used.get(), s.out.get(),
                           n, s.width, nullptr);
        } else {
          cuda::add(s.out.get(), s.x, n * s.width, nullptr);
        }
      }
      if (s.bias >= 0) cuda::add_bias(s.out.get(), params[s.bias].value.get(), n, s.width, nullptr);
      if (l + 1 < layers.size()) {
        act[l].resize(n * s.width);
        cuda::elu_forward(s.out.get(), act[l].get(), n * s.width, nullptr);
      }
    }
  }

  const float* logits() const { return layers.back().out.get(); }

  // ---- Backward --------------------------------------------------------------------------
  void zero_grads() {
    for (auto& p : params) p.grad.zero();
  }

  // From grad_logits (N, C) already on the device; adds into every parameter's gradient.
  void backward() {
    const float* grad_out = grad_logits.get();
    for (std::size_t l = layers.size(); l-- > 0;) {
      LayerState& s = layers[l];
      const int h = static_cast<int>(s.h), f = static_cast<int>(s.f);
      partial.resize(std::max(cuda::column_partials(n, s.width), cuda::column_partials(n, s.hf)));
      if (s.bias >= 0) {
        cuda::column_sum(grad_out, n, s.width, partial.get(), params[s.bias].grad.get(), nullptr);
      }
      const bool want_input = l > 0;
      float* grad_x = want_input ? grad_in[l - 1].get() : nullptr;
      bool input_written = false;
      if (s.o.residual) {
        if (s.res >= 0) {
          DeviceParam& r = params[s.res];
          if (s.x == nullptr) {
            spmm(x_csr_t, s.sparse_used_t.get(), grad_out, s.width, r.grad.get(), 1.0f);
          } else {
            gemm_tn_add(n, s.width, s.in, s.x, grad_out, r.grad.get());
          }
          if (want_input) {
            gemm_nt(n, s.width, s.in, grad_out, r.value.get(), grad_x, 0.0f);
            input_written = true;
          }
        } else if (want_input) {
          check_cuda(cudaMemcpy(grad_x, grad_out, static_cast<std::size_t>(n * s.width) * 4,
                                cudaMemcpyDeviceToDevice),
                     "copy on the device");
          input_written = true;
        }
      }
      const float* grad_agg_ptr = grad_out;
      if (s.averaged()) {
        grad_agg.resize(n * s.hf);
        cuda::mean_heads_backward(grad_out, grad_agg.get(), n, h, f, nullptr);
        grad_agg_ptr = grad_agg.get();
      }
      grad_z.resize(n * s.hf);
      grad_s_src.resize(n * s.h);
      grad_s_dst.resize(n * s.h);
      if (s.dense()) {
        // agg_h = α'_h·values_h: the weights' gradient (H·N, N) and the values' gradient per
        // head; then through the dropout's mask and the masked softmax, as the CPU does.
        const std::int64_t entries = s.h * n * n;
        grad_dense.resize(entries);
        dense_weight_grad(grad_agg_ptr, s.values(), grad_dense.get(), h, f);
        dense_values_grad(s.weights(), grad_agg_ptr, grad_z.get(), h, f);
        if (s.feature_drop.active) {
          cuda::dropout(grad_z.get(), grad_z.get(), n * s.hf, s.feature_drop, nullptr);
        }
        if (s.attention_drop.active) {
          cuda::dropout(grad_dense.get(), grad_dense.get(), entries, s.attention_drop, nullptr);
        }
        cuda::dense_attention_backward(
            s.s_src.get(), s.s_dst.get(), static_cast<float>(s.o.negative_slope), s.alpha.get(),
            grad_dense.get(), n, h, grad_s_src.get(), grad_s_dst.get(), nullptr);
      } else {
        sparse_attention_backward(s, grad_agg_ptr);
      }
      scores_and_projection_backward(s, l, grad_x, input_written);
      if (want_input) grad_out = grad_x;
    }
  }

  // The sparse attention's backward: into grad_z (written), grad_s_src and grad_s_dst.
  void sparse_attention_backward(const LayerState& s, const float* grad_agg_ptr) {
    const int h = static_cast<int>(s.h), f = static_cast<int>(s.f);
    // out = Σ_p α'[p]·values[src p]: the weights' gradient per slot, and the values' gradient
    // by source rows on the transpose, with the weights gathered into its order.
    grad_alpha_used.resize(s.h * e);
    cuda::attention_weight_grad(dst.get(), src.get(), grad_agg_ptr, s.values(), e, h, f,
                                grad_alpha_used.get(), nullptr);
    alpha_t.resize(s.h * e);
    for (std::int64_t k = 0; k < s.h; ++k) {
      cuda::gather(s.weights() + k * e, t_slot.get(), alpha_t.get() + k * e, e, nullptr);
    }
    aggregate_heads(t_row_ptr.get(), t_dst.get(), alpha_t.get(), grad_agg_ptr, grad_z.get(), h, f);
    // Through feature dropout (the same mask), in place, before the scores' gradient joins.
    if (s.feature_drop.active) {
      cuda::dropout(grad_z.get(), grad_z.get(), n * s.hf, s.feature_drop, nullptr);
    }
    grad_score.resize(s.h * e);
    cuda::attention_softmax_backward(row_ptr.get(), src.get(), s.s_src.get(), s.s_dst.get(),
                                     static_cast<float>(s.o.negative_slope), n, e, h,
                                     s.attention_drop, s.alpha.get(), grad_alpha_used.get(),
                                     grad_score.get(), grad_s_dst.get(), nullptr);
    cuda::source_score_grad(t_row_ptr.get(), t_slot.get(), grad_score.get(), n, e, h,
                            grad_s_src.get(), nullptr);
  }

  // The node scores' gradient (grad_s_src, grad_s_dst) into the attention vectors and grad_z,
  // then z = x_used·W: the weight's gradient, and the input's into grad_x (layers after the
  // first), back through the input dropout and the ELU before the layer.
  void scores_and_projection_backward(const LayerState& s, std::size_t l, float* grad_x,
                                      bool input_written) {
    const int h = static_cast<int>(s.h), f = static_cast<int>(s.f);
    const bool want_input = l > 0;
    cuda::head_dot_weight_grad(s.z.get(), grad_s_src.get(), n, h, f, partial.get(),
                               params[s.att_src].grad.get(), nullptr);
    cuda::head_dot_weight_grad(s.z.get(), grad_s_dst.get(), n, h, f, partial.get(),
                               params[s.att_dst].grad.get(), nullptr);
    cuda::node_scores_backward(grad_s_src.get(), grad_s_dst.get(), params[s.att_src].value.get(),
                               params[s.att_dst].value.get(), n, h, f, grad_z.get(), nullptr);
    // z = x_used·W.
    DeviceParam& w = params[s.weight];
    if (s.x == nullptr) {
      spmm(x_csr_t, s.sparse_used_t.get(), grad_z.get(), s.hf, w.grad.get(), 1.0f);
    } else {
      gemm_tn_add(n, s.hf, s.in, s.x, grad_z.get(), w.grad.get());
    }
    if (want_input) {
      gemm_nt(n, s.hf, s.in, grad_z.get(), w.value.get(), grad_x, input_written ? 1.0f : 0.0f);
      // Back through the input dropout (the same mask) and the ELU before this layer.
      if (s.input_drop.active) cuda::dropout(grad_x, grad_x, n * s.in, s.input_drop, nullptr);
      cuda::elu_backward(act[l - 1].get(), grad_x, grad_x, n * s.in, nullptr);
    }
  }

  // ---- Scores ------------------------------------------------------------------------------
  // Loss and accuracy of the current logits over `nodes`; grad_logits gets the loss's gradient
  // when `with_grad`. Returns {Σ loss, Σ correct} on the device (sum, correct_sum).
  void score(const Buffer<std::int32_t>& nodes, bool with_grad) {
    const std::int64_t count = nodes.size();
    node_loss.resize(std::max<std::int64_t>(count, 1));
    node_correct.resize(std::max<std::int64_t>(count, 1));
    sum.resize(1);
    correct_sum.resize(1);
    if (with_grad) {
      grad_logits.resize(n * c);
      grad_logits.zero();
    }
    cuda::cross_entropy(logits(), labels.get(), nodes.get(), count, static_cast<int>(c),
                        count > 0 ? 1.0 / double(count) : 0.0, node_loss.get(), node_correct.get(),
                        with_grad ? grad_logits.get() : nullptr, nullptr);
    cuda::sum_scores(node_loss.get(), node_correct.get(), count, sum.get(), correct_sum.get(),
                     nullptr);
  }
  SplitScore fetch_score(std::int64_t count) const {
    double total = 0;
    std::int64_t correct = 0;
    sum.download(&total);
    correct_sum.download(&correct);
    if (count == 0) return {};
    return {total * (1.0 / double(count)), double(correct) / double(count)};
  }
};

namespace {

// Dense attention refused before anything of it is allocated when it would not fit: more than
// the model's dense_memory_limit (when set), or more than the device has free now.
void check_dense_fits(const GatModelOptions& o, std::int64_t n) {
  const std::uint64_t need = cuda_dense_attention_bytes(o, n);
  const std::uint64_t limit = o.dense_memory_limit;
  std::size_t free_bytes = 0, total_bytes = 0;
  check_cuda(cudaMemGetInfo(&free_bytes, &total_bytes), "ask the device's free memory");
  const bool by_limit = limit > 0 && limit < free_bytes;
  const std::uint64_t allowed = by_limit ? limit : free_bytes;
  const bool overflows = need == std::numeric_limits<std::uint64_t>::max();
  GAT_CHECK(need <= allowed,
            "--device cuda: dense attention needs "
                << (overflows ? std::string("more bytes than 64 bits count") : format_bytes(need))
                << " of device memory for N = " << n
                << " nodes (N² values per head and layer), but only " << format_bytes(allowed)
                << (by_limit ? " are allowed" : " are free on the device")
                << "; use sparse attention for this graph");
}

}  // namespace

CudaTrainer::CudaTrainer(const GatModel<float>& model, const CsrGraph& graph, FeatureView features,
                         std::span<const std::int32_t> labels, const Split& split,
                         const AdamOptions& adam)
    : impl_(std::make_unique<Impl>()) {
  require_device(Device::kCuda);
  const GatModelOptions& o = model.options();
  check_cuda_options(o);
  (void)Adam<float>({}, adam);  // validates the options as the CPU optimiser does
  Impl& d = *impl_;
  d.options = o;
  d.adam = adam;
  check_cuda(cudaSetDevice(0), "select device 0");
  check_cublas(cublasCreate(&d.blas), "create handle");
  // Full FP32 products (no TF32): the CPU computes in FP32 and the results must agree.
  check_cublas(cublasSetMathMode(d.blas, CUBLAS_PEDANTIC_MATH), "set math mode");
  check_cusparse(cusparseCreate(&d.sparse), "create handle");

  // The data, checked as train_node_classifier checks it.
  const NodeId nodes = graph.num_nodes();
  GAT_CHECK(features.rows() == nodes,
            "--device cuda: " << features.rows() << " feature rows for " << nodes << " nodes");
  GAT_CHECK(features.cols() == o.in_features,
            "--device cuda: the data has " << features.cols() << " features but the model expects "
                                           << o.in_features);
  GAT_CHECK(static_cast<NodeId>(labels.size()) == nodes,
            "--device cuda: " << labels.size() << " labels for " << nodes << " nodes");
  validate_split(split, nodes);
  GAT_CHECK(!split.train.empty(), "--device cuda: the split has no training nodes");
  for (const auto* part : {&split.train, &split.val, &split.test}) {
    for (const NodeId i : *part) {
      GAT_CHECK(labels[i] >= 0 && labels[i] < o.num_classes,
                "--device cuda: node " << i << " has label " << labels[i] << ", outside [0, "
                                       << o.num_classes << ")");
    }
  }

  const CsrGraph g = model.prepare_graph(graph);
  d.n = g.num_nodes();
  d.e = g.num_edges();
  d.c = o.num_classes;
  d.row_ptr.upload(g.row_ptr());
  d.src.upload(widen(g.src()));
  d.dst.upload(widen(g.dst()));
  const CsrTranspose& t = g.transpose();
  d.t_row_ptr.upload(t.row_ptr);
  d.t_dst.upload(widen(t.dst));
  d.t_slot.upload(t.slot);

  d.sparse_input = features.is_sparse();
  if (d.sparse_input) {
    const SparseMatrix<float>& m = features.sparse();
    const SparseTranspose<float> mt = transpose(m);
    d.x_csr.rows = m.rows;
    d.x_csr.cols = m.cols;
    d.x_csr.nnz = m.nnz();
    d.x_csr.row_ptr.upload(m.row_ptr);
    d.x_csr.col.upload(widen(m.col));
    d.x_val.upload(m.val);
    d.x_csr_t.rows = mt.matrix.rows;
    d.x_csr_t.cols = mt.matrix.cols;
    d.x_csr_t.nnz = mt.matrix.nnz();
    d.x_csr_t.row_ptr.upload(mt.matrix.row_ptr);
    d.x_csr_t.col.upload(widen(mt.matrix.col));
    d.x_t_source.upload(mt.source_slot);
  } else {
    const auto dense = features.dense();
    d.x_dense.resize(dense.rows() * dense.cols());
    if (dense.size() > 0) {
      check_cuda(cudaMemcpy2D(d.x_dense.get(), static_cast<std::size_t>(dense.cols()) * 4,
                              dense.data(), static_cast<std::size_t>(dense.outerStride()) * 4,
                              static_cast<std::size_t>(dense.cols()) * 4,
                              static_cast<std::size_t>(dense.rows()), cudaMemcpyHostToDevice),
                 "copy the features to the device");
    }
  }
  d.labels.upload(labels.data(), std::ssize(labels));
  d.train.upload(split.train);
  d.val.upload(split.val);
  d.test.upload(split.test);

  // Parameters, in the order of GatModel::parameters(), and each layer's indices into them.
  for (const auto* p : model.parameters()) {
    DeviceParam q;
    q.name = p->name;
    q.rows = p->value.rows();
    q.cols = p->value.cols();
    q.value.upload(p->value.data(), q.size());
    q.grad.resize(q.size());
    q.m.resize(q.size());
    q.v.resize(q.size());
    q.m.zero();
    q.v.zero();
    d.params.push_back(std::move(q));
  }
  int index = 0;
  for (const auto& layer : model.layers()) {
    LayerState s;
    s.o = layer.options();
    s.in = s.o.in_features;
    s.h = s.o.heads;
    s.f = s.o.out_features;
    s.hf = s.h * s.f;
    s.width = layer.out_width();
    for (const auto* p : layer.parameters()) {
      const std::string& name = p->name;
      const std::string role = name.substr(name.rfind('.') + 1);
      if (role == "weight") s.weight = index;
      if (role == "att_src") s.att_src = index;
      if (role == "att_dst") s.att_dst = index;
      if (role == "bias") s.bias = index;
      if (role == "res_weight") s.res = index;
      ++index;
    }
    GAT_CHECK(s.weight >= 0 && s.att_src >= 0 && s.att_dst >= 0,
              "--device cuda: internal error: a layer without weight or attention vectors");
    d.layers.push_back(std::move(s));
  }
  d.act.resize(d.layers.size() - 1);
  d.grad_in.resize(d.layers.size() - 1);
  for (std::size_t l = 0; l + 1 < d.layers.size(); ++l) {
    d.act[l].resize(d.n * d.layers[l].width);
    d.grad_in[l].resize(d.n * d.layers[l].width);
  }
  d.flags.resize(std::ssize(d.params));
  if (o.attention == AttentionMode::kDense) {
    check_dense_fits(o, d.n);
    d.adj.resize(d.n * d.n);
    cuda::dense_adjacency(d.row_ptr.get(), d.src.get(), d.n, d.adj.get(), nullptr);
  }
  check_cuda(cudaDeviceSynchronize(), "set up the model on the device");
}

CudaTrainer::~CudaTrainer() = default;

SplitScore CudaTrainer::train_step(std::uint64_t seed, std::uint64_t step) {
  Impl& d = *impl_;
  d.zero_grads();
  d.forward(true, seed, step);
  d.score(d.train, true);
  d.backward();
  d.flags.zero();
  for (std::size_t k = 0; k < d.params.size(); ++k) {
    cuda::flag_non_finite(d.params[k].grad.get(), d.params[k].size(), d.flags.get() + k, nullptr);
  }
  const SplitScore result = d.fetch_score(d.train.size());
  check_cuda(cudaGetLastError(), "training step");
  GAT_CHECK(std::isfinite(result.loss), "training diverged: non-finite loss at epoch "
                                            << step + 1 << " (try a lower learning rate)");
  std::vector<std::int32_t> flags(d.params.size());
  d.flags.download(flags.data());
  for (std::size_t k = 0; k < flags.size(); ++k) {
    GAT_CHECK(flags[k] == 0, "training diverged: non-finite gradient of "
                                 << d.params[k].name << " at epoch " << step + 1
                                 << " (try a lower learning rate)");
  }
  // Adam, as gat::Adam<float>::step computes it (bias corrections in double, then float).
  ++d.adam_steps;
  const AdamOptions& a = d.adam;
  const double c1 = 1.0 - std::pow(a.beta1, double(d.adam_steps));
  const double c2 = 1.0 - std::pow(a.beta2, double(d.adam_steps));
  const cuda::AdamStep s{float(a.lr),     float(a.beta1),  float(a.beta2), float(a.weight_decay),
                         float(1.0 / c1), float(1.0 / c2), float(a.eps)};
  for (auto& p : d.params) {
    cuda::adam(p.value.get(), p.grad.get(), p.m.get(), p.v.get(), p.size(), s, nullptr);
  }
  return result;
}

CudaTrainer::Scores CudaTrainer::evaluate() {
  Impl& d = *impl_;
  d.forward(false, 0, 0);
  d.flags.zero();
  const LayerState& last = d.layers.back();
  cuda::flag_non_finite(d.logits(), d.n * last.width, d.flags.get(), nullptr);
  std::int32_t bad = 0;
  check_cuda(cudaMemcpy(&bad, d.flags.get(), sizeof bad, cudaMemcpyDeviceToHost), "copy a flag");
  GAT_CHECK(bad == 0,
            "the model produced non-finite values (NaN or Inf) on the device: the "
            "weights may be too large");
  Scores out;
  d.score(d.train, false);
  out.train = d.fetch_score(d.train.size());
  d.score(d.val, false);
  out.val = d.fetch_score(d.val.size());
  d.score(d.test, false);
  out.test = d.fetch_score(d.test.size());
  return out;
}

void CudaTrainer::keep_best() {
  for (auto& p : impl_->params) p.best.copy_from(p.value);
  impl_->has_best = true;
}

void CudaTrainer::restore_best() {
  if (!impl_->has_best) return;
  for (auto& p : impl_->params) p.value.copy_from(p.best);
}

void CudaTrainer::download(GatModel<float>& model) const {
  auto params = model.parameters();
  GAT_CHECK(params.size() == impl_->params.size(),
            "CudaTrainer::download: the model has " << params.size() << " parameters, the device "
                                                    << impl_->params.size());
  for (std::size_t k = 0; k < params.size(); ++k) {
    const DeviceParam& q = impl_->params[k];
    GAT_CHECK(params[k]->value.rows() == q.rows && params[k]->value.cols() == q.cols,
              "CudaTrainer::download: parameter " << q.name << " has another shape in the model");
    q.value.download(params[k]->value.data());
  }
}

RowMatrix CudaTrainer::forward(const ForwardContext& ctx) {
  Impl& d = *impl_;
  d.forward(ctx.training, ctx.seed, ctx.step);
  RowMatrix out(d.n, d.layers.back().width);
  check_cuda(cudaMemcpy(out.data(), d.logits(), static_cast<std::size_t>(out.size()) * 4,
                        cudaMemcpyDeviceToHost),
             "copy the logits");
  return out;
}

void CudaTrainer::backward(MatrixCRef<float> grad_logits) {
  Impl& d = *impl_;
  GAT_CHECK(grad_logits.rows() == d.n && grad_logits.cols() == d.layers.back().width,
            "CudaTrainer::backward: gradient has shape ("
                << grad_logits.rows() << ", " << grad_logits.cols() << "), expected (" << d.n
                << ", " << d.layers.back().width << ")");
  const RowMatrix packed = grad_logits;
  d.zero_grads();
  d.grad_logits.upload(packed.data(), packed.size());
  d.backward();
  check_cuda(cudaDeviceSynchronize(), "backward");
}

std::vector<RowMatrix> CudaTrainer::gradients() const {
  std::vector<RowMatrix> out;
  for (const auto& p : impl_->params) {
    RowMatrix g(p.rows, p.cols);
    p.grad.download(g.data());
    out.push_back(std::move(g));
  }
  return out;
}

void CudaTrainer::set_aggregation(CudaAggregation aggregation) { impl_->aggregation = aggregation; }

CudaAggregation CudaTrainer::aggregation() const { return impl_->aggregation; }

CudaTrainer::AggregationCalls CudaTrainer::aggregation_calls() const {
  return {impl_->cusparse_calls, impl_->kernel_calls};
}

void CudaTrainer::synchronize() const { check_cuda(cudaDeviceSynchronize(), "synchronize"); }

std::string CudaTrainer::device_name() const {
  const CudaStatus s = cuda_status();
  std::ostringstream out;
  out << s.name << " (sm_" << s.compute_major << s.compute_minor << ", "
      << double(s.memory_bytes) / double(1ULL << 30) << " GiB)";
  return out.str();
}

}  // namespace gat
