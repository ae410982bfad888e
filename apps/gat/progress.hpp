#pragma once
// Training progress on stderr, for the commands that train (gat train, both tasks).
//
// On a terminal: one live line, rewritten in place with '\r', that ends when the run ends.
// Elsewhere (a log file, a pipe, CI): one line every --log-every epochs, so that a default run
// on Cora leaves a few dozen lines rather than hundreds. The trainer reports through a
// callback and prints nothing; this class is that callback's printer.

#include <chrono>
#include <string>
#include <vector>

namespace gat::app {

/// What one epoch reported, in the terms both tasks share.
struct EpochPoint {
  int epoch = 0;  // 1-based
  double loss = 0;
  double train_acc = 0;
  bool has_val = false;  // node classification has a validation split; folds of CV do not
  double val_loss = 0;
  double val_acc = 0;
  double ms = 0;  // wall time of the whole epoch (training step and evaluation)
};

struct ProgressOptions {
  bool quiet = false;        // -q: nothing at all
  int log_every = 0;         // --log-every when given on the command line, else 0
  std::string unit = "run";  // "run" (gat train) or "fold" (cross-validation)
  int count = 1;             // runs or folds
  int max_epochs = 0;        // upper bound on epochs per run
  int patience = 0;          // early-stopping patience (0: the run always lasts max_epochs)
};

class Progress {
 public:
  explicit Progress(ProgressOptions options);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  /// Starts run (or fold) `index`, 0-based.
  void begin(int index);
  void update(const EpochPoint& p);
  /// Ends the current run: clears or ends the live line.
  void end();

 private:
  enum class Mode { kOff, kLive, kLines };
  void draw(const EpochPoint& p);

  ProgressOptions o_;
  Mode mode_;
  int every_ = 10;
  int index_ = 0;
  bool line_open_ = false;  // a live line is on the terminal, not ended by a newline
  double best_acc_ = -1, best_loss_ = 0;
  int waited_ = 0;                // epochs since validation accuracy or loss last improved
  std::vector<double> epoch_ms_;  // every epoch so far, all runs: the ETA's median
  EpochPoint last_;               // the newest epoch, drawn or not
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace gat::app
