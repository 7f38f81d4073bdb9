#include "coordinator/service/control_server.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/test_support.h"

namespace ctmr::service {
namespace {

using Json = nlohmann::json;
using ::ctmr::testing::TempDir;

SchedulerOptions Options() {
  SchedulerOptions o;
  o.lease_ms = 10'000;
  o.heartbeat_ms = 1'000;
  o.max_attempts = 2;
  return o;
}

Ready MakeReady(const std::string& name, uint32_t threads) {
  Ready r;
  r.set_worker_name(name);
  r.set_threads(threads);
  return r;
}

Result Done(uint64_t id) {  // of a map task
  Result r;
  r.set_task_id(id);
  r.set_ok(true);
  r.mutable_map();
  return r;
}

Result Failure(uint64_t id) {
  Result r;
  r.set_task_id(id);
  r.set_ok(false);
  r.set_error_kind(PERMANENT);
  r.set_error("/root/2026-11-22/dangling.pem: No such file or directory");
  return r;
}

// A cycle in its map phase: 2026-11-20, -23 and -24 done, 2026-11-22 failed
// after two attempts, 2026-11-25 leased to worker "a", 2026-11-26 queued;
// 2026-11-01 failed in an earlier run. Worker "a" has one thread, "b" drains.
class ControlServerTest : public ::testing::Test {
 protected:
  ControlServerTest()
      : scheduler_(Options()), server_(scheduler_, state_, cycle_, tmp_.path() + "/state.json") {
    cycle_ = CycleInfo{"20261126T100000Z-1", "2026-11-26", "map", 0};
    state_.failed["2026-11-01"] = FailedDirectory{3, "PERMANENT", "bad input", "fp", "then"};
    const std::string a("\0\x80\0\0\x41", 5);  // a ZeroMQ-made routing id
    scheduler_.OnReady(a, MakeReady("a:1", 1), 0);
    scheduler_.OnReady("b", MakeReady("b:2", 1), 0);
    scheduler_.Drain("b:2");
    done_ = scheduler_.AddMapTask("/root/2026-11-20");
    failed_ = scheduler_.AddMapTask("/root/2026-11-22");
    const uint64_t d23 = scheduler_.AddMapTask("/root/2026-11-23");
    const uint64_t d24 = scheduler_.AddMapTask("/root/2026-11-24");
    scheduler_.Dispatch(0);  // 20 -> a
    scheduler_.OnResult(a, Done(done_), 100);
    scheduler_.Dispatch(100);                       // 22 -> a
    scheduler_.OnResult(a, Failure(failed_), 200);  // queued again, behind 24
    scheduler_.Dispatch(200);
    scheduler_.OnResult(a, Done(d23), 300);
    scheduler_.Dispatch(300);
    scheduler_.OnResult(a, Done(d24), 400);
    scheduler_.Dispatch(400);                       // 22's second attempt
    scheduler_.OnResult(a, Failure(failed_), 600);  // failed for good
    // Two more: one leased to a, one queued.
    leased_ = scheduler_.AddMapTask("/root/2026-11-25");
    queued_ = scheduler_.AddMapTask("/root/2026-11-26");
    scheduler_.Dispatch(1000);
  }

  Json Ask(const std::string& request, int64_t now_ms = 2000) {
    return Json::parse(server_.Handle(request, now_ms));
  }

  TempDir tmp_;
  Scheduler scheduler_;
  RunState state_;
  CycleInfo cycle_;
  ControlServer server_;
  uint64_t done_ = 0, failed_ = 0, leased_ = 0, queued_ = 0;
};

TEST_F(ControlServerTest, StatusListsDirectoriesByStateWithFailures) {
  const Json s = Ask(R"({"command":"status"})");
  EXPECT_EQ(s["running"], true);
  EXPECT_EQ(s["run_id"], "20261126T100000Z-1");
  EXPECT_EQ(s["as_of"], "2026-11-26");
  EXPECT_EQ(s["phase"], "map");
  const Json& d = s["directories"];
  EXPECT_EQ(d["queued"]["names"], Json::array({"2026-11-26"}));
  EXPECT_EQ(d["leased"]["names"], Json::array({"2026-11-25"}));
  EXPECT_EQ(d["done"]["count"], 3);
  EXPECT_EQ(d["failed"]["names"], Json::array({"2026-11-01", "2026-11-22"}));
  const Json& f = d["failed"]["details"][1];
  EXPECT_EQ(f["name"], "2026-11-22");
  EXPECT_EQ(f["attempts"], 2);
  EXPECT_EQ(f["error_kind"], "PERMANENT");
  EXPECT_NE(f["last_error"].get<std::string>().find("dangling.pem"), std::string::npos);
  EXPECT_EQ(d["failed"]["details"][0]["attempts"], 3);
  // 3 tasks done in 2 s; 2 left.
  EXPECT_DOUBLE_EQ(s["throughput"]["tasks_per_s"].get<double>(), 1.5);
  EXPECT_NEAR(s["throughput"]["eta_s"].get<double>(), 2 / 1.5, 1e-9);
  ASSERT_EQ(s["workers"].size(), 2u);
}

TEST_F(ControlServerTest, WorkersShowHeartbeatTasksAndDraining) {
  const Json w = Ask(R"({"command":"workers"})", 2500)["workers"];
  ASSERT_EQ(w.size(), 2u);
  // Sorted by routing id: "\0\x80..." before "b".
  EXPECT_EQ(w[0]["name"], "a:1");
  EXPECT_EQ(w[0]["routing_id"], "0080000041");
  EXPECT_EQ(w[0]["threads"], 1);
  EXPECT_NEAR(w[0]["last_heartbeat_s"].get<double>(), 1.9, 1e-9);
  ASSERT_EQ(w[0]["running"].size(), 1u);
  EXPECT_EQ(w[0]["running"][0]["task_id"], leased_);
  EXPECT_EQ(w[0]["running"][0]["task"], "map 2026-11-25");
  EXPECT_EQ(w[0]["draining"], false);
  EXPECT_EQ(w[1]["name"], "b:2");
  EXPECT_EQ(w[1]["draining"], true);
}

TEST_F(ControlServerTest, RequeueFailedWhileMappingRunsThisCycleAndRecordsTheRest) {
  const Json r = Ask(R"({"command":"requeue","failed":true})");
  EXPECT_EQ(r["ok"], true);
  EXPECT_EQ(r["requeued"], Json::array({"2026-11-01", "2026-11-22"}));
  EXPECT_EQ(r["this_cycle"], Json::array({"2026-11-22"}));
  EXPECT_EQ(r["next_cycle"], Json::array({"2026-11-01"}));
  EXPECT_EQ(scheduler_.task(failed_)->state, TaskState::kQueued);
  EXPECT_EQ(scheduler_.task(failed_)->attempts, 0u);
  EXPECT_TRUE(state_.failed.empty());
  absl::StatusOr<RunState> file = LoadRunState(tmp_.path() + "/state.json");
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->requeue, std::set<std::string>({"2026-11-01"}));
  const Json s = Ask(R"({"command":"status"})");
  EXPECT_EQ(s["directories"]["failed"]["count"], 0);
  EXPECT_EQ(s["directories"]["queued"]["count"], 2);
}

TEST_F(ControlServerTest, RequeueNamedDirectoriesAfterMappingWaitsForTheNextCycle) {
  cycle_.phase = "merge";
  const Json r = Ask(R"({"command":"requeue","directories":["2026-11-22","2026-11-20"]})");
  EXPECT_EQ(r["requeued"], Json::array({"2026-11-22"}));
  EXPECT_EQ(r["next_cycle"], Json::array({"2026-11-22"}));
  EXPECT_EQ(r["not_failed"], Json::array({"2026-11-20"}));
  EXPECT_EQ(scheduler_.task(failed_)->state, TaskState::kFailed);
  EXPECT_EQ(state_.failed.count("2026-11-01"), 1u);
  absl::StatusOr<RunState> file = LoadRunState(tmp_.path() + "/state.json");
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->requeue, std::set<std::string>({"2026-11-22"}));
}

TEST_F(ControlServerTest, DrainByNameOrHexRoutingId) {
  EXPECT_EQ(Ask(R"({"command":"drain","worker":"a:1"})")["draining"], 1);
  EXPECT_TRUE(scheduler_.workers().begin()->second.draining);
  EXPECT_EQ(Ask(R"({"command":"drain","worker":"worker 0080000041"})")["ok"], true);
  EXPECT_TRUE(Ask(R"({"command":"drain","worker":"nobody"})").contains("error"));
}

TEST_F(ControlServerTest, MalformedRequestsGetAnError) {
  for (const char* request :
       {"", "not json", "[1,2]", "\"status\"", "{}", R"({"command":5})", R"({"command":"nope"})",
        R"({"command":"requeue"})", R"({"command":"requeue","failed":true,"directories":["x"]})",
        R"({"command":"requeue","directories":[]})", R"({"command":"requeue","directories":[1]})",
        R"({"command":"requeue","directories":"2026-11-22"})", R"({"command":"drain"})",
        R"({"command":"drain","worker":7})", "{\"command\":\"\xff\xfe\"}"}) {
    const Json reply = Ask(request);
    EXPECT_TRUE(reply.contains("error")) << request << " -> " << reply.dump();
  }
  EXPECT_EQ(scheduler_.task(failed_)->state, TaskState::kFailed);  // nothing changed
}

TEST(ControlEndpointTest, TooLongForAUnixSocket) {
  EXPECT_EQ(ControlEndpoint("/srv/ct"), "ipc:///srv/ct/state/control.ipc");
  EXPECT_FALSE(ControlEndpoint("/" + std::string(100, 'x')).has_value());
}

}  // namespace
}  // namespace ctmr::service
