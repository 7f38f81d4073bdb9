#include "coordinator/service/scheduler.h"

#include <gtest/gtest.h>

namespace ctmr::service {
namespace {

SchedulerOptions Options() {
  SchedulerOptions o;
  o.lease_ms = 10'000;
  o.heartbeat_ms = 1'000;
  o.liveness = 3;
  o.max_attempts = 3;
  return o;
}

Ready MakeReady(const std::string& name, uint32_t threads) {
  Ready r;
  r.set_worker_name(name);
  r.set_threads(threads);
  return r;
}

Result Ok(uint64_t id) {  // of a map task
  Result r;
  r.set_task_id(id);
  r.set_ok(true);
  r.mutable_map();
  return r;
}

Result Error(uint64_t id, ErrorKind kind) {
  Result r;
  r.set_task_id(id);
  r.set_ok(false);
  r.set_error_kind(kind);
  r.set_error("boom");
  return r;
}

TEST(SchedulerTest, DispatchesUpToEachWorkersThreads) {
  Scheduler s(Options());
  for (int i = 0; i < 5; ++i) s.AddMapTask("/root/2026-11-2" + std::to_string(i));
  EXPECT_TRUE(s.Dispatch(0).empty());  // no workers yet
  s.OnReady("a", MakeReady("a:1", 2), 0);
  s.OnReady("b", MakeReady("b:1", 1), 0);
  const std::vector<Outgoing> out = s.Dispatch(0);
  ASSERT_EQ(out.size(), 3u);
  int to_a = 0;
  for (const Outgoing& o : out) {
    ASSERT_TRUE(o.body.has_map_task());
    EXPECT_EQ(o.body.map_task().attempt(), 1u);
    to_a += o.routing_id == "a";
  }
  EXPECT_EQ(to_a, 2);
  EXPECT_EQ(s.queued(), 2u);
  EXPECT_EQ(s.leased(), 3u);
  EXPECT_TRUE(s.Dispatch(0).empty());  // everyone is busy
}

TEST(SchedulerTest, CommitsAndFinishes) {
  Scheduler s(Options());
  const uint64_t id = s.AddMapTask("/root/2026-11-26");
  s.OnReady("a", MakeReady("a:1", 1), 0);
  ASSERT_EQ(s.Dispatch(0).size(), 1u);
  EXPECT_FALSE(s.Idle());
  EXPECT_EQ(s.OnResult("a", Ok(id), 10), ResultOutcome::kCommitted);
  EXPECT_TRUE(s.Idle());
  EXPECT_EQ(s.task(id)->state, TaskState::kDone);
  EXPECT_EQ(s.TakeFinished(), std::vector<uint64_t>{id});
  EXPECT_TRUE(s.workers().at("a").running.empty());
  s.PruneFinished();
  EXPECT_EQ(s.task(id), nullptr);
  EXPECT_EQ(s.OnResult("a", Ok(id), 20), ResultOutcome::kDiscarded);
}

// A part of a split map is a map task: dispatched with its part, retried
// on another worker, and failed after its attempts, as any map task.
TEST(SchedulerTest, PartTasksKeepTheirPartAcrossRetries) {
  Scheduler s(Options());
  MapTask part;
  part.set_directory("/root/2026-11-26");
  part.set_plan_id("run1");
  part.set_part(1);
  part.set_parts(2);
  part.add_stems("issuerB");
  const uint64_t id = s.AddMapTask(part);
  s.OnReady("a", MakeReady("a:1", 1), 0);
  s.OnReady("b", MakeReady("b:1", 1), 0);
  std::vector<Outgoing> out = s.Dispatch(0);
  ASSERT_EQ(out.size(), 1u);
  const std::string first = out[0].routing_id;
  EXPECT_EQ(out[0].body.map_task().task_id(), id);
  EXPECT_EQ(out[0].body.map_task().part(), 1u);
  EXPECT_EQ(DescribeTask(*s.task(id)), "map /root/2026-11-26 part 2/2");
  EXPECT_EQ(s.OnResult(first, Error(id, TRANSIENT), 10), ResultOutcome::kRequeued);
  out = s.Dispatch(20);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(out[0].routing_id, first) << "retried on the other worker";
  EXPECT_EQ(out[0].body.map_task().attempt(), 2u);
  EXPECT_EQ(out[0].body.map_task().plan_id(), "run1");
  EXPECT_EQ(out[0].body.map_task().stems_size(), 1);
  // Its lease expires like any task's: the fake clock passes the deadline.
  const int64_t late = 20 + 2 * Options().lease_ms + 1;
  s.Touch("a", late);  // both alive; the lease was never renewed
  s.Touch("b", late);
  s.OnTick(late);
  EXPECT_EQ(s.task(id)->state, TaskState::kQueued);
  out = s.Dispatch(late);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(s.OnResult(out[0].routing_id, Error(id, TRANSIENT), late + 1), ResultOutcome::kFailed);
  EXPECT_EQ(s.task(id)->state, TaskState::kFailed);
}

TEST(SchedulerTest, ErrorsRetryThenFail) {
  Scheduler s(Options());
  const uint64_t id = s.AddMapTask("/root/2026-11-26");
  s.OnReady("a", MakeReady("a:1", 1), 0);
  for (uint32_t attempt = 1; attempt <= 3; ++attempt) {
    std::vector<Outgoing> out = s.Dispatch(attempt);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].body.map_task().attempt(), attempt);
    const ResultOutcome outcome =
        s.OnResult("a", Error(id, attempt == 2 ? TRANSIENT : PERMANENT), attempt);
    EXPECT_EQ(outcome, attempt < 3 ? ResultOutcome::kRequeued : ResultOutcome::kFailed);
  }
  EXPECT_EQ(s.task(id)->state, TaskState::kFailed);
  EXPECT_EQ(s.task(id)->attempts, 3u);
  EXPECT_EQ(s.task(id)->last_error_kind, PERMANENT);
  EXPECT_TRUE(s.Idle());
  EXPECT_TRUE(s.Dispatch(10).empty());
}

TEST(SchedulerTest, LateResultFromAnotherWorkerIsDiscarded) {
  Scheduler s(Options());
  const uint64_t id = s.AddMapTask("/root/2026-11-26");
  s.OnReady("a", MakeReady("a:1", 1), 0);
  ASSERT_EQ(s.Dispatch(0).size(), 1u);
  // The lease expires; the task goes to b.
  s.OnHeartbeat("a", Heartbeat(), 10'500);
  std::vector<Outgoing> cancels = s.OnTick(10'500);
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0].routing_id, "a");
  EXPECT_EQ(cancels[0].body.cancel().task_id(), id);
  EXPECT_EQ(s.expired_leases(), 1u);
  s.OnReady("b", MakeReady("b:1", 1), 10'500);
  s.Drain("a:1");
  std::vector<Outgoing> out = s.Dispatch(10'500);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].routing_id, "b");
  EXPECT_EQ(out[0].body.map_task().attempt(), 2u);
  // a's late result loses; b's commits; a duplicate from b is discarded too.
  EXPECT_EQ(s.OnResult("a", Ok(id), 11'000), ResultOutcome::kDiscarded);
  EXPECT_EQ(s.OnResult("b", Ok(id), 11'000), ResultOutcome::kCommitted);
  EXPECT_EQ(s.OnResult("b", Ok(id), 11'001), ResultOutcome::kDiscarded);
  EXPECT_EQ(s.OnResult("b", Ok(999), 11'001), ResultOutcome::kDiscarded);
  EXPECT_EQ(s.discarded_results(), 3u);
  EXPECT_EQ(s.task(id)->state, TaskState::kDone);
}

TEST(SchedulerTest, HeartbeatNamingTheTaskRenewsTheLease) {
  SchedulerOptions o = Options();
  o.task_deadline_ms = 60'000;  // past the lease; the test ends before it
  Scheduler s(o);
  const uint64_t id = s.AddMapTask("/root/2026-11-26");
  s.OnReady("a", MakeReady("a:1", 1), 0);
  ASSERT_EQ(s.Dispatch(0).size(), 1u);
  Heartbeat hb;
  hb.add_running_tasks(id);
  for (int64_t t = 1'000; t <= 30'000; t += 1'000) {
    s.OnHeartbeat("a", hb, t);
    EXPECT_TRUE(s.OnTick(t).empty());
  }
  EXPECT_EQ(s.task(id)->state, TaskState::kLeased);
  EXPECT_EQ(s.OnResult("a", Ok(id), 30'500), ResultOutcome::kCommitted);
}

TEST(SchedulerTest, SilentWorkerIsDeadAndItsTasksRequeued) {
  Scheduler s(Options());
  const uint64_t id = s.AddMapTask("/root/2026-11-26");
  s.OnReady("a", MakeReady("a:1", 1), 0);
  s.OnReady("b", MakeReady("b:1", 1), 0);
  std::vector<Outgoing> out = s.Dispatch(0);
  ASSERT_EQ(out.size(), 1u);
  const std::string first = out[0].routing_id;
  const std::string other = first == "a" ? "b" : "a";
  s.OnHeartbeat(other, Heartbeat(), 2'500);
  s.OnTick(2'500);
  EXPECT_EQ(s.workers().size(), 2u);  // 2.5 s of silence is within 3 heartbeats
  s.OnHeartbeat(other, Heartbeat(), 3'500);
  s.OnTick(3'500);
  EXPECT_EQ(s.workers().size(), 1u);
  EXPECT_EQ(s.dead_workers(), 1u);
  EXPECT_EQ(s.task(id)->state, TaskState::kQueued);
  out = s.Dispatch(3'500);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].routing_id, other);
  // The dead worker comes back with its old result: too late.
  EXPECT_EQ(s.OnResult(first, Ok(id), 3'600), ResultOutcome::kDiscarded);
  EXPECT_EQ(s.OnResult(other, Ok(id), 3'700), ResultOutcome::kCommitted);
}

TEST(SchedulerTest, DeathsCountAsAttempts) {
  Scheduler s(Options());
  const uint64_t id = s.AddMapTask("/root/2026-11-26");
  int64_t now = 0;
  for (int i = 0; i < 3; ++i) {
    const std::string w = "w" + std::to_string(i);
    s.OnReady(w, MakeReady(w, 1), now);
    ASSERT_EQ(s.Dispatch(now).size(), 1u);
    now += 5'000;
    s.OnTick(now);
  }
  EXPECT_EQ(s.task(id)->state, TaskState::kFailed);
  EXPECT_EQ(s.task(id)->last_error_kind, TRANSIENT);
  EXPECT_TRUE(s.Idle());
}

TEST(SchedulerTest, ShardTasksCarryTheirIdAndAttempt) {
  Scheduler s(Options());
  ShardTask t;
  t.set_input_dir("/root/state/reduce/x");
  t.add_inputs("2026-11-26");
  t.set_first(std::string(16, '\0'));
  t.set_last(std::string(16, '\xff'));
  const uint64_t id = s.AddShardTask(t);
  Ready ready = MakeReady("a:1", 4);
  ready.set_memory_budget(1 << 30);
  s.OnReady("a", ready, 0);
  EXPECT_EQ(s.workers().at("a").memory_budget, uint64_t{1} << 30);
  std::vector<Outgoing> out = s.Dispatch(0);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_TRUE(out[0].body.has_shard_task());
  EXPECT_EQ(out[0].body.shard_task().task_id(), id);
  EXPECT_EQ(out[0].body.shard_task().attempt(), 1u);
  EXPECT_EQ(out[0].body.shard_task().inputs(0), "2026-11-26");
  EXPECT_EQ(DescribeTask(*s.task(id)),
            "shard 0000000000000000…-ffffffffffffffff… of 1 directories");
}

TEST(SchedulerTest, AResultOfAnotherKindIsDiscarded) {
  // A restarted coordinator's task 7 is not its predecessor's task 7, whose
  // result a worker may still send; ids start at a random number and a result
  // whose kind does not match is dropped.
  SchedulerOptions o = Options();
  o.first_task_id = 1000;
  Scheduler s(o);
  const uint64_t id = s.AddShardTask(ShardTask());
  EXPECT_EQ(id, 1000u);
  s.OnReady("a", MakeReady("a:1", 1), 0);
  ASSERT_EQ(s.Dispatch(0).size(), 1u);
  EXPECT_EQ(s.OnResult("a", Ok(id), 1), ResultOutcome::kDiscarded);
  Result shard = Ok(id);
  shard.clear_map();
  shard.mutable_shard();
  EXPECT_EQ(s.OnResult("a", shard, 2), ResultOutcome::kCommitted);
}

TEST(SchedulerTest, TooLargeFailsAtOnce) {
  Scheduler s(Options());
  const uint64_t id = s.AddShardTask(ShardTask());
  s.OnReady("a", MakeReady("a:1", 1), 0);
  ASSERT_EQ(s.Dispatch(0).size(), 1u);
  EXPECT_EQ(s.OnResult("a", Error(id, TOO_LARGE), 1), ResultOutcome::kFailed);
  EXPECT_EQ(s.task(id)->attempts, 1u);
  EXPECT_EQ(s.task(id)->last_error_kind, TOO_LARGE);
  EXPECT_TRUE(s.Idle());
}

TEST(SchedulerTest, UnknownWorkerRegistersWithOneThreadAndForgetRequeues) {
  Scheduler s(Options());
  const uint64_t a = s.AddMapTask("/root/2026-11-26");
  s.AddMapTask("/root/2026-11-27");
  s.OnHeartbeat("x", Heartbeat(), 0);
  ASSERT_EQ(s.Dispatch(0).size(), 1u);
  s.Forget("x");
  EXPECT_TRUE(s.workers().empty());
  EXPECT_EQ(s.task(a)->state, TaskState::kQueued);
  EXPECT_EQ(s.queued(), 2u);
}

TEST(SchedulerTest, HeartbeatsCannotRenewALeasePastTheTaskDeadline) {
  // A worker stuck in a blocked read still heartbeats and lists its task.
  SchedulerOptions o = Options();
  o.task_deadline_ms = 25'000;
  Scheduler s(o);
  const uint64_t id = s.AddMapTask("/root/2026-11-26");
  s.OnReady("a", MakeReady("a:1", 1), 0);
  ASSERT_EQ(s.Dispatch(0).size(), 1u);
  Heartbeat hb;
  hb.add_running_tasks(id);
  std::vector<Outgoing> cancels;
  int64_t t = 1'000;
  for (; t <= 60'000 && cancels.empty(); t += 1'000) {
    s.OnHeartbeat("a", hb, t);
    cancels = s.OnTick(t);
  }
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(t - 1'000, 26'000);  // the first tick past 25 s
  EXPECT_EQ(cancels[0].body.cancel().task_id(), id);
  EXPECT_EQ(s.task(id)->state, TaskState::kQueued);
  EXPECT_EQ(s.task(id)->failures, 1u);
  EXPECT_NE(s.task(id)->last_error.find("deadline"), std::string::npos) << s.task(id)->last_error;
}

TEST(SchedulerTest, TaskDeadlineDefaultsToTwiceTheLease) {
  Scheduler s(Options());  // lease 10 s
  const uint64_t id = s.AddMapTask("/root/2026-11-26");
  s.OnReady("a", MakeReady("a:1", 1), 0);
  ASSERT_EQ(s.Dispatch(0).size(), 1u);
  Heartbeat hb;
  hb.add_running_tasks(id);
  for (int64_t t = 1'000; t <= 20'000; t += 1'000) {
    s.OnHeartbeat("a", hb, t);
    ASSERT_TRUE(s.OnTick(t).empty()) << t;
  }
  s.OnHeartbeat("a", hb, 20'001);
  EXPECT_EQ(s.OnTick(20'001).size(), 1u);
}

TEST(SchedulerTest, ARetryGoesToAnotherWorker) {
  Scheduler s(Options());
  const uint64_t id = s.AddMapTask("/root/2026-11-26");
  s.OnReady("a", MakeReady("a:1", 4), 0);
  ASSERT_EQ(s.Dispatch(0).size(), 1u);
  s.OnReady("b", MakeReady("b:1", 1), 0);
  s.AddMapTask("/root/2026-11-27");
  std::vector<Outgoing> out = s.Dispatch(0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].routing_id, "b");  // b is busy now, a has 3 free threads
  EXPECT_EQ(s.OnResult("a", Error(id, TRANSIENT), 1), ResultOutcome::kRequeued);
  // a is the least busy and free, but failed the task: it waits for b.
  EXPECT_TRUE(s.Dispatch(2).empty());
  EXPECT_EQ(s.OnResult("b", Ok(out[0].body.map_task().task_id()), 3), ResultOutcome::kCommitted);
  out = s.Dispatch(4);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].routing_id, "b");
  EXPECT_EQ(out[0].body.map_task().task_id(), id);
  EXPECT_EQ(out[0].body.map_task().attempt(), 2u);
}

TEST(SchedulerTest, OneFailingWorkerDoesNotFailATaskAnotherCanDo) {
  // a fails at once, so it is always the least busy; b is slow but works.
  Scheduler s(Options());
  s.OnReady("a", MakeReady("a:1", 1), 0);
  s.OnReady("b", MakeReady("b:1", 1), 0);
  std::vector<uint64_t> ids;
  for (int i = 0; i < 10; ++i) ids.push_back(s.AddMapTask("/root/d" + std::to_string(i)));
  int64_t now = 0;
  while (!s.Idle() && now < 1'000) {
    ++now;
    for (const Outgoing& o : s.Dispatch(now)) {
      const uint64_t id = o.body.map_task().task_id();
      s.OnResult(o.routing_id, o.routing_id == "a" ? Error(id, TRANSIENT) : Ok(id), now);
    }
  }
  for (uint64_t id : ids) EXPECT_EQ(s.task(id)->state, TaskState::kDone) << id;
}

TEST(SchedulerTest, FailuresOfOneWorkerDoNotFailATaskAnotherCanTry) {
  Scheduler s(Options());
  // The only worker: its failures count, up to max_attempts.
  const uint64_t lone = s.AddMapTask("/root/2026-11-25");
  s.OnReady("a", MakeReady("a:1", 1), 0);
  for (int i = 1; i <= 3; ++i) {
    ASSERT_EQ(s.Dispatch(i).size(), 1u);
    EXPECT_EQ(s.OnResult("a", Error(lone, TRANSIENT), i),
              i < 3 ? ResultOutcome::kRequeued : ResultOutcome::kFailed);
  }
  // Three failures on a, but b joined meanwhile: b gets the fourth try.
  const uint64_t id = s.AddMapTask("/root/2026-11-26");
  for (int i = 11; i <= 13; ++i) {
    ASSERT_EQ(s.Dispatch(i).size(), 1u);
    if (i == 13) s.OnReady("b", MakeReady("b:1", 1), i);
    EXPECT_EQ(s.OnResult("a", Error(id, TRANSIENT), i), ResultOutcome::kRequeued);
  }
  std::vector<Outgoing> out = s.Dispatch(14);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].routing_id, "b");
  EXPECT_EQ(out[0].body.map_task().attempt(), 4u);
  // b fails it too: two workers, three failures or more: failed.
  EXPECT_EQ(s.OnResult("b", Error(id, TRANSIENT), 15), ResultOutcome::kFailed);
  EXPECT_EQ(s.task(id)->failed_on.size(), 2u);
}

TEST(SchedulerTest, AWorkerBlamedMoreThanItCommitsIsQuarantined) {
  SchedulerOptions o = Options();
  o.quarantine_min_failures = 3;
  o.quarantine_ms = 60'000;
  Scheduler s(o);
  s.OnReady("a", MakeReady("a:1", 1), 0);
  s.OnReady("b", MakeReady("b:1", 1), 0);
  // a fails every task (it gets each first: ties go by routing id); b
  // commits them on the retry.
  int64_t now = 0;
  for (int i = 0; i < 3; ++i) {
    const uint64_t id = s.AddMapTask("/root/d" + std::to_string(i));
    std::vector<Outgoing> out = s.Dispatch(++now);
    ASSERT_EQ(out.size(), 1u);
    ASSERT_EQ(out[0].routing_id, "a");
    s.OnResult("a", Error(id, TRANSIENT), ++now);
    out = s.Dispatch(++now);
    ASSERT_EQ(out.size(), 1u);
    ASSERT_EQ(out[0].routing_id, "b");
    EXPECT_EQ(s.OnResult("b", Ok(id), ++now), ResultOutcome::kCommitted);
  }
  EXPECT_EQ(s.records().at("a:1").blamed, 3u);
  EXPECT_TRUE(s.Quarantined(s.workers().at("a"), now));
  EXPECT_EQ(s.quarantines(), 1u);
  // a is free but quarantined: the tasks wait for b.
  const uint64_t first = s.AddMapTask("/root/first");
  const uint64_t next = s.AddMapTask("/root/next");
  std::vector<Outgoing> out = s.Dispatch(++now);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].routing_id, "b");
  EXPECT_EQ(s.OnResult("b", Ok(first), ++now), ResultOutcome::kCommitted);
  out = s.Dispatch(++now);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].routing_id, "b");
  EXPECT_EQ(s.OnResult("b", Ok(next), ++now), ResultOutcome::kCommitted);
  // When the quarantine is over, a gets tasks again.
  now += 60'000;
  s.OnHeartbeat("a", Heartbeat(), now);
  s.OnHeartbeat("b", Heartbeat(), now);
  EXPECT_FALSE(s.Quarantined(s.workers().at("a"), now));
  s.AddMapTask("/root/later1");
  s.AddMapTask("/root/later2");
  EXPECT_EQ(s.Dispatch(now).size(), 2u);
}

TEST(SchedulerTest, AQuarantinedWorkerStillWorksWhenItIsTheOnlyOne) {
  SchedulerOptions o = Options();
  o.quarantine_min_failures = 1;
  Scheduler s(o);
  s.OnReady("a", MakeReady("a:1", 1), 0);
  s.OnReady("b", MakeReady("b:1", 1), 0);
  const uint64_t id = s.AddMapTask("/root/d");
  std::vector<Outgoing> out = s.Dispatch(1);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].routing_id, "a");
  s.OnResult("a", Error(id, TRANSIENT), 2);
  ASSERT_EQ(s.Dispatch(3).size(), 1u);
  s.OnResult("b", Ok(id), 4);
  ASSERT_TRUE(s.Quarantined(s.workers().at("a"), 5));
  s.Forget("b");
  s.AddMapTask("/root/e");
  out = s.Dispatch(6);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].routing_id, "a");
}

TEST(SchedulerTest, FailuresOfACorruptInputBlameNoOne) {
  Scheduler s(Options());
  s.OnReady("a", MakeReady("a:1", 1), 0);
  s.OnReady("b", MakeReady("b:1", 1), 0);
  int64_t now = 0;
  for (int i = 0; i < 5; ++i) {
    const uint64_t id = s.AddMapTask("/root/corrupt" + std::to_string(i));
    while (s.task(id)->state != TaskState::kFailed) {
      for (const Outgoing& o : s.Dispatch(++now))
        s.OnResult(o.routing_id, Error(id, PERMANENT), now);
    }
  }
  EXPECT_EQ(s.quarantines(), 0u);
  for (const auto& [name, r] : s.records()) EXPECT_EQ(r.blamed, 0u) << name;
}

TEST(SchedulerTest, ARejectedOkResultIsAFailure) {
  Scheduler s(Options());
  s.SetResultCheck([](const Task& t, const Result&) {
    return t.attempts == 1 ? absl::FailedPreconditionError("no oracle.out") : absl::OkStatus();
  });
  const uint64_t id = s.AddMapTask("/root/2026-11-26");
  s.OnReady("a", MakeReady("a:1", 1), 0);
  s.OnReady("b", MakeReady("b:1", 1), 0);
  std::vector<Outgoing> out = s.Dispatch(0);
  ASSERT_EQ(out.size(), 1u);
  const std::string first = out[0].routing_id;
  EXPECT_EQ(s.OnResult(first, Ok(id), 1), ResultOutcome::kRequeued);
  EXPECT_EQ(s.task(id)->last_error_kind, TRANSIENT);
  EXPECT_NE(s.task(id)->last_error.find("no oracle.out"), std::string::npos);
  out = s.Dispatch(2);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(out[0].routing_id, first);
  EXPECT_EQ(s.OnResult(out[0].routing_id, Ok(id), 3), ResultOutcome::kCommitted);
}

}  // namespace
}  // namespace ctmr::service
