#include "coordinator/service/local_workers.h"

#include <signal.h>

#include <cerrno>

#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace ctmr::service {
namespace {

using ::ctmr::testing::WaitFor;

bool Alive(pid_t pid) { return ::kill(pid, 0) == 0; }

// Calls Check at `now_ms` until it reports something: a child's exit is
// seen by waitpid a moment after the signal that ends it.
std::vector<std::string> CheckUntilEvent(LocalWorkers& workers, int64_t now_ms) {
  std::vector<std::string> events;
  WaitFor(10, [&] {
    events = workers.Check(now_ms);
    return !events.empty();
  });
  return events;
}

LocalWorkersOptions Sleepers(int count) {
  LocalWorkersOptions o;
  o.argv = {"/bin/sleep", "1000"};
  o.count = count;
  o.restart_delay_ms = 1'000;
  o.quick_exit_ms = 10'000;
  o.max_quick_exits = 3;
  return o;
}

TEST(LocalWorkersTest, StartsEverySlot) {
  LocalWorkers workers(Sleepers(2));
  EXPECT_EQ(workers.Start(0).size(), 2u);
  EXPECT_EQ(workers.running(), 2);
  const std::vector<pid_t> pids = workers.pids();
  ASSERT_EQ(pids.size(), 2u);
  EXPECT_NE(pids[0], pids[1]);
  for (pid_t pid : pids) EXPECT_TRUE(Alive(pid));
  EXPECT_TRUE(workers.Check(0).empty());  // nobody exited
  EXPECT_FALSE(workers.all_gave_up());
}

TEST(LocalWorkersTest, RestartsAWorkerThatDiedAfterTheBackOff) {
  LocalWorkers workers(Sleepers(2));
  workers.Start(0);
  const pid_t victim = workers.pids()[0];
  ASSERT_EQ(::kill(victim, SIGKILL), 0);  // as the OOM killer would
  // Long after its start: not a quick exit.
  const std::vector<std::string> exited = CheckUntilEvent(workers, 60'000);
  ASSERT_EQ(exited.size(), 1u);
  EXPECT_NE(exited[0].find("signal 9"), std::string::npos) << exited[0];
  EXPECT_EQ(workers.running(), 1);
  EXPECT_TRUE(workers.Check(60'999).empty()) << "restarted before its back-off";
  const std::vector<std::string> restarted = workers.Check(61'000);
  ASSERT_EQ(restarted.size(), 1u);
  EXPECT_NE(restarted[0].find("started"), std::string::npos) << restarted[0];
  EXPECT_EQ(workers.running(), 2);
  EXPECT_EQ(workers.restarts(), 1u);
  for (pid_t pid : workers.pids()) {
    EXPECT_NE(pid, victim);
    EXPECT_TRUE(Alive(pid));
  }
}

TEST(LocalWorkersTest, GivesUpOnAWorkerThatKeepsExitingAtOnce) {
  for (const char* program : {"/bin/false", "/nonexistent/ct-worker"}) {
    LocalWorkersOptions o = Sleepers(1);
    o.argv = {program};
    o.restart_delay_ms = 0;
    LocalWorkers workers(o);
    workers.Start(0);
    // Each exit is within quick_exit_ms of its start (the clock stands still).
    ASSERT_TRUE(WaitFor(10, [&] {
      workers.Check(0);
      return workers.all_gave_up();
    })) << program;
    EXPECT_EQ(workers.running(), 0);
    EXPECT_EQ(workers.restarts(), 2u) << "three starts in all";
    EXPECT_TRUE(workers.Check(1'000'000).empty()) << "a slot that gave up stays down";
  }
}

TEST(LocalWorkersTest, AnExitLongAfterTheStartResetsTheQuickExitCount) {
  LocalWorkersOptions o = Sleepers(1);
  o.max_quick_exits = 2;
  LocalWorkers workers(o);
  workers.Start(0);
  int64_t now = 0;
  // Quick, then slow, then quick again: never two quick exits in a row.
  for (int64_t lifetime : {100, 20'000, 100}) {
    now += lifetime;
    ASSERT_EQ(::kill(workers.pids()[0], SIGKILL), 0);
    CheckUntilEvent(workers, now);
    now += o.restart_delay_ms;
    ASSERT_EQ(workers.Check(now).size(), 1u);
    ASSERT_EQ(workers.running(), 1) << "lifetime " << lifetime;
  }
  EXPECT_FALSE(workers.all_gave_up());
}

TEST(LocalWorkersTest, StopEndsAndReapsEveryWorker) {
  LocalWorkers workers(Sleepers(2));
  workers.Start(0);
  const std::vector<pid_t> pids = workers.pids();
  workers.Stop(10'000);
  for (pid_t pid : pids) {
    EXPECT_EQ(::kill(pid, 0), -1) << "pid " << pid << " is still there";
    EXPECT_EQ(errno, ESRCH);
  }
  EXPECT_EQ(workers.running(), 0);
  EXPECT_TRUE(workers.all_gave_up());
}

}  // namespace
}  // namespace ctmr::service
