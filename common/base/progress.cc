#include "common/base/progress.h"

#include <unistd.h>

namespace ctmr::base {

Progress::Progress(std::FILE* out, std::chrono::steady_clock::duration every)
    : out_(out), tty_(::isatty(::fileno(out)) == 1), every_(every) {}

void Progress::Update(const std::string& text) { UpdateBlock({text}); }

void Progress::UpdateBlock(const std::vector<std::string>& lines) {
  std::lock_guard<std::mutex> lock(mu_);
  if (tty_) {
    EraseLocked();
    for (size_t i = 0; i < lines.size(); ++i) {
      std::fprintf(out_, "%s%s", i > 0 ? "\n" : "", lines[i].c_str());
    }
    std::fflush(out_);
    shown_lines_ = static_cast<int>(lines.size());
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  if (last_printed_ == std::chrono::steady_clock::time_point{} || now - last_printed_ >= every_) {
    for (const std::string& line : lines) std::fprintf(out_, "%s\n", line.c_str());
    last_printed_ = now;
  }
}

void Progress::Print(const std::string& text) {
  std::lock_guard<std::mutex> lock(mu_);
  // A block of several lines is redrawn below the printed line at the next
  // update; a single line stays, as the last state before the message.
  if (shown_lines_ > 1) {
    EraseLocked();
    shown_lines_ = 0;
  }
  BreakLocked();
  std::fprintf(out_, "%s\n", text.c_str());
}

void Progress::Break() {
  std::lock_guard<std::mutex> lock(mu_);
  BreakLocked();
}

void Progress::BreakLocked() {
  if (shown_lines_ > 0) std::fputc('\n', out_);
  shown_lines_ = 0;
}

void Progress::EraseLocked() {
  // Back to the start of the shown block's first line, then clear to the end
  // of the screen (\033[J), which also clears what longer lines left behind.
  std::fputc('\r', out_);
  if (shown_lines_ > 1) std::fprintf(out_, "\033[%dA", shown_lines_ - 1);
  std::fputs("\033[J", out_);
}

}  // namespace ctmr::base
