#include "gat/train/dist_trainer.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/core/threads.hpp"
#include "gat/layers/halo.hpp"
#include "gat/train/loss.hpp"
#include "gat/train/metrics.hpp"
#include "train_util.hpp"

namespace gat {
namespace {

// ---- The part in local numbering -------------------------------------------------------------
// Local rows: the n owned nodes (ascending global id), then the m halo nodes (ascending).

// The local row of global node `id`, which must be owned or in the halo.
NodeId local_row(const GraphPart& part, NodeId id) {
  const auto own = std::lower_bound(part.owned.begin(), part.owned.end(), id);
  if (own != part.owned.end() && *own == id) return static_cast<NodeId>(own - part.owned.begin());
  const auto h = std::lower_bound(part.halo.begin(), part.halo.end(), id);
  GAT_CHECK(h != part.halo.end() && *h == id,
            "part " << part.part << " of '" << part.name << "': source node " << id
                    << " is neither owned nor in the halo (a damaged partition?)");
  return static_cast<NodeId>(part.owned.size() + static_cast<std::size_t>(h - part.halo.begin()));
}

// Cheap shape checks of a part handed over by a program (read_partition checks files fully).
void check_part(const GraphPart& part) {
  const std::size_t n = part.owned.size();
  const auto where = [&] {
    return "part " + std::to_string(part.part) + " of '" + part.name + "'";
  };
  GAT_CHECK(part.row_ptr.size() == n + 1 && part.row_ptr.front() == 0 &&
                part.row_ptr.back() == static_cast<EdgeId>(part.src.size()) &&
                part.row_start.size() == n && part.loops_before.size() == n &&
                part.labels.size() == n,
            where() << ": row offsets, row starts, loop counts or labels do not match its " << n
                    << " owned nodes");
  GAT_CHECK(part.halo_part.size() == part.halo.size() && part.halo_index.size() == part.halo.size(),
            where() << ": the halo's owners do not match its " << part.halo.size() << " nodes");
  for (std::size_t r = 0; r + 1 < part.row_ptr.size(); ++r) {
    GAT_CHECK(part.row_ptr[r] <= part.row_ptr[r + 1], where()
                                                          << ": row offsets decrease at row " << r);
  }
  if (part.has_dense_features()) {
    GAT_CHECK(part.dense_features.rows() == static_cast<Eigen::Index>(n) &&
                  part.dense_features.cols() == part.num_features,
              where() << ": dense features are not (" << n << ", " << part.num_features << ")");
  } else {
    GAT_CHECK(part.features.rows == static_cast<std::int64_t>(n) &&
                  part.features.cols == part.num_features && part.feature_start.size() == n,
              where() << ": sparse features are not (" << n << ", " << part.num_features
                      << ") with one start per row");
  }
  for (const auto* split : {&part.train, &part.val, &part.test}) {
    for (const NodeId r : *split) {
      GAT_CHECK(r >= 0 && static_cast<std::size_t>(r) < n,
                where() << ": split row " << r << " outside its " << n << " owned nodes");
    }
  }
}

struct LocalPart {
  NodeId owned = 0;
  CsrGraph graph;                       // (n + m) nodes, the self-loop policy applied
  std::vector<std::int64_t> node_ids;   // (n + m) global row of each local row
  std::vector<std::int64_t> slot_ids;   // (E_local) slot in the whole prepared graph
  std::vector<std::int64_t> input_ids;  // (nnz) index among the whole input's non-zeros
  SparseInput<float> sparse;            // (n + m, in) sparse features; halo rows empty
  Matrix<float> dense;                  // (n + m, in) dense features; halo rows zero
  std::vector<std::int32_t> labels;     // (n + m), -1 on halo rows
};

// Builds the local graph as apply_self_loops (gat/graph/build.hpp) builds the whole prepared
// graph, row by row: loops dropped (add, remove), one added (add), the row stably sorted by
// source. Sorting by global id keeps the whole graph's slot order within the row, so slot p of
// owned row r is slot start(r) + (p - row_ptr[r]) of the whole, where start(r), the row's first
// slot there, follows from the part's row_start and loops_before:
//   keep: row_start;  remove: row_start - loops_before;  add: row_start - loops_before + v
// (each earlier row lost its loops and gained one).
LocalPart build_local(const GraphPart& part, SelfLoops policy) {
  check_part(part);
  LocalPart out;
  const NodeId n = part.num_owned();
  const auto m = static_cast<NodeId>(part.halo.size());
  out.owned = n;
  out.node_ids.reserve(static_cast<std::size_t>(n) + m);
  for (const NodeId v : part.owned) out.node_ids.push_back(v);
  for (const NodeId v : part.halo) out.node_ids.push_back(v);

  std::vector<EdgeId> row_ptr(static_cast<std::size_t>(n) + m + 1, 0);
  std::vector<NodeId> src;
  src.reserve(part.src.size() + (policy == SelfLoops::kAdd ? static_cast<std::size_t>(n) : 0));
  std::vector<NodeId> row;
  for (NodeId r = 0; r < n; ++r) {
    const NodeId v = part.owned[r];
    row.assign(part.src.begin() + part.row_ptr[r], part.src.begin() + part.row_ptr[r + 1]);
    EdgeId start = part.row_start[r];
    if (policy != SelfLoops::kKeep) {
      std::erase(row, v);
      if (policy == SelfLoops::kAdd) row.push_back(v);
      std::stable_sort(row.begin(), row.end());
      start -= part.loops_before[r];
      if (policy == SelfLoops::kAdd) start += v;
    }
    for (std::size_t k = 0; k < row.size(); ++k) {
      src.push_back(local_row(part, row[k]));
      out.slot_ids.push_back(start + static_cast<EdgeId>(k));
    }
    row_ptr[static_cast<std::size_t>(r) + 1] = static_cast<EdgeId>(src.size());
  }
  for (NodeId r = n; r < n + m; ++r) row_ptr[static_cast<std::size_t>(r) + 1] = row_ptr[r];
  out.graph = CsrGraph(n + m, std::move(row_ptr), std::move(src));

  if (part.has_dense_features()) {
    out.dense = Matrix<float>::Zero(n + m, part.num_features);
    out.dense.topRows(n) = part.dense_features;
  } else {
    SparseMatrix<float> x = part.features;
    x.rows = n + m;
    x.row_ptr.resize(static_cast<std::size_t>(n) + m + 1, x.row_ptr.back());
    out.input_ids.reserve(x.col.size());
    for (NodeId r = 0; r < n; ++r) {
      for (EdgeId k = part.features.row_ptr[r]; k < part.features.row_ptr[r + 1]; ++k) {
        out.input_ids.push_back(part.feature_start[r] + (k - part.features.row_ptr[r]));
      }
    }
    out.sparse = SparseInput<float>(std::move(x));
  }
  out.labels = part.labels;
  out.labels.resize(static_cast<std::size_t>(n) + m, -1);
  return out;
}

// ---- Collectives with a fixed order -----------------------------------------------------------

// Every process's `values`, summed in rank order: the same bits on every process.
std::vector<double> sum_over(Communicator& comm, const std::vector<double>& values) {
  const auto p = static_cast<std::size_t>(comm.size());
  std::vector<double> all(values.size() * p);
  comm.allgather(reinterpret_cast<const std::byte*>(values.data()), values.size() * sizeof(double),
                 reinterpret_cast<std::byte*>(all.data()));
  std::vector<double> sum(values.size(), 0.0);
  for (std::size_t q = 0; q < p; ++q) {
    for (std::size_t k = 0; k < values.size(); ++k) sum[k] += all[q * values.size() + k];
  }
  return sum;
}

// Each parameter's gradient becomes the sum of every process's, taken in rank order.
void sum_gradients(Communicator& comm, const std::vector<Parameter<float>*>& params,
                   std::vector<float>& mine, std::vector<float>& all) {
  std::size_t total = 0;
  for (const auto* p : params) total += static_cast<std::size_t>(p->grad.size());
  mine.resize(total);
  std::size_t at = 0;
  for (const auto* p : params) {
    std::memcpy(mine.data() + at, p->grad.data(), static_cast<std::size_t>(p->grad.size()) * 4);
    at += static_cast<std::size_t>(p->grad.size());
  }
  const auto ranks = static_cast<std::size_t>(comm.size());
  all.resize(total * ranks);
  comm.allgather(reinterpret_cast<const std::byte*>(mine.data()), total * sizeof(float),
                 reinterpret_cast<std::byte*>(all.data()));
  std::copy(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(total), mine.begin());
  for (std::size_t q = 1; q < ranks; ++q) {
    const float* g = all.data() + q * total;
    for (std::size_t k = 0; k < total; ++k) mine[k] += g[k];
  }
  at = 0;
  for (auto* p : params) {
    std::memcpy(p->grad.data(), mine.data() + at, static_cast<std::size_t>(p->grad.size()) * 4);
    at += static_cast<std::size_t>(p->grad.size());
  }
}

// ---- The halo exchange ------------------------------------------------------------------------

class PartHalo final : public HaloExchange {
 public:
  PartHalo(const GraphPart& part, LocalPart& local, Communicator& comm)
      : local_(local), comm_(comm), ranks_(static_cast<std::size_t>(comm.size())) {
    const NodeId n = local.owned;
    // The rows this process needs from each owner, in halo order (ascending global id).
    recv_rows_.assign(ranks_, {});
    std::vector<std::vector<NodeId>> wanted(ranks_);
    for (std::size_t k = 0; k < part.halo.size(); ++k) {
      const int q = part.halo_part[k];
      GAT_CHECK(q >= 0 && static_cast<std::size_t>(q) < ranks_ && q != comm.rank(),
                "part " << part.part << ": halo node " << part.halo[k] << " has owner " << q
                        << ", not another of the " << ranks_ << " parts");
      recv_rows_[q].push_back(n + static_cast<NodeId>(k));
      wanted[q].push_back(part.halo_index[k]);
    }
    // Tell every owner which of its rows to send: counts first, then the rows.
    std::vector<double> counts(ranks_);
    for (std::size_t q = 0; q < ranks_; ++q) counts[q] = static_cast<double>(wanted[q].size());
    std::vector<double> matrix(ranks_ * ranks_);
    comm.allgather(reinterpret_cast<const std::byte*>(counts.data()), ranks_ * sizeof(double),
                   reinterpret_cast<std::byte*>(matrix.data()));
    const auto me = static_cast<std::size_t>(comm.rank());
    std::vector<std::size_t> send_bytes(ranks_), recv_bytes(ranks_);
    std::vector<NodeId> send, recv;
    for (std::size_t q = 0; q < ranks_; ++q) {
      send_bytes[q] = wanted[q].size() * sizeof(NodeId);
      send.insert(send.end(), wanted[q].begin(), wanted[q].end());
      recv_bytes[q] = static_cast<std::size_t>(matrix[q * ranks_ + me]) * sizeof(NodeId);
    }
    std::size_t total = 0;
    for (const std::size_t b : recv_bytes) total += b / sizeof(NodeId);
    recv.resize(total);
    comm.alltoallv(reinterpret_cast<const std::byte*>(send.data()), send_bytes,
                   reinterpret_cast<std::byte*>(recv.data()), recv_bytes);
    send_rows_.assign(ranks_, {});
    std::size_t at = 0;
    for (std::size_t q = 0; q < ranks_; ++q) {
      for (std::size_t k = 0; k < recv_bytes[q] / sizeof(NodeId); ++k, ++at) {
        GAT_CHECK(recv[at] >= 0 && recv[at] < n,
                  "part " << part.part << ": part " << q << " asks for row " << recv[at] << " of "
                          << n << " owned rows (partitions from different runs?)");
        send_rows_[q].push_back(recv[at]);
      }
    }
  }

  NodeId owned() const override { return local_.owned; }
  std::span<const std::int64_t> node_ids() const override { return local_.node_ids; }
  std::span<const std::int64_t> slot_ids() const override { return local_.slot_ids; }
  std::span<const std::int64_t> input_ids() const override { return local_.input_ids; }

  // Rows of [z | s_src] from their owners: send_rows_ go out, recv_rows_ come in.
  void fetch(MatrixRef<float> z, MatrixRef<float> s_src) const override {
    exchange(send_rows_, recv_rows_, z, s_src);
    unpack(recv_rows_, z, s_src, false);
  }

  // The reverse: recv_rows_ (halo) go back to their owners, who add them into send_rows_ in
  // rank order, then the halo rows are zeroed.
  void give_back(MatrixRef<float> grad_z, MatrixRef<float> grad_s_src) const override {
    exchange(recv_rows_, send_rows_, grad_z, grad_s_src);
    unpack(send_rows_, grad_z, grad_s_src, true);
    for (const auto& rows : recv_rows_) {
      for (const NodeId r : rows) {
        grad_z.row(r).setZero();
        grad_s_src.row(r).setZero();
      }
    }
  }

 private:
  using Rows = std::vector<std::vector<NodeId>>;
  // Sends rows `out[q]` of [a | b] to each q and receives rows for `in[q]` into in_buffer_.
  void exchange(const Rows& out, const Rows& in, MatrixRef<float> a, MatrixRef<float> b) const {
    const Eigen::Index wa = a.cols(), wb = b.cols(), w = wa + wb;
    std::vector<std::size_t> send_bytes(ranks_), recv_bytes(ranks_);
    std::size_t send_rows = 0, recv_rows = 0;
    for (std::size_t q = 0; q < ranks_; ++q) {
      send_bytes[q] = out[q].size() * static_cast<std::size_t>(w) * sizeof(float);
      recv_bytes[q] = in[q].size() * static_cast<std::size_t>(w) * sizeof(float);
      send_rows += out[q].size();
      recv_rows += in[q].size();
    }
    out_buffer_.resize(send_rows * static_cast<std::size_t>(w));
    in_buffer_.resize(recv_rows * static_cast<std::size_t>(w));
    float* o = out_buffer_.data();
    for (std::size_t q = 0; q < ranks_; ++q) {
      for (const NodeId r : out[q]) {
        std::memcpy(o, a.row(r).data(), static_cast<std::size_t>(wa) * sizeof(float));
        std::memcpy(o + wa, b.row(r).data(), static_cast<std::size_t>(wb) * sizeof(float));
        o += w;
      }
    }
    comm_.alltoallv(reinterpret_cast<const std::byte*>(out_buffer_.data()), send_bytes,
                    reinterpret_cast<std::byte*>(in_buffer_.data()), recv_bytes);
  }

  // in_buffer_'s rows into rows `in[q]` of [a | b]: written, or added in rank order.
  void unpack(const Rows& in, MatrixRef<float> a, MatrixRef<float> b, bool add) const {
    const Eigen::Index wa = a.cols(), wb = b.cols(), w = wa + wb;
    const float* p = in_buffer_.data();
    for (std::size_t q = 0; q < ranks_; ++q) {
      for (const NodeId r : in[q]) {
        float* ra = a.row(r).data();
        float* rb = b.row(r).data();
        if (add) {
          for (Eigen::Index c = 0; c < wa; ++c) ra[c] += p[c];
          for (Eigen::Index c = 0; c < wb; ++c) rb[c] += p[wa + c];
        } else {
          std::memcpy(ra, p, static_cast<std::size_t>(wa) * sizeof(float));
          std::memcpy(rb, p + wa, static_cast<std::size_t>(wb) * sizeof(float));
        }
        p += w;
      }
    }
  }

  const LocalPart& local_;
  Communicator& comm_;
  std::size_t ranks_;
  Rows recv_rows_;  // [q]: local halo rows owned by q, ascending global id
  Rows send_rows_;  // [q]: owned rows q needs, in q's halo order
  mutable std::vector<float> out_buffer_, in_buffer_;
};

// ---- Scores over the whole graph --------------------------------------------------------------

// Loss sum and correct count of `rows` (indices into logits), to be summed over processes.
struct SplitSums {
  double loss = 0, correct = 0;
};

SplitSums split_sums(const RowMatrix& logits, const std::vector<std::int32_t>& labels,
                     const std::vector<NodeId>& rows) {
  if (rows.empty()) return {};
  const double count = static_cast<double>(rows.size());
  return {nll_loss<float>(logits, labels, rows) * count,
          std::round(accuracy<float>(logits, labels, rows) * count)};
}

class Run {
 public:
  Run(GatModel<float>& model, const GraphPart& part, const TrainOptions& options,
      Communicator& comm)
      : model_(model),
        part_(part),
        options_(options),
        comm_(comm),
        local_(build_local(part, model.options().self_loops)),
        halo_(part, local_, comm) {}

  RowMatrix forward(GatModelCache<float>& cache, ForwardContext ctx) const {
    ctx.halo = &halo_;
    if (local_.dense.cols() > 0) return model_.forward(local_.graph, local_.dense, cache, ctx);
    return model_.forward(local_.graph, local_.sparse, cache, ctx);
  }

  // One training step: the loss over all training nodes and its accuracy into s; every process
  // has stepped Adam with the same summed gradients.
  void step(int epoch, Adam<float>& adam, const std::vector<Parameter<float>*>& params,
            EpochStats& s) {
    zero_grad(params);
    const ForwardContext ctx{true, options_.seed, static_cast<std::uint64_t>(epoch - 1)};
    const RowMatrix logits = forward(cache_, ctx);
    const NodeId total = part_.train_total;
    const auto mine = static_cast<double>(part_.train.size());
    if (!part_.train.empty()) {
      // nll_loss averages over this process's training nodes; the loss is their mean over all
      // of them: the gradient scaled by |mine| / |all|.
      nll_loss<float>(logits, local_.labels, part_.train, &grad_);
      grad_ *= static_cast<float>(mine / static_cast<double>(total));
    } else {
      grad_ = RowMatrix::Zero(logits.rows(), logits.cols());
    }
    const SplitSums train = split_sums(logits, local_.labels, part_.train);
    const std::vector<double> sums = sum_over(comm_, {train.loss, train.correct});
    s.train_loss = sums[0] / total;
    s.train_acc = sums[1] / total;
    GAT_CHECK(std::isfinite(s.train_loss), "training diverged: non-finite loss at epoch "
                                               << epoch << " (try a lower learning rate)");
    model_.backward(local_.graph, cache_, grad_);
    sum_gradients(comm_, params, mine_, all_);
    detail::check_finite_gradients(params, epoch);
    adam.step();
  }

  // Inference over the whole graph: summed loss and correct count of each split.
  std::vector<double> evaluate() {
    const RowMatrix logits = forward(cache_, detail::kEvaluation);
    std::vector<double> sums;
    for (const auto* rows : {&part_.train, &part_.val, &part_.test}) {
      const SplitSums s = split_sums(logits, local_.labels, *rows);
      sums.push_back(s.loss);
      sums.push_back(s.correct);
    }
    return sum_over(comm_, sums);
  }

  const PartHalo& halo() const { return halo_; }

 private:
  GatModel<float>& model_;
  const GraphPart& part_;
  const TrainOptions& options_;
  Communicator& comm_;
  LocalPart local_;
  PartHalo halo_;
  GatModelCache<float> cache_;
  RowMatrix grad_;
  std::vector<float> mine_, all_;
};

double ratio(double sum, NodeId count) { return count > 0 ? sum / count : 0.0; }

void check_run(const GatModel<float>& model, const GraphPart& part, const TrainOptions& options,
               const Communicator& comm) {
  GAT_CHECK(part.parts == comm.size() && part.part == comm.rank(),
            "part " << part.part << " of " << part.parts << " given to process " << comm.rank()
                    << " of " << comm.size()
                    << ": run as many processes as the partition has parts, each with its own");
  GAT_CHECK(options.device == Device::kCpu, "distributed training runs on the CPU only");
  GAT_CHECK(options.epochs >= 1, "epochs must be at least 1, got " << options.epochs);
  GAT_CHECK(options.patience >= 1, "patience must be at least 1, got " << options.patience);
  GAT_CHECK(part.num_features == model.options().in_features,
            "the partition of '" << part.name << "' has " << part.num_features
                                 << " features but the model expects "
                                 << model.options().in_features);
  GAT_CHECK(part.num_classes <= model.options().num_classes,
            "the partition of '" << part.name << "' has " << part.num_classes
                                 << " classes but the model predicts "
                                 << model.options().num_classes);
  GAT_CHECK(part.train_total > 0, "the partition of '" << part.name << "' has no training nodes");
  for (const auto& layer : model.layers()) {
    GAT_CHECK(GatConv<float>::fuses(layer.options()),
              "distributed training runs the paper's layer only: sparse attention, --score gat, "
              "--align softmax, no --multi-dim, no edge features");
  }
}

}  // namespace

TrainResult train_node_classifier(GatModel<float>& model, const GraphPart& part,
                                  const TrainOptions& options, Communicator& comm,
                                  const EpochCallback& on_epoch) {
  check_run(model, part, options, comm);
  const ThreadScope threads(options.threads);
  Run run(model, part, options, comm);
  auto params = model.parameters();
  Adam<float> adam(params, options.adam);
  std::vector<RowMatrix> saved;
  TrainResult result = detail::run_epochs(
      options, on_epoch, [&](int epoch, EpochStats& s) { run.step(epoch, adam, params, s); },
      [&](EpochStats& s) {
        const std::vector<double> ev = run.evaluate();
        s.val_loss = ratio(ev[2], part.val_total);
        s.val_acc = ratio(ev[3], part.val_total);
      },
      [&] {
        saved.clear();
        for (const auto* p : params) saved.push_back(p->value);
      });
  for (std::size_t k = 0; k < params.size(); ++k) params[k]->value = saved[k];
  const std::vector<double> ev = run.evaluate();
  result.train_acc = ratio(ev[1], part.train_total);
  result.val_loss = ratio(ev[2], part.val_total);
  result.val_acc = ratio(ev[3], part.val_total);
  result.test_acc = ratio(ev[5], part.test_total);
  return result;
}

}  // namespace gat
