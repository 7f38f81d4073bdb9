// LocalWorkers: the ct-worker processes `ct-coordinator run --local-workers N`
// starts beside itself. Each dies with the coordinator (PR_SET_PDEATHSIG), even
// when the coordinator is killed.
//
// Each of the N slots is a small state machine:
//   kRunning (pid) --exit--> kWaiting (restart at a time) --due--> kRunning
//                  --exit soon after start, max_quick_exits times in a row--> kGaveUp
// A worker that dies (OOM killer, a crash) is started again after
// restart_delay_ms, so a long-running coordinator keeps its capacity; one that
// keeps dying within quick_exit_ms of its start (a missing or broken binary)
// is given up on instead of being forked forever. No clock of its own: every
// call takes `now_ms`, so tests drive the back-off with a fake clock.
//
// Not thread-safe: the coordinator's loop owns it.
#ifndef CT_COORDINATOR_SERVICE_LOCAL_WORKERS_H_
#define CT_COORDINATOR_SERVICE_LOCAL_WORKERS_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ctmr::service {

struct LocalWorkersOptions {
  std::vector<std::string> argv;  // argv[0] is the program's path
  int count = 0;
  int64_t restart_delay_ms = 1'000;
  int64_t quick_exit_ms = 10'000;
  int max_quick_exits = 3;
};

class LocalWorkers {
 public:
  enum class SlotState { kRunning, kWaiting, kGaveUp };

  explicit LocalWorkers(LocalWorkersOptions options);
  ~LocalWorkers();  // Stop(10 s)
  LocalWorkers(const LocalWorkers&) = delete;
  LocalWorkers& operator=(const LocalWorkers&) = delete;

  // Starts every slot. Returns one line per event, for the caller's log.
  std::vector<std::string> Start(int64_t now_ms);

  // Reaps workers that exited and starts those whose back-off is over.
  // Returns one line per event (an exit, a restart, giving up) for the log.
  std::vector<std::string> Check(int64_t now_ms);

  // SIGTERM to each running worker; SIGKILL to one still there after
  // `grace_ms`. Every slot is then given up.
  void Stop(int64_t grace_ms);

  int running() const;
  // Every slot gave up: no local worker runs now or will run again.
  bool all_gave_up() const;
  uint64_t restarts() const { return restarts_; }
  // The pid of each running slot (tests signal them).
  std::vector<pid_t> pids() const;

 private:
  struct Slot {
    SlotState state = SlotState::kWaiting;
    pid_t pid = -1;
    int64_t started_ms = 0;
    int64_t restart_at_ms = 0;
    int quick_exits = 0;  // exits within quick_exit_ms of the start, in a row
  };
  // Forks and execs options_.argv into `slot`; an event line.
  std::string Launch(Slot& slot, int index, int64_t now_ms);

  LocalWorkersOptions options_;
  std::vector<Slot> slots_;
  uint64_t restarts_ = 0;
};

}  // namespace ctmr::service

#endif  // CT_COORDINATOR_SERVICE_LOCAL_WORKERS_H_
