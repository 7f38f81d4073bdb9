// Progress for people: on a terminal, one line rewritten in place; anywhere
// else (a log file, journald), plain lines, at most one per `every` for the
// lines that would only have been rewritten. The one progress printer of
// every binary: ct-coordinator's map and shard phases, ct-worker's map,
// ct-fetch's logs.
//
// Thread-safe: the map runs on several threads and each reports here.
#ifndef CT_COMMON_BASE_PROGRESS_H_
#define CT_COMMON_BASE_PROGRESS_H_

#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

namespace ctmr::base {

class Progress {
 public:
  // `out` (not owned) is usually stderr; it is a terminal or not once and
  // for all. `every`: how often Update() may print when `out` is not one.
  explicit Progress(std::FILE* out = stderr,
                    std::chrono::steady_clock::duration every = std::chrono::seconds(10));
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  bool tty() const { return tty_; }

  // The current state ("map: 3/10 done"): replaces the line on a terminal;
  // elsewhere printed when `every` has passed since the last printed line.
  void Update(const std::string& text);
  // Several lines (one per log, and a total) replaced together on a
  // terminal; elsewhere all printed when `every` has passed.
  void UpdateBlock(const std::vector<std::string>& lines);
  // A line that stays (a result, an error): ends a rewritten line first.
  void Print(const std::string& text);
  // Ends the rewritten line, if one is shown (the end of a phase).
  void Break();

 private:
  void BreakLocked();
  void EraseLocked();  // clears the shown lines (terminal only)

  std::mutex mu_;
  std::FILE* const out_;
  const bool tty_;
  const std::chrono::steady_clock::duration every_;
  std::chrono::steady_clock::time_point last_printed_{};
  int shown_lines_ = 0;  // rewritten lines on the terminal
};

}  // namespace ctmr::base

#endif  // CT_COMMON_BASE_PROGRESS_H_
