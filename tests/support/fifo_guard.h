// A guard for tests of code that must never block on a FIFO: instead of
// hanging the test run, a reader stuck in open(2) is released and the test
// fails.
#ifndef CT_TESTS_SUPPORT_FIFO_GUARD_H_
#define CT_TESTS_SUPPORT_FIFO_GUARD_H_

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <future>
#include <string>

namespace ctmr::testing {

// Runs `body` on a thread of its own and returns whether it finished within
// `limit` without help. If it did not, opens and closes `fifo` as a writer
// until `body` is done: a reader blocked opening it (in this process or a
// child) then returns, and a read sees the end of the file, so `body`
// finishes and the caller can report the failure. The loop also releases a
// retry that opens the FIFO again.
inline bool FinishesWithoutAWriter(const std::string& fifo, const std::function<void()>& body,
                                   std::chrono::seconds limit = std::chrono::seconds(30)) {
  std::future<void> done = std::async(std::launch::async, body);
  if (done.wait_for(limit) == std::future_status::ready) return true;
  do {
    // O_RDWR never blocks on a FIFO (Linux), and counts as the writer that a
    // blocked reader waits for.
    const int fd = ::open(fifo.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0) ::close(fd);
  } while (done.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready);
  return false;
}

}  // namespace ctmr::testing

#endif  // CT_TESTS_SUPPORT_FIFO_GUARD_H_
