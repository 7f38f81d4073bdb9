// Hostile files and operators against the real binaries: concurrent report
// writers, tallies cut short at every field boundary, key files' modes.
// (Workers that lie or cannot see the disk: distributed_test.)
#include <sys/stat.h>
#include <sys/wait.h>

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/test_support.h"

namespace {

using ::ctmr::testing::BinaryPath;
using ::ctmr::testing::CopyTree;
using ::ctmr::testing::ReadFile;
using ::ctmr::testing::RunCommand;
using ::ctmr::testing::StartProcessLogged;
using ::ctmr::testing::TempDir;
using ::ctmr::testing::WaitProcess;
using ::ctmr::testing::WriteFile;
using Json = nlohmann::json;

constexpr char kAsOf[] = "2026-11-26";

class HostileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto gen = RunCommand({BinaryPath("ct-gen"), "--out", root_, "--certs", "1500", "--days", "12",
                           "--first-date", "2026-11-20", "--as-of", kAsOf, "--seed", "11",
                           "--window-days", "0", "--edge-cases"});
    ASSERT_EQ(gen.exit_code, 0) << gen.output;
  }

  std::vector<std::string> Reduce(const std::string& root, const std::string& as_of,
                                  const std::string& out) {
    return ctmr::testing::ReduceArgv(root, as_of, out, {"--threads", "1"});
  }

  TempDir tmp_;
  const std::string root_ = tmp_.path() + "/root";
};

// history.json is read, changed and written by every run: two runs writing
// one folder at once lost records (4 of 20 tries) until they took turns.
TEST_F(HostileTest, ConcurrentReportWritersKeepEveryRun) {
  const std::string out = tmp_.path() + "/reports";
  auto first = RunCommand(Reduce(root_, kAsOf, out));  // maps every directory
  ASSERT_EQ(first.exit_code, 0) << first.output;
  std::set<std::string> want = {kAsOf};
  for (int i = 0; i < 20; ++i) {
    std::vector<pid_t> pids;
    for (int k = 0; k < 2; ++k) {
      // Two dates per round: 2026-09-DD and 2026-10-DD.
      const std::string date = absl::StrCat(k == 0 ? "2026-09-" : "2026-10-", 10 + i);
      want.insert(date);
      pids.push_back(
          StartProcessLogged(Reduce(root_, date, out), absl::StrCat(tmp_.path(), "/r", i, k)));
    }
    for (pid_t pid : pids) ASSERT_EQ(WaitProcess(pid), 0);
  }
  const Json history = Json::parse(ReadFile(out + "/history.json"));
  std::set<std::string> got;
  for (const Json& run : history["runs"]) got.insert(run["as_of"].get<std::string>());
  EXPECT_EQ(got, want);
  // The TSV agrees with the history: a row with active counts for each run.
  std::set<std::string> rows;
  for (absl::string_view line : absl::StrSplit(ReadFile(out + "/cert-daily-stats.tsv"), '\n')) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    if (f.size() >= 4 && f[0] != "date" && f[3] != "NULL") rows.insert(f[0]);
  }
  EXPECT_EQ(rows, want);
}

// A tally cut at any top-level field boundary still parses as a protobuf and
// once passed as a smaller, current tally (an undercount with exit 0). Now:
// `report` (which maps nothing) fails it by name; `reduce` maps it again and
// counts exactly.
TEST_F(HostileTest, ATallyCutAtAnyFieldBoundaryIsRemappedOrFailedByName) {
  const std::string want_out = tmp_.path() + "/want";
  auto want = RunCommand(Reduce(root_, kAsOf, want_out));
  ASSERT_EQ(want.exit_code, 0) << want.output;
  const Json want_summary = Json::parse(ReadFile(want_out + "/summary.json"));
  // The directory with the most issuers: many boundaries.
  const std::string dir = root_ + "/2026-11-27";
  const std::string good = ReadFile(dir + "/oracle.out");
  ASSERT_GT(good.size(), 32u);
  // Top-level fields: tag byte, varint, bytes (format_version's varint is its value).
  std::vector<size_t> cuts;
  const std::string payload = good.substr(0, good.size() - 32);
  for (size_t at = 0; at < payload.size();) {
    cuts.push_back(at);
    const uint8_t tag = static_cast<uint8_t>(payload[at++]);
    uint64_t v = 0;
    for (int shift = 0;; shift += 7) {
      const uint8_t b = static_cast<uint8_t>(payload[at++]);
      v |= uint64_t{b & 0x7fu} << shift;
      if ((b & 0x80) == 0) break;
    }
    if ((tag & 7) == 2) at += v;
  }
  cuts.push_back(payload.size());  // the payload without its trailer
  ASSERT_GE(cuts.size(), 4u);
  for (size_t cut : cuts) {
    SCOPED_TRACE(absl::StrCat("cut at ", cut, " of ", good.size()));
    // report: failed by name, never counted.
    const std::string root = tmp_.path() + absl::StrCat("/cut", cut);
    CopyTree(root_, root);
    WriteFile(root + "/2026-11-27/oracle.out", good.substr(0, cut));
    auto report = RunCommand({BinaryPath("ct-coordinator"), "report", "--data-dir", root, "--out",
                              root + "/report-out", "--as-of", kAsOf, "--window-days", "0"});
    EXPECT_EQ(report.exit_code, 1) << report.output;  // a directory failed
    const Json s = Json::parse(ReadFile(root + "/report-out/summary.json"));
    EXPECT_NE(s.dump().find("2026-11-27"), std::string::npos) << "not failed by name";
    // reduce: mapped again, exact.
    auto reduce = RunCommand(Reduce(root, kAsOf, root + "/reduce-out"));
    EXPECT_EQ(reduce.exit_code, 0) << reduce.output;
    const Json r = Json::parse(ReadFile(root + "/reduce-out/summary.json"));
    EXPECT_EQ(r["totals"], want_summary["totals"]);
    ctmr::testing::RunCommand({"/bin/rm", "-rf", root});
  }
}

// The secret key is 0600 from its creation (it was 0644 until a chmod after
// the rename), whatever the umask.
TEST_F(HostileTest, KeygenWritesTheSecretKeyOwnerOnly) {
  const mode_t old = ::umask(0);
  auto r = RunCommand({BinaryPath("ct-coordinator"), "keygen", "--out", tmp_.path() + "/k"});
  ::umask(old);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  struct stat st;
  ASSERT_EQ(::stat((tmp_.path() + "/k.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((tmp_.path() + "/k.pub").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

// On a data root mounted read-only, ct-fetch said "another ct-fetch holds
// ..."; it must name the real cause. Needs root and mount namespaces.
TEST_F(HostileTest, AReadOnlyDataRootIsNamedAsSuch) {
  const std::string ro = tmp_.path() + "/ro";
  ASSERT_EQ(::mkdir(ro.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((ro + "/state").c_str(), 0755), 0);
  const std::string script = absl::StrCat(
      "set -e; openssl ecparam -genkey -name prime256v1 -noout -out ", tmp_.path(), "/k.pem; ",
      "key=$(openssl pkey -in ", tmp_.path(), "/k.pem -pubout -outform DER | base64 -w0); ",
      "mount --bind ", ro, " ", ro, " && mount -o remount,bind,ro ", ro, " || exit 77; ",
      BinaryPath("ct-fetch"), " --data-dir ", ro,
      " --rfc6962-log http://127.0.0.1:9/ --log-key \"$key\" --once");
  auto r = RunCommand({"/usr/bin/unshare", "-m", "/bin/sh", "-c", script});
  if (r.exit_code == 77 || r.output.find("unshare failed") != std::string::npos) {
    GTEST_SKIP() << "no mount namespace here: " << r.output;
  }
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("Read-only file system"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("another ct-fetch"), std::string::npos) << r.output;
}

}  // namespace
