#pragma once
// The CUDA kernels of the GPU trainer (kernels.cu), as host functions that launch them on a
// stream. Plain pointers to device memory, no Eigen: this header is read by nvcc and g++ alike.
// Every matrix is row-major, as on the CPU. Shapes: N nodes, E edge slots (self loops
// included), H heads, F features per head, C classes. Per-edge data is head-major, (H, E): head
// h's values are contiguous, so that each head's attention weights are the values of a CSR
// matrix cuSPARSE can multiply. Every kernel writes each output from one thread, summing in a
// fixed order: no atomics, so the same inputs give the same bits on every run.

#include <cuda_runtime_api.h>

#include <cstdint>

namespace gat::cuda {

/// A dropout to apply on the device: entry k kept when bits32(key, k) ≥ threshold, and then
/// scaled by `scale` = 1 / (1 - rate); threshold 0 with scale 1 keeps everything.
struct DeviceDropout {
  std::uint64_t key = 0;
  std::uint32_t threshold = 0;
  float scale = 1.0f;
  bool active = false;
};

/// y[k] = x[k] · (kept(k) ? scale : 0) for k < n: the counter of an entry is its flat index in
/// the matrix, as gat::ops::dropout draws it. x may equal y.
void dropout(const float* x, float* y, std::int64_t n, const DeviceDropout& drop,
             cudaStream_t stream);
/// y[k] = x[index[k]] for k < n.
void gather(const float* x, const std::int64_t* index, float* y, std::int64_t n,
            cudaStream_t stream);
/// s[i, h] = Σ_f z[i, h·F + f] · a[h, f]: (N, H) node scores from z (N, H·F) and a (H, F).
void head_dot(const float* z, const float* a, float* s, std::int64_t n, int h, int f,
              cudaStream_t stream);
/// Per destination i and head h, over i's slots p = row_ptr[i] .. row_ptr[i+1]-1 with source
/// j = src[p]: e = LeakyReLU(s_dst[i, h] + s_src[j, h]); alpha[h, p] = exp(e - max)·(1/Σ exp);
/// alpha_used[h, p] = alpha · dropout (slot p, head h has counter p·H + h), when alpha_used is
/// not null.
void attention_softmax(const std::int64_t* row_ptr, const std::int64_t* src, const float* s_src,
                       const float* s_dst, float slope, std::int64_t n, std::int64_t e, int h,
                       const DeviceDropout& drop, float* alpha, float* alpha_used,
                       cudaStream_t stream);
/// out[i, h·F + c] = Σ_p values[h, p] · b[col[p], h·F + c] over row i's entries p of a CSR
/// matrix with one value array per head (H, E): each head's SpMM, for all heads in one launch.
/// The fallback where cuSPARSE refuses a layout; the same sums in slot order.
void heads_spmm(const std::int64_t* row_ptr, const std::int64_t* col, const float* values,
                const float* b, float* out, std::int64_t n, std::int64_t e, int h, int f,
                cudaStream_t stream);
/// out[i, c] = (Σ_h agg[i, h·F + c]) · (1/H): the mean of the heads, (N, F) from (N, H·F).
void mean_heads(const float* agg, float* out, std::int64_t n, int h, int f, cudaStream_t stream);
/// grad_agg[i, h·F + c] = grad_out[i, c] / H.
void mean_heads_backward(const float* grad_out, float* grad_agg, std::int64_t n, int h, int f,
                         cudaStream_t stream);
/// out[i, :] += bias (1, w) for every row.
void add_bias(float* out, const float* bias, std::int64_t n, std::int64_t w, cudaStream_t stream);
/// y[k] += x[k].
void add(float* y, const float* x, std::int64_t n, cudaStream_t stream);
/// out[i, col[k]] += val[k] for row i's entries k of a CSR matrix (N, w).
void add_sparse(const std::int64_t* row_ptr, const std::int64_t* col, const float* val, float* out,
                std::int64_t n, std::int64_t w, cudaStream_t stream);
/// y = ELU(x) = max(x, 0) + (exp(min(x, 0)) - 1).
void elu_forward(const float* x, float* y, std::int64_t n, cudaStream_t stream);
/// grad_x = grad_y · (min(y, 0) + 1) from the ELU output y; grad_x may equal grad_y.
void elu_backward(const float* y, const float* grad_y, float* grad_x, std::int64_t n,
                  cudaStream_t stream);
/// For each of `count` nodes i = nodes[k]: loss[k] = log Σ_c exp(l[i, c]) - l[i, y_i] (in double)
/// and correct[k] = whether the first largest logit is y_i; when grad is not null, its rows
/// nodes[k] get (softmax - onehot) · inv_count (grad must be zero elsewhere).
void cross_entropy(const float* logits, const std::int32_t* labels, const std::int32_t* nodes,
                   std::int64_t count, int c, double inv_count, double* loss, std::int32_t* correct,
                   float* grad, cudaStream_t stream);
/// sums[0] = Σ_k loss[k], counts[0] = Σ_k correct[k], each in one fixed order.
void sum_scores(const double* loss, const std::int32_t* correct, std::int64_t count, double* sum,
                std::int64_t* correct_sum, cudaStream_t stream);
/// out[c] += Σ_i a[i, c] over the N rows of a (N, w): grad of a bias. `partial` holds
/// column_partials(n, w) floats. Rows are summed in fixed chunks, then the chunks in order.
void column_sum(const float* a, std::int64_t n, std::int64_t w, float* partial, float* out,
                cudaStream_t stream);
/// out[h, f] += Σ_i g[i, h] · z[i, h·F + f]: the gradient of an attention vector a (H, F) from
/// its node scores' gradient g (N, H). `partial` as for column_sum with w = H·F.
void head_dot_weight_grad(const float* z, const float* g, std::int64_t n, int h, int f,
                          float* partial, float* out, cudaStream_t stream);
/// Floats of scratch column_sum and head_dot_weight_grad need for (n, w).
std::int64_t column_partials(std::int64_t n, std::int64_t w);
/// grad_alpha_used[h, p] = Σ_f grad_agg[dst[p], h·F + f] · values[src[p], h·F + f]: the
/// gradient of each slot's weight (after dropout) in out = Σ_p α'·values.
void attention_weight_grad(const std::int64_t* dst, const std::int64_t* src, const float* grad_agg,
                           const float* values, std::int64_t e, int h, int f,
                           float* grad_alpha_used, cudaStream_t stream);
/// Per destination i and head h, from the weights alpha (H, E) and their gradient after dropout:
/// g = grad_alpha_used · dropout; grad_e = alpha·(g - Σ_p alpha·g); grad_score[h, p] = grad_e ·
/// LeakyReLU'(s_dst[i, h] + s_src[j, h]); grad_s_dst[i, h] = Σ_p grad_score[h, p].
void attention_softmax_backward(const std::int64_t* row_ptr, const std::int64_t* src,
                                const float* s_src, const float* s_dst, float slope, std::int64_t n,
                                std::int64_t e, int h, const DeviceDropout& drop,
                                const float* alpha, const float* grad_alpha_used, float* grad_score,
                                float* grad_s_dst, cudaStream_t stream);
/// grad_s_src[j, h] = Σ over j's out-slots k (transposed CSR t_row_ptr, t_slot) of
/// grad_score[h, t_slot[k]].
void source_score_grad(const std::int64_t* t_row_ptr, const std::int64_t* t_slot,
                       const float* grad_score, std::int64_t n, std::int64_t e, int h,
                       float* grad_s_src, cudaStream_t stream);
/// grad_z[i, h·F + f] += g_src[i, h]·a_src[h, f], then += g_dst[i, h]·a_dst[h, f].
void node_scores_backward(const float* g_src, const float* g_dst, const float* a_src,
                          const float* a_dst, std::int64_t n, int h, int f, float* grad_z,
                          cudaStream_t stream);
/// Dense masked attention (the CPU's gat/ops/dense_attention.hpp), per head stacked as an
/// (H·N, N) matrix whose row h·N + i is head h's weights of destination i.
/// adj (N, N) = 0, then adj[i, src[p]] += 1 over i's slots: edge counts, a doubled edge 2.
void dense_adjacency(const std::int64_t* row_ptr, const std::int64_t* src, std::int64_t n,
                     float* adj, cudaStream_t stream);
/// alpha[h·N + i, j] = adj[i, j]·exp(min(e_ij - m, 0)) / Σ_k (the same), e_ij = LeakyReLU(s_dst[i,
/// h] + s_src[j, h]), m = the largest e_ij over i's neighbours; a row without in-edges is zero.
/// One block per row; the max and the sum are block trees in a fixed order.
void dense_attention_softmax(const float* adj, const float* s_src, const float* s_dst, float slope,
                             std::int64_t n, int h, float* alpha, cudaStream_t stream);
/// From the weights alpha and their gradient g (H·N, N; after the dropout's mask), in place:
/// g ← alpha ⊙ (g - rowsum(alpha ⊙ g)) ⊙ LeakyReLU'(s_dst[i, h] + s_src[j, h]), the scores'
/// gradient; grad_s_dst[i, h] = its row sum, grad_s_src[j, h] = its column sum (rows in order).
void dense_attention_backward(const float* s_src, const float* s_dst, float slope,
                              const float* alpha, float* g, std::int64_t n, int h,
                              float* grad_s_src, float* grad_s_dst, cudaStream_t stream);
/// Adam with L2 decay on n entries: g = grad + wd·w; m, v updated; w -= lr·(m·inv_c1) /
/// (sqrt(v·inv_c2) + eps), as gat::Adam does it.
struct AdamStep {
  float lr, beta1, beta2, weight_decay, inv_c1, inv_c2, eps;
};
void adam(float* w, const float* grad, float* m, float* v, std::int64_t n, const AdamStep& s,
          cudaStream_t stream);
/// flag[0] = 1 when any of x[0 .. n) is NaN or infinite (flag is left alone otherwise).
void flag_non_finite(const float* x, std::int64_t n, std::int32_t* flag, cudaStream_t stream);

}  // namespace gat::cuda
