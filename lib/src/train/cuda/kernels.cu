// The GPU trainer's custom kernels (see kernels.hpp for what each computes). The arithmetic is
// written in the CPU kernels' order and forms (LeakyReLU as max + slope·min, ELU as
// max + (exp(min) - 1), the dropout multiply) and compiled without contraction (-fmad=false),
// so most outputs differ from the CPU's only where exp differs (the CPU's float exp is a fast
// approximation) or where a sum runs in another order.

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "gat/core/error.hpp"
#include "gat/core/random.hpp"
#include "kernels.hpp"

namespace gat::cuda {
namespace {

constexpr int kThreads = 256;
// Rows per partial sum of the column reductions: fixed, so the order of every sum is too.
constexpr std::int64_t kRowChunk = 256;

// Blocks for n threads of kThreads, capped (the kernels loop with a grid stride beyond it).
unsigned grid_for(std::int64_t n) {
  return static_cast<unsigned>(std::clamp<std::int64_t>((n + kThreads - 1) / kThreads, 1, 1 << 20));
}

void check_launch(const char* what) {
  const cudaError_t err = cudaGetLastError();
  GAT_CHECK(err == cudaSuccess, "CUDA kernel " << what << ": " << cudaGetErrorString(err));
}

__device__ std::int64_t thread_index() {
  return static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ std::int64_t grid_stride() { return static_cast<std::int64_t>(gridDim.x) * blockDim.x; }

// The factor dropout multiplies entry `counter` by: the same decision as CounterRng::keep.
__device__ float keep_factor(const DeviceDropout& d, std::uint64_t counter) {
  if (!d.active) return 1.0f;
  const std::uint32_t bits = CounterRng::bits32(d.key, static_cast<std::uint32_t>(counter),
                                                static_cast<std::uint32_t>(counter >> 32));
  return bits >= d.threshold ? d.scale : 0.0f;
}

__device__ float leaky_relu(float x, float slope) {
  return fmaxf(x, 0.0f) + slope * fminf(x, 0.0f);
}
__device__ float leaky_relu_slope(float x, float slope) {
  return 1.0f + (slope - 1.0f) * (x <= 0.0f ? 1.0f : 0.0f);
}

__global__ void dropout_kernel(const float* x, float* y, std::int64_t n, DeviceDropout d) {
  for (std::int64_t k = thread_index(); k < n; k += grid_stride()) {
    y[k] = x[k] * keep_factor(d, static_cast<std::uint64_t>(k));
  }
}

__global__ void gather_kernel(const float* x, const std::int64_t* index, float* y, std::int64_t n) {
  for (std::int64_t k = thread_index(); k < n; k += grid_stride()) y[k] = x[index[k]];
}

__global__ void head_dot_kernel(const float* z, const float* a, float* s, std::int64_t n, int h,
                                int f) {
  for (std::int64_t t = thread_index(); t < n * h; t += grid_stride()) {
    const std::int64_t i = t / h;
    const int hh = static_cast<int>(t % h);
    const float* zi = z + i * h * f + static_cast<std::int64_t>(hh) * f;
    const float* ah = a + static_cast<std::int64_t>(hh) * f;
    float acc = 0.0f;
    for (int c = 0; c < f; ++c) acc += zi[c] * ah[c];
    s[t] = acc;
  }
}

// One thread per (destination, head): three passes over the row's slots (max, sum, weights),
// the scores computed again in each (two loads and an add: cheaper than storing them).
__global__ void attention_softmax_kernel(const std::int64_t* row_ptr, const std::int64_t* src,
                                         const float* s_src, const float* s_dst, float slope,
                                         std::int64_t n, std::int64_t e, int h, DeviceDropout d,
                                         float* alpha, float* alpha_used) {
  for (std::int64_t t = thread_index(); t < n * h; t += grid_stride()) {
    const std::int64_t i = t / h;
    const int hh = static_cast<int>(t % h);
    const std::int64_t begin = row_ptr[i], end = row_ptr[i + 1];
    const float sd = s_dst[t];
    float mx = -INFINITY;
    for (std::int64_t p = begin; p < end; ++p) {
      mx = fmaxf(mx, leaky_relu(sd + s_src[src[p] * h + hh], slope));
    }
    float sum = 0.0f;
    for (std::int64_t p = begin; p < end; ++p) {
      sum += expf(leaky_relu(sd + s_src[src[p] * h + hh], slope) - mx);
    }
    const float r = 1.0f / sum;
    float* ah = alpha + static_cast<std::int64_t>(hh) * e;
    for (std::int64_t p = begin; p < end; ++p) {
      const float a = expf(leaky_relu(sd + s_src[src[p] * h + hh], slope) - mx) * r;
      ah[p] = a;
      if (alpha_used != nullptr) {
        alpha_used[static_cast<std::int64_t>(hh) * e + p] =
            a * keep_factor(d, static_cast<std::uint64_t>(p) * h + hh);
      }
    }
  }
}

__global__ void heads_spmm_kernel(const std::int64_t* row_ptr, const std::int64_t* col,
                                  const float* values, const float* b, float* out, std::int64_t n,
                                  std::int64_t e, int h, int f) {
  const std::int64_t w = static_cast<std::int64_t>(h) * f;
  for (std::int64_t t = thread_index(); t < n * w; t += grid_stride()) {
    const std::int64_t i = t / w, c = t % w;
    const float* vh = values + (c / f) * e;
    float acc = 0.0f;
    for (std::int64_t p = row_ptr[i]; p < row_ptr[i + 1]; ++p) acc += vh[p] * b[col[p] * w + c];
    out[t] = acc;
  }
}

__global__ void mean_heads_kernel(const float* agg, float* out, std::int64_t n, int h, int f) {
  const float inv = 1.0f / static_cast<float>(h);
  for (std::int64_t t = thread_index(); t < n * f; t += grid_stride()) {
    const std::int64_t i = t / f;
    const int c = static_cast<int>(t % f);
    const float* row = agg + i * h * f;
    float acc = row[c];
    for (int hh = 1; hh < h; ++hh) acc += row[static_cast<std::int64_t>(hh) * f + c];
    out[t] = acc * inv;
  }
}

__global__ void mean_heads_backward_kernel(const float* grad_out, float* grad_agg, std::int64_t n,
                                           int h, int f) {
  const std::int64_t w = static_cast<std::int64_t>(h) * f;
  for (std::int64_t t = thread_index(); t < n * w; t += grid_stride()) {
    const std::int64_t i = t / w;
    const int c = static_cast<int>(t % w) % f;
    grad_agg[t] = grad_out[i * f + c] / static_cast<float>(h);
  }
}

__global__ void add_bias_kernel(float* out, const float* bias, std::int64_t n, std::int64_t w) {
  for (std::int64_t t = thread_index(); t < n * w; t += grid_stride()) out[t] += bias[t % w];
}

__global__ void add_kernel(float* y, const float* x, std::int64_t n) {
  for (std::int64_t k = thread_index(); k < n; k += grid_stride()) y[k] += x[k];
}

__global__ void add_sparse_kernel(const std::int64_t* row_ptr, const std::int64_t* col,
                                  const float* val, float* out, std::int64_t n, std::int64_t w) {
  for (std::int64_t i = thread_index(); i < n; i += grid_stride()) {
    for (std::int64_t k = row_ptr[i]; k < row_ptr[i + 1]; ++k) out[i * w + col[k]] += val[k];
  }
}

__global__ void elu_forward_kernel(const float* x, float* y, std::int64_t n) {
  for (std::int64_t k = thread_index(); k < n; k += grid_stride()) {
    y[k] = fmaxf(x[k], 0.0f) + (expf(fminf(x[k], 0.0f)) - 1.0f);
  }
}

__global__ void elu_backward_kernel(const float* y, const float* grad_y, float* grad_x,
                                    std::int64_t n) {
  for (std::int64_t k = thread_index(); k < n; k += grid_stride()) {
    grad_x[k] = grad_y[k] * (fminf(y[k], 0.0f) + 1.0f);
  }
}

__global__ void cross_entropy_kernel(const float* logits, const std::int32_t* labels,
                                     const std::int32_t* nodes, std::int64_t count, int c,
                                     double inv_count, double* loss, std::int32_t* correct,
                                     float* grad) {
  for (std::int64_t k = thread_index(); k < count; k += grid_stride()) {
    const std::int64_t i = nodes[k];
    const float* row = logits + i * c;
    const int y = labels[i];
    int best = 0;
    for (int q = 1; q < c; ++q) best = row[q] > row[best] ? q : best;
    const double m = row[best];
    double sum = 0.0;
    for (int q = 0; q < c; ++q) sum += exp(static_cast<double>(row[q]) - m);
    const double log_z = m + log(sum);
    loss[k] = log_z - static_cast<double>(row[y]);
    correct[k] = best == y ? 1 : 0;
    if (grad != nullptr) {
      for (int q = 0; q < c; ++q) {
        const double p = exp(static_cast<double>(row[q]) - log_z);
        grad[i * c + q] = static_cast<float>((p - (q == y ? 1.0 : 0.0)) * inv_count);
      }
    }
  }
}

// One block: thread t sums entries t, t + kThreads, ..., then a tree in shared memory; the
// order depends on nothing but the count.
__global__ void sum_scores_kernel(const double* loss, const std::int32_t* correct,
                                  std::int64_t count, double* sum, std::int64_t* correct_sum) {
  __shared__ double s_loss[kThreads];
  __shared__ std::int64_t s_correct[kThreads];
  double l = 0.0;
  std::int64_t c = 0;
  for (std::int64_t k = threadIdx.x; k < count; k += kThreads) {
    l += loss[k];
    c += correct[k];
  }
  s_loss[threadIdx.x] = l;
  s_correct[threadIdx.x] = c;
  __syncthreads();
  for (int stride = kThreads / 2; stride > 0; stride /= 2) {
    if (static_cast<int>(threadIdx.x) < stride) {
      s_loss[threadIdx.x] += s_loss[threadIdx.x + stride];
      s_correct[threadIdx.x] += s_correct[threadIdx.x + stride];
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    *sum = s_loss[0];
    *correct_sum = s_correct[0];
  }
}

// Partial column sums over chunks of kRowChunk rows: partial[chunk, c] = Σ_rows term(i, c), with
// term a[i, c] (g null) or g[i, c / f]·a[i, c] (the attention vectors' gradient, a = z).
__global__ void column_partial_kernel(const float* a, const float* g, std::int64_t n,
                                      std::int64_t w, int h, int f, float* partial) {
  const std::int64_t chunks = (n + kRowChunk - 1) / kRowChunk;
  for (std::int64_t t = thread_index(); t < chunks * w; t += grid_stride()) {
    const std::int64_t chunk = t / w, c = t % w;
    const std::int64_t end = (chunk + 1) * kRowChunk < n ? (chunk + 1) * kRowChunk : n;
    float acc = 0.0f;
    for (std::int64_t i = chunk * kRowChunk; i < end; ++i) {
      const float v = a[i * w + c];
      acc += g == nullptr ? v : g[i * h + c / f] * v;
    }
    partial[t] = acc;
  }
}

__global__ void column_total_kernel(const float* partial, std::int64_t chunks, std::int64_t w,
                                    float* out) {
  for (std::int64_t c = thread_index(); c < w; c += grid_stride()) {
    float acc = 0.0f;
    for (std::int64_t k = 0; k < chunks; ++k) acc += partial[k * w + c];
    out[c] += acc;
  }
}

__global__ void attention_weight_grad_kernel(const std::int64_t* dst, const std::int64_t* src,
                                             const float* grad_agg, const float* values,
                                             std::int64_t e, int h, int f, float* grad_alpha_used) {
  const std::int64_t w = static_cast<std::int64_t>(h) * f;
  for (std::int64_t t = thread_index(); t < e * h; t += grid_stride()) {
    const std::int64_t hh = t / e, p = t % e;
    const float* gi = grad_agg + dst[p] * w + hh * f;
    const float* vj = values + src[p] * w + hh * f;
    float acc = 0.0f;
    for (int c = 0; c < f; ++c) acc += gi[c] * vj[c];
    grad_alpha_used[t] = acc;
  }
}

__global__ void attention_softmax_backward_kernel(const std::int64_t* row_ptr,
                                                  const std::int64_t* src, const float* s_src,
                                                  const float* s_dst, float slope, std::int64_t n,
                                                  std::int64_t e, int h, DeviceDropout d,
                                                  const float* alpha, const float* grad_alpha_used,
                                                  float* grad_score, float* grad_s_dst) {
  for (std::int64_t t = thread_index(); t < n * h; t += grid_stride()) {
    const std::int64_t i = t / h;
    const int hh = static_cast<int>(t % h);
    const std::int64_t begin = row_ptr[i], end = row_ptr[i + 1];
    const float* ah = alpha + static_cast<std::int64_t>(hh) * e;
    const float* gh = grad_alpha_used + static_cast<std::int64_t>(hh) * e;
    // <α, grad_α>: the softmax's Jacobian-vector product subtracts it from every slot.
    float dot = 0.0f;
    for (std::int64_t p = begin; p < end; ++p) {
      dot += ah[p] * (gh[p] * keep_factor(d, static_cast<std::uint64_t>(p) * h + hh));
    }
    const float sd = s_dst[t];
    float total = 0.0f;
    for (std::int64_t p = begin; p < end; ++p) {
      const float g = gh[p] * keep_factor(d, static_cast<std::uint64_t>(p) * h + hh);
      const float grad_e = ah[p] * (g - dot);
      const float gs = grad_e * leaky_relu_slope(sd + s_src[src[p] * h + hh], slope);
      grad_score[static_cast<std::int64_t>(hh) * e + p] = gs;
      total += gs;
    }
    grad_s_dst[t] = total;
  }
}

__global__ void source_score_grad_kernel(const std::int64_t* t_row_ptr, const std::int64_t* t_slot,
                                         const float* grad_score, std::int64_t n, std::int64_t e,
                                         int h, float* grad_s_src) {
  for (std::int64_t t = thread_index(); t < n * h; t += grid_stride()) {
    const std::int64_t j = t / h;
    const std::int64_t hh = t % h;
    float acc = 0.0f;
    for (std::int64_t k = t_row_ptr[j]; k < t_row_ptr[j + 1]; ++k) {
      acc += grad_score[hh * e + t_slot[k]];
    }
    grad_s_src[t] = acc;
  }
}

__global__ void node_scores_backward_kernel(const float* g_src, const float* g_dst,
                                            const float* a_src, const float* a_dst, std::int64_t n,
                                            int h, int f, float* grad_z) {
  const std::int64_t w = static_cast<std::int64_t>(h) * f;
  for (std::int64_t t = thread_index(); t < n * w; t += grid_stride()) {
    const std::int64_t i = t / w, c = t % w, hh = c / f;
    float v = grad_z[t];
    v += g_src[i * h + hh] * a_src[c];
    v += g_dst[i * h + hh] * a_dst[c];
    grad_z[t] = v;
  }
}

__global__ void adam_kernel(float* w, const float* grad, float* m, float* v, std::int64_t n,
                            AdamStep s) {
  for (std::int64_t k = thread_index(); k < n; k += grid_stride()) {
    const float g = grad[k] + s.weight_decay * w[k];
    m[k] = s.beta1 * m[k] + (1.0f - s.beta1) * g;
    v[k] = s.beta2 * v[k] + (1.0f - s.beta2) * g * g;
    w[k] -= s.lr * (m[k] * s.inv_c1) / (sqrtf(v[k] * s.inv_c2) + s.eps);
  }
}

__global__ void flag_non_finite_kernel(const float* x, std::int64_t n, std::int32_t* flag) {
  for (std::int64_t k = thread_index(); k < n; k += grid_stride()) {
    if (!isfinite(x[k])) *flag = 1;  // every writer writes 1: the outcome has no race
  }
}

// ---- Dense masked attention: one block of kThreads per row of the (H·N, N) matrices ----------

// The block's values combined by op in a tree over shared memory whose shape depends on
// kThreads alone (a power of two), so every run sums in the same order. Every thread of the
// block must call it; all get the result.
template <typename Op>
__device__ float block_reduce(float v, float* shared, Op op) {
  shared[threadIdx.x] = v;
  __syncthreads();
  for (unsigned w = kThreads / 2; w > 0; w /= 2) {
    if (threadIdx.x < w) shared[threadIdx.x] = op(shared[threadIdx.x], shared[threadIdx.x + w]);
    __syncthreads();
  }
  const float out = shared[0];
  __syncthreads();  // before the next call overwrites shared
  return out;
}

struct MaxOp {
  __device__ float operator()(float a, float b) const { return fmaxf(a, b); }
};
struct SumOp {
  __device__ float operator()(float a, float b) const { return a + b; }
};

// One thread per destination row: the row is written by one thread, so counting a repeated
// source twice needs no atomics.
__global__ void dense_adjacency_kernel(const std::int64_t* row_ptr, const std::int64_t* src,
                                       std::int64_t n, float* adj) {
  for (std::int64_t i = thread_index(); i < n; i += grid_stride()) {
    for (std::int64_t p = row_ptr[i]; p < row_ptr[i + 1]; ++p) adj[i * n + src[p]] += 1.0f;
  }
}

// Row r = h·N + i. The masked entries (count 0) may score above the maximum; min(·, 0) keeps
// their exp finite before the zero count multiplies it, as on the CPU.
__global__ void dense_attention_softmax_kernel(const float* adj, const float* s_src,
                                               const float* s_dst, float slope, std::int64_t n,
                                               int h, float* alpha) {
  __shared__ float shared[kThreads];
  for (std::int64_t r = blockIdx.x; r < n * h; r += gridDim.x) {
    const int hh = static_cast<int>(r / n);
    const std::int64_t i = r % n;
    const float* ai = adj + i * n;
    float* y = alpha + r * n;
    const float d = s_dst[i * h + hh];
    float mx = -INFINITY;
    for (std::int64_t j = threadIdx.x; j < n; j += kThreads) {
      if (ai[j] > 0.0f) mx = fmaxf(mx, leaky_relu(d + s_src[j * h + hh], slope));
    }
    mx = block_reduce(mx, shared, MaxOp{});
    if (mx == -INFINITY) {  // no in-edges (the same for the whole block): a zero row
      for (std::int64_t j = threadIdx.x; j < n; j += kThreads) y[j] = 0.0f;
      continue;
    }
    float sum = 0.0f;
    for (std::int64_t j = threadIdx.x; j < n; j += kThreads) {
      const float v = ai[j] * expf(fminf(leaky_relu(d + s_src[j * h + hh], slope) - mx, 0.0f));
      y[j] = v;
      sum += v;
    }
    const float inv = 1.0f / block_reduce(sum, shared, SumOp{});
    for (std::int64_t j = threadIdx.x; j < n; j += kThreads) y[j] *= inv;
  }
}

// The softmax's backward per row, in place in g, and the row sums into grad_s_dst. Each thread
// reads and writes only its own entries j, so the in-place update needs no barrier beyond the
// reductions'.
__global__ void dense_attention_backward_kernel(const float* s_src, const float* s_dst, float slope,
                                                const float* alpha, float* g, std::int64_t n, int h,
                                                float* grad_s_dst) {
  __shared__ float shared[kThreads];
  for (std::int64_t r = blockIdx.x; r < n * h; r += gridDim.x) {
    const int hh = static_cast<int>(r / n);
    const std::int64_t i = r % n;
    const float* y = alpha + r * n;
    float* gr = g + r * n;
    const float d = s_dst[i * h + hh];
    float dot = 0.0f;
    for (std::int64_t j = threadIdx.x; j < n; j += kThreads) dot += y[j] * gr[j];
    dot = block_reduce(dot, shared, SumOp{});
    float row_sum = 0.0f;
    for (std::int64_t j = threadIdx.x; j < n; j += kThreads) {
      const float v = y[j] * (gr[j] - dot) * leaky_relu_slope(d + s_src[j * h + hh], slope);
      gr[j] = v;
      row_sum += v;
    }
    row_sum = block_reduce(row_sum, shared, SumOp{});
    if (threadIdx.x == 0) grad_s_dst[i * h + hh] = row_sum;
  }
}

// grad_s_src[j, h] = Σ_i g[h·N + i, j], rows in order; thread t = h·N + j, so neighbouring
// threads read neighbouring columns.
__global__ void dense_column_grad_kernel(const float* g, std::int64_t n, int h, float* grad_s_src) {
  for (std::int64_t t = thread_index(); t < n * h; t += grid_stride()) {
    const std::int64_t hh = t / n, j = t % n;
    const float* col = g + hh * n * n + j;
    float acc = 0.0f;
    for (std::int64_t i = 0; i < n; ++i) acc += col[i * n];
    grad_s_src[j * h + hh] = acc;
  }
}

// Blocks for `rows` rows of one block each, capped (the kernels loop over rows beyond it).
unsigned row_blocks(std::int64_t rows) {
  return static_cast<unsigned>(std::clamp<std::int64_t>(rows, 1, 1 << 20));
}

}  // namespace

void dropout(const float* x, float* y, std::int64_t n, const DeviceDropout& drop,
             cudaStream_t stream) {
  if (n <= 0) return;
  dropout_kernel<<<grid_for(n), kThreads, 0, stream>>>(x, y, n, drop);
  check_launch("dropout");
}

void gather(const float* x, const std::int64_t* index, float* y, std::int64_t n,
            cudaStream_t stream) {
  if (n <= 0) return;
  gather_kernel<<<grid_for(n), kThreads, 0, stream>>>(x, index, y, n);
  check_launch("gather");
}

void head_dot(const float* z, const float* a, float* s, std::int64_t n, int h, int f,
              cudaStream_t stream) {
  if (n <= 0) return;
  head_dot_kernel<<<grid_for(n * h), kThreads, 0, stream>>>(z, a, s, n, h, f);
  check_launch("head_dot");
}

void attention_softmax(const std::int64_t* row_ptr, const std::int64_t* src, const float* s_src,
                       const float* s_dst, float slope, std::int64_t n, std::int64_t e, int h,
                       const DeviceDropout& drop, float* alpha, float* alpha_used,
                       cudaStream_t stream) {
  if (n <= 0) return;
  attention_softmax_kernel<<<grid_for(n * h), kThreads, 0, stream>>>(
      row_ptr, src, s_src, s_dst, slope, n, e, h, drop, alpha, alpha_used);
  check_launch("attention_softmax");
}

void heads_spmm(const std::int64_t* row_ptr, const std::int64_t* col, const float* values,
                const float* b, float* out, std::int64_t n, std::int64_t e, int h, int f,
                cudaStream_t stream) {
  if (n <= 0) return;
  heads_spmm_kernel<<<grid_for(n * h * f), kThreads, 0, stream>>>(row_ptr, col, values, b, out, n,
                                                                  e, h, f);
  check_launch("heads_spmm");
}

void mean_heads(const float* agg, float* out, std::int64_t n, int h, int f, cudaStream_t stream) {
  if (n <= 0) return;
  mean_heads_kernel<<<grid_for(n * f), kThreads, 0, stream>>>(agg, out, n, h, f);
  check_launch("mean_heads");
}

void mean_heads_backward(const float* grad_out, float* grad_agg, std::int64_t n, int h, int f,
                         cudaStream_t stream) {
  if (n <= 0) return;
  mean_heads_backward_kernel<<<grid_for(n * h * f), kThreads, 0, stream>>>(grad_out, grad_agg, n, h,
                                                                           f);
  check_launch("mean_heads_backward");
}

void add_bias(float* out, const float* bias, std::int64_t n, std::int64_t w, cudaStream_t stream) {
  if (n * w <= 0) return;
  add_bias_kernel<<<grid_for(n * w), kThreads, 0, stream>>>(out, bias, n, w);
  check_launch("add_bias");
}

void add(float* y, const float* x, std::int64_t n, cudaStream_t stream) {
  if (n <= 0) return;
  add_kernel<<<grid_for(n), kThreads, 0, stream>>>(y, x, n);
  check_launch("add");
}

void add_sparse(const std::int64_t* row_ptr, const std::int64_t* col, const float* val, float* out,
                std::int64_t n, std::int64_t w, cudaStream_t stream) {
  if (n <= 0) return;
  add_sparse_kernel<<<grid_for(n), kThreads, 0, stream>>>(row_ptr, col, val, out, n, w);
  check_launch("add_sparse");
}

void elu_forward(const float* x, float* y, std::int64_t n, cudaStream_t stream) {
  if (n <= 0) return;
  elu_forward_kernel<<<grid_for(n), kThreads, 0, stream>>>(x, y, n);
  check_launch("elu_forward");
}

void elu_backward(const float* y, const float* grad_y, float* grad_x, std::int64_t n,
                  cudaStream_t stream) {
  if (n <= 0) return;
  elu_backward_kernel<<<grid_for(n), kThreads, 0, stream>>>(y, grad_y, grad_x, n);
  check_launch("elu_backward");
}

void cross_entropy(const float* logits, const std::int32_t* labels, const std::int32_t* nodes,
                   std::int64_t count, int c, double inv_count, double* loss, std::int32_t* correct,
                   float* grad, cudaStream_t stream) {
  if (count <= 0) return;
  cross_entropy_kernel<<<grid_for(count), kThreads, 0, stream>>>(logits, labels, nodes, count, c,
                                                                 inv_count, loss, correct, grad);
  check_launch("cross_entropy");
}

void sum_scores(const double* loss, const std::int32_t* correct, std::int64_t count, double* sum,
                std::int64_t* correct_sum, cudaStream_t stream) {
  sum_scores_kernel<<<1, kThreads, 0, stream>>>(loss, correct, count, sum, correct_sum);
  check_launch("sum_scores");
}

std::int64_t column_partials(std::int64_t n, std::int64_t w) {
  return std::max<std::int64_t>((n + kRowChunk - 1) / kRowChunk, 1) * w;
}

void column_sum(const float* a, std::int64_t n, std::int64_t w, float* partial, float* out,
                cudaStream_t stream) {
  if (n <= 0 || w <= 0) return;
  const std::int64_t chunks = (n + kRowChunk - 1) / kRowChunk;
  column_partial_kernel<<<grid_for(chunks * w), kThreads, 0, stream>>>(a, nullptr, n, w, 1, 1,
                                                                       partial);
  check_launch("column_sum");
  column_total_kernel<<<grid_for(w), kThreads, 0, stream>>>(partial, chunks, w, out);
  check_launch("column_sum");
}

void head_dot_weight_grad(const float* z, const float* g, std::int64_t n, int h, int f,
                          float* partial, float* out, cudaStream_t stream) {
  if (n <= 0) return;
  const std::int64_t w = static_cast<std::int64_t>(h) * f;
  const std::int64_t chunks = (n + kRowChunk - 1) / kRowChunk;
  column_partial_kernel<<<grid_for(chunks * w), kThreads, 0, stream>>>(z, g, n, w, h, f, partial);
  check_launch("head_dot_weight_grad");
  column_total_kernel<<<grid_for(w), kThreads, 0, stream>>>(partial, chunks, w, out);
  check_launch("head_dot_weight_grad");
}

void attention_weight_grad(const std::int64_t* dst, const std::int64_t* src, const float* grad_agg,
                           const float* values, std::int64_t e, int h, int f,
                           float* grad_alpha_used, cudaStream_t stream) {
  if (e <= 0) return;
  attention_weight_grad_kernel<<<grid_for(e * h), kThreads, 0, stream>>>(dst, src, grad_agg, values,
                                                                         e, h, f, grad_alpha_used);
  check_launch("attention_weight_grad");
}

void attention_softmax_backward(const std::int64_t* row_ptr, const std::int64_t* src,
                                const float* s_src, const float* s_dst, float slope, std::int64_t n,
                                std::int64_t e, int h, const DeviceDropout& drop,
                                const float* alpha, const float* grad_alpha_used, float* grad_score,
                                float* grad_s_dst, cudaStream_t stream) {
  if (n <= 0) return;
  attention_softmax_backward_kernel<<<grid_for(n * h), kThreads, 0, stream>>>(
      row_ptr, src, s_src, s_dst, slope, n, e, h, drop, alpha, grad_alpha_used, grad_score,
      grad_s_dst);
  check_launch("attention_softmax_backward");
}

void source_score_grad(const std::int64_t* t_row_ptr, const std::int64_t* t_slot,
                       const float* grad_score, std::int64_t n, std::int64_t e, int h,
                       float* grad_s_src, cudaStream_t stream) {
  if (n <= 0) return;
  source_score_grad_kernel<<<grid_for(n * h), kThreads, 0, stream>>>(t_row_ptr, t_slot, grad_score,
                                                                     n, e, h, grad_s_src);
  check_launch("source_score_grad");
}

void node_scores_backward(const float* g_src, const float* g_dst, const float* a_src,
                          const float* a_dst, std::int64_t n, int h, int f, float* grad_z,
                          cudaStream_t stream) {
  if (n <= 0) return;
  node_scores_backward_kernel<<<grid_for(n * h * f), kThreads, 0, stream>>>(g_src, g_dst, a_src,
                                                                            a_dst, n, h, f, grad_z);
  check_launch("node_scores_backward");
}

void adam(float* w, const float* grad, float* m, float* v, std::int64_t n, const AdamStep& s,
          cudaStream_t stream) {
  if (n <= 0) return;
  adam_kernel<<<grid_for(n), kThreads, 0, stream>>>(w, grad, m, v, n, s);
  check_launch("adam");
}

void flag_non_finite(const float* x, std::int64_t n, std::int32_t* flag, cudaStream_t stream) {
  if (n <= 0) return;
  flag_non_finite_kernel<<<grid_for(n), kThreads, 0, stream>>>(x, n, flag);
  check_launch("flag_non_finite");
}

void dense_adjacency(const std::int64_t* row_ptr, const std::int64_t* src, std::int64_t n,
                     float* adj, cudaStream_t stream) {
  if (n <= 0) return;
  const cudaError_t err =
      cudaMemsetAsync(adj, 0, static_cast<std::size_t>(n * n) * sizeof(float), stream);
  GAT_CHECK(err == cudaSuccess,
            "CUDA: memset (dense adjacency) failed: " << cudaGetErrorString(err));
  dense_adjacency_kernel<<<grid_for(n), kThreads, 0, stream>>>(row_ptr, src, n, adj);
  check_launch("dense_adjacency");
}

void dense_attention_softmax(const float* adj, const float* s_src, const float* s_dst, float slope,
                             std::int64_t n, int h, float* alpha, cudaStream_t stream) {
  if (n <= 0) return;
  dense_attention_softmax_kernel<<<row_blocks(n * h), kThreads, 0, stream>>>(adj, s_src, s_dst,
                                                                             slope, n, h, alpha);
  check_launch("dense_attention_softmax");
}

void dense_attention_backward(const float* s_src, const float* s_dst, float slope,
                              const float* alpha, float* g, std::int64_t n, int h,
                              float* grad_s_src, float* grad_s_dst, cudaStream_t stream) {
  if (n <= 0) return;
  dense_attention_backward_kernel<<<row_blocks(n * h), kThreads, 0, stream>>>(
      s_src, s_dst, slope, alpha, g, n, h, grad_s_dst);
  check_launch("dense_attention_backward");
  dense_column_grad_kernel<<<grid_for(n * h), kThreads, 0, stream>>>(g, n, h, grad_s_src);
  check_launch("dense_attention_backward");
}

}  // namespace gat::cuda
