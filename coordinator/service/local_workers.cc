#include "coordinator/service/local_workers.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/base/file_util.h"

namespace ctmr::service {
namespace {

std::string DescribeExit(int status) {
  return WIFEXITED(status) ? absl::StrCat("status ", WEXITSTATUS(status))
                           : absl::StrCat("signal ", WTERMSIG(status));
}

}  // namespace

LocalWorkers::LocalWorkers(LocalWorkersOptions options)
    : options_(std::move(options)), slots_(static_cast<size_t>(std::max(0, options_.count))) {}

LocalWorkers::~LocalWorkers() { Stop(10'000); }

std::string LocalWorkers::Launch(Slot& slot, int index, int64_t now_ms) {
  std::vector<std::string> args = options_.argv;
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    // Dies with the coordinator, even if it is killed.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(1);
    ::execv(argv[0], argv.data());
    std::fprintf(stderr, "ct-coordinator: cannot run %s: %s\n", argv[0],
                 base::ErrnoText(errno).c_str());
    ::_exit(127);
  }
  slot.started_ms = now_ms;
  if (pid < 0) {
    // Counted as a quick exit: fork failing again and again gives up too.
    slot.state = SlotState::kWaiting;
    slot.restart_at_ms = now_ms + options_.restart_delay_ms;
    if (++slot.quick_exits >= options_.max_quick_exits) slot.state = SlotState::kGaveUp;
    return absl::StrCat("cannot start local worker ", index, ": ", base::ErrnoText(errno));
  }
  slot.state = SlotState::kRunning;
  slot.pid = pid;
  return absl::StrCat("local worker ", index, " started: pid ", pid, " (", options_.argv[0], ")");
}

std::vector<std::string> LocalWorkers::Start(int64_t now_ms) {
  std::vector<std::string> events;
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].state == SlotState::kWaiting) {
      events.push_back(Launch(slots_[i], static_cast<int>(i), now_ms));
    }
  }
  return events;
}

std::vector<std::string> LocalWorkers::Check(int64_t now_ms) {
  std::vector<std::string> events;
  for (size_t i = 0; i < slots_.size(); ++i) {
    Slot& slot = slots_[i];
    const int index = static_cast<int>(i);
    if (slot.state == SlotState::kRunning) {
      int status = 0;
      if (::waitpid(slot.pid, &status, WNOHANG) != slot.pid) continue;
      const bool quick = now_ms - slot.started_ms < options_.quick_exit_ms;
      slot.quick_exits = quick ? slot.quick_exits + 1 : 0;
      std::string event = absl::StrCat("local worker ", index, " (pid ", slot.pid, ") exited (",
                                       DescribeExit(status), ")");
      slot.pid = -1;
      if (slot.quick_exits >= options_.max_quick_exits) {
        slot.state = SlotState::kGaveUp;
        absl::StrAppend(&event, "; it exited within ", options_.quick_exit_ms, " ms of its start ",
                        slot.quick_exits, " times in a row: not restarted");
      } else {
        slot.state = SlotState::kWaiting;
        slot.restart_at_ms = now_ms + options_.restart_delay_ms;
        absl::StrAppend(&event, "; restarting it in ", options_.restart_delay_ms, " ms");
      }
      events.push_back(std::move(event));
    }
    if (slot.state == SlotState::kWaiting && now_ms >= slot.restart_at_ms) {
      ++restarts_;
      events.push_back(Launch(slot, index, now_ms));
    }
  }
  return events;
}

void LocalWorkers::Stop(int64_t grace_ms) {
  for (Slot& slot : slots_) {
    if (slot.state == SlotState::kRunning) ::kill(slot.pid, SIGTERM);
  }
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(grace_ms);
  for (Slot& slot : slots_) {
    if (slot.state == SlotState::kRunning) {
      while (::waitpid(slot.pid, nullptr, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > give_up) {
          ::kill(slot.pid, SIGKILL);
          ::waitpid(slot.pid, nullptr, 0);
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    slot.state = SlotState::kGaveUp;
    slot.pid = -1;
  }
}

int LocalWorkers::running() const {
  int n = 0;
  for (const Slot& slot : slots_) n += slot.state == SlotState::kRunning ? 1 : 0;
  return n;
}

bool LocalWorkers::all_gave_up() const {
  for (const Slot& slot : slots_) {
    if (slot.state != SlotState::kGaveUp) return false;
  }
  return true;
}

std::vector<pid_t> LocalWorkers::pids() const {
  std::vector<pid_t> out;
  for (const Slot& slot : slots_) {
    if (slot.state == SlotState::kRunning) out.push_back(slot.pid);
  }
  return out;
}

}  // namespace ctmr::service
