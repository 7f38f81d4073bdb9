#include "coordinator/service/run_options.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/support/test_support.h"

namespace ctmr::service {
namespace {

TEST(RunOptionsTest, FillsInTheDefaultsUnderTheDataRoot) {
  ctmr::testing::TempDir root;
  RunOptions o;
  o.data_dir = root.path() + "/";
  ASSERT_TRUE(PrepareRunOptions(o).ok());
  EXPECT_EQ(o.data_dir, root.path());
  EXPECT_EQ(o.out_dir, root.path() + "/reports");
  EXPECT_EQ(o.bind, "ipc://" + root.path() + "/state/coordinator.ipc");
}

TEST(RunOptionsTest, RefusesWhatCannotWorkNamingTheFlag) {
  ctmr::testing::TempDir root;
  auto refused = [&](RunOptions o, const std::string& flag) {
    if (o.data_dir.empty()) o.data_dir = root.path();
    const absl::Status s = PrepareRunOptions(o);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << flag;
    EXPECT_NE(s.message().find(flag), std::string::npos) << s;
  };
  RunOptions missing;
  missing.data_dir = root.path() + "/nope";
  refused(missing, "--data-dir");
  RunOptions open;
  open.bind = "tcp://0.0.0.0:5555";  // reachable from other machines, no CURVE
  refused(open, "--curve-secret-key");
  RunOptions half;
  half.curve_secret_key = root.path() + "/c.key";
  refused(half, "--authorized-keys");
  RunOptions lease;
  lease.lease_s = 0;
  refused(lease, "--lease");
  RunOptions timeout;
  timeout.task_timeout_s = -1;
  refused(timeout, "--task-timeout");
  RunOptions heartbeat;
  heartbeat.heartbeat_ms = 1;
  refused(heartbeat, "--heartbeat-ms");
}

TEST(RunOptionsTest, InsecureAllowsAnOpenBindOnRequest) {
  ctmr::testing::TempDir root;
  RunOptions o;
  o.data_dir = root.path();
  o.bind = "tcp://0.0.0.0:5555";
  o.insecure = true;
  EXPECT_TRUE(PrepareRunOptions(o).ok());
}

}  // namespace
}  // namespace ctmr::service
