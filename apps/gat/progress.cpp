#include "progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <utility>

#include "common.hpp"

namespace gat::app {
namespace {

// "1h02m", "3m07s", "12s": an ETA needs no more precision than that.
std::string duration_text(double seconds) {
  const long s = std::lround(seconds);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, s / 60 % 60);
  } else if (s >= 60) {
    std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%lds", s);
  }
  return buf;
}

// A live line longer than the terminal wraps, and '\r' then returns only to the start of its
// last row: every redraw would leave a stale row behind. So the line is cut to the width.
std::size_t terminal_width() {
  winsize w{};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &w) == 0 && w.ws_col > 0) return w.ws_col;
  return 80;
}

}  // namespace

Progress::Progress(ProgressOptions options) : o_(std::move(options)) {
  if (o_.quiet) {
    mode_ = Mode::kOff;
  } else if (o_.log_every > 0) {
    // An explicit --log-every asks for a log, even on a terminal.
    mode_ = Mode::kLines;
    every_ = o_.log_every;
  } else {
    mode_ = isatty(STDERR_FILENO) ? Mode::kLive : Mode::kLines;
  }
}

Progress::~Progress() {
  // An exception out of the trainer must not leave the error message glued to a live line.
  if (line_open_) std::fputs("\n", stderr);
}

void Progress::begin(int index) {
  index_ = index;
  best_acc_ = -1;
  best_loss_ = 0;
  waited_ = 0;
  last_draw_ = {};
}

void Progress::update(const EpochPoint& p) {
  epoch_ms_.push_back(p.ms);
  last_ = p;
  if (p.has_val) {
    // The trainer's early-stopping rule (train/trainer.cpp): either metric improving resets
    // the patience counter.
    if (p.epoch == 1 || p.val_acc >= best_acc_ || p.val_loss <= best_loss_) {
      waited_ = 0;
    } else {
      ++waited_;
    }
    if (p.epoch == 1 || p.val_acc > best_acc_) best_acc_ = p.val_acc;
    if (p.epoch == 1 || p.val_loss < best_loss_) best_loss_ = p.val_loss;
  }
  if (mode_ == Mode::kOff) return;
  if (mode_ == Mode::kLines) {
    if (p.epoch % every_ == 0) draw(p);
    return;
  }
  // A redraw per epoch would be thousands of writes a second on small graphs; ten a second
  // looks as live.
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100) && p.epoch != o_.max_epochs) return;
  last_draw_ = now;
  draw(p);
}

void Progress::draw(const EpochPoint& p) {
  char buf[256];
  std::string line;
  std::snprintf(buf, sizeof buf, "%s %d/%d  epoch %*d/%d  loss %.4f", o_.unit.c_str(), index_ + 1,
                o_.count, static_cast<int>(std::to_string(o_.max_epochs).size()), p.epoch,
                o_.max_epochs, p.loss);
  line += buf;
  // A log line has room for every metric; the live line keeps to what fits a terminal.
  if (mode_ == Mode::kLines || !p.has_val) {
    std::snprintf(buf, sizeof buf, "  train acc %.4f", p.train_acc);
    line += buf;
  }
  if (p.has_val) {
    if (mode_ == Mode::kLines) {
      std::snprintf(buf, sizeof buf, "  val loss %.4f", p.val_loss);
      line += buf;
    }
    std::snprintf(buf, sizeof buf, "  val acc %.4f  best %.4f", p.val_acc, best_acc_);
    line += buf;
  }
  if (mode_ == Mode::kLines) {
    std::snprintf(buf, sizeof buf, "  %.2f ms", p.ms);
    line += buf;
    std::fprintf(stderr, "%s\n", line.c_str());
    return;
  }
  // An upper bound: every remaining epoch of this run and of the runs after it, at the median
  // epoch time so far. Early stopping usually ends a run well before its maximum; how near it
  // is shows in the patience count after it.
  const double left_epochs =
      double(o_.max_epochs - p.epoch) + double(o_.count - index_ - 1) * double(o_.max_epochs);
  const double eta_s = left_epochs * median(epoch_ms_) / 1000.0;
  line += (o_.patience > 0 ? "  ETA \u2264 " : "  ETA ") + duration_text(eta_s);
  const std::size_t width = terminal_width() - 1;
  if (o_.patience > 0) {
    std::snprintf(buf, sizeof buf, "  patience %d/%d", waited_, o_.patience);
    if (line.size() + std::strlen(buf) <= width) line += buf;  // whole, or not at all
  }
  if (line.size() > width) line.resize(width);
  // "\033[K" clears what a longer previous line left to the right.
  std::fprintf(stderr, "\r%s\033[K", line.c_str());
  std::fflush(stderr);
  line_open_ = true;
}

void Progress::end() {
  if (!line_open_) return;
  // When the results go to the same terminal, the run's summary line replaces the live line;
  // when they go elsewhere, the run's last epoch stays on screen (the redraws were throttled,
  // so it may not have been drawn yet).
  if (isatty(STDOUT_FILENO)) {
    std::fputs("\r\033[K", stderr);
  } else {
    draw(last_);
    std::fputs("\n", stderr);
  }
  std::fflush(stderr);
  line_open_ = false;
}

}  // namespace gat::app
