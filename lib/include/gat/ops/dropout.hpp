#pragma once
// Inverted dropout with counter-based masks: entry k is kept with probability 1 - p and
// scaled by 1 / (1 - p), the decision being rng.keep(k, CounterRng::drop_threshold(p)). Dropout is
// linear in its input, so the backward pass is the same call on the gradient with the same rng: the
// mask is recomputed, never stored.

#include <cstdint>
#include <span>
#include <vector>

#include "gat/core/random.hpp"
#include "gat/core/types.hpp"

namespace gat::ops {

/// @brief A dropout to apply: entries dropped with probability `rate` (0: none) by the masks
/// of `rng`.
struct DropoutSpec {
  double rate = 0.0;
  CounterRng rng{0, 0, 0, 0};
  // Where the rows dropped sit in a larger whole. Empty: row r is row r. Otherwise row r takes
  // the counters of row rows[r] of the whole, so it gets the mask the whole would give it there
  // (for a flat array, rows are its entries). A process of a distributed run holds some rows of
  // each matrix (gat/data/graph_part.hpp) and drops them as the single-process run drops the
  // whole: the model trained does not depend on how the graph was split.
  std::span<const std::int64_t> rows = {};
  // The decisions, when drawn once already (dropout_mask) for a matrix that several passes
  // drop (a layer's input: its product, its weight gradient, its input gradient): row r's are
  // read from the mask instead of drawn again. Empty: drawn from rng.
  std::span<const std::uint8_t> mask = {};
};

/// The dropout decisions of a (R, C) matrix as bits: bit c % 8 of byte r·B + c / 8 is set when
/// entry (r, c) is kept, with B = ceil(C / 8) bytes per row. Empty: nothing is dropped.
using DropoutMask = std::vector<std::uint8_t>;

/// @brief The decisions `drop` makes for a (rows, cols) matrix (row r by the counters of
/// drop.rows[r] when given), as bits: one pass of the generator, which later passes over the
/// same matrix read through DropoutSpec::mask, with the same results bit for bit. Empty for
/// rate 0. Throws gat::Error for a rate outside [0, 1) or too few drop.rows.
/// `mask` is resized, so a mask kept across steps is written in place (no allocation).
void dropout_mask(Eigen::Index rows, Eigen::Index cols, const DropoutSpec& drop, DropoutMask& mask);

/// @brief In place: x[r, c] ← keep(r·cols + c) ? x[r, c] / (1 - p) : 0.  p in [0, 1); throws
/// gat::Error for any other p (NaN included).
template <typename T>
void dropout(MatrixRef<T> x, double p, const CounterRng& rng);

/// @brief In place on a flat array (e.g. the non-zeros of a sparse matrix): x[k] as above,
/// p checked as above.
template <typename T>
void dropout(std::vector<T>& x, double p, const CounterRng& rng);

/// @brief In place, as described by `drop`: x[r, c] ← keep(R·cols + c) ? x[r, c] / (1 - p) : 0
/// with R = drop.rows[r] (r when drop.rows is empty, the same as dropout(x, p, rng)), or
/// row r's bits of drop.mask when given. Throws gat::Error when drop.rows or drop.mask is
/// given but too short for x.
template <typename T>
void dropout(MatrixRef<T> x, const DropoutSpec& drop);

/// @brief The same on a flat array: entry k is row k of one column (drop.mask refused: masks
/// are drawn for matrices).
template <typename T>
void dropout(std::vector<T>& x, const DropoutSpec& drop);

/// @brief out ← dropout(x) for a block of rows of a larger matrix: x holds rows
/// first_row .. first_row + x.rows() - 1 of an (·, x.cols()) matrix, so entry (r, c) of the
/// block is decided by counter (first_row + r)·cols + c (with drop.rows, by row
/// drop.rows[first_row + r]; with drop.mask, by its row first_row + r) and gets exactly the
/// value dropout() gives it in the whole. Lets a
/// kernel that splits rows among threads drop its block in its own scratch instead of keeping a
/// dropped copy of the whole matrix. Serial. p checked as above; out (x.rows(), x.cols()) must not
/// alias x.
template <typename T>
void dropout_rows(MatrixCRef<T> x, Eigen::Index first_row, const DropoutSpec& drop,
                  MatrixRef<T> out);

}  // namespace gat::ops
