// TaskPool: where a cycle's tasks run. The cycle and the distributed reduce
// queue tasks on the pool's Scheduler and Drain them; `ct-coordinator run`'s
// pool is its ZeroMQ loop and the workers it serves (coordinator.cc), a test's
// runs the same tasks in-process.
#ifndef CT_COORDINATOR_SERVICE_TASK_POOL_H_
#define CT_COORDINATOR_SERVICE_TASK_POOL_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "coordinator/service/scheduler.h"

namespace ctmr::service {

class TaskPool {
 public:
  virtual ~TaskPool() = default;

  virtual Scheduler& scheduler() = 0;
  // The scheduler's clock, in milliseconds.
  virtual int64_t NowMs() = 0;
  // Runs every queued task to done or failed; `total` of them are this
  // phase's, for the progress line. Cancelled when a stop signal came;
  // Unavailable when no worker is left to run them (every local worker gave
  // up and none is connected); Aborted when the transport failed (a socket
  // error). Each ends the cycle.
  virtual absl::Status Drain(const std::string& phase, size_t total) = 0;
  // Returns once a worker is connected (it has announced its memory budget).
  // Errors as Drain.
  virtual absl::Status WaitForWorker() = 0;
};

}  // namespace ctmr::service

#endif  // CT_COORDINATOR_SERVICE_TASK_POOL_H_
