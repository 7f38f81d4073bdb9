#include "common/base/progress.h"

#include <unistd.h>

namespace ctmr::base {

Progress::Progress(std::FILE* out, std::chrono::steady_clock::duration every)
    : out_(out), tty_(::isatty(::fileno(out)) == 1), every_(every) {}

void Progress::Update(const std::string& text) {
  std::lock_guard<std::mutex> lock(mu_);
  if (tty_) {
    // \033[K clears what a longer line before left behind.
    std::fprintf(out_, "\r\033[K%s", text.c_str());
    std::fflush(out_);
    shown_ = true;
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  if (last_printed_ == std::chrono::steady_clock::time_point{} || now - last_printed_ >= every_) {
    std::fprintf(out_, "%s\n", text.c_str());
    last_printed_ = now;
  }
}

void Progress::Print(const std::string& text) {
  std::lock_guard<std::mutex> lock(mu_);
  BreakLocked();
  std::fprintf(out_, "%s\n", text.c_str());
}

void Progress::Break() {
  std::lock_guard<std::mutex> lock(mu_);
  BreakLocked();
}

void Progress::BreakLocked() {
  if (shown_) std::fputc('\n', out_);
  shown_ = false;
}

}  // namespace ctmr::base
