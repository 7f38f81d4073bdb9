// ct-fetch killed with SIGKILL at ten random moments of a 100,981-entry fetch,
// and restarted each time: the state only moves forward, the last run
// finishes the log, every entry is written (a killed run's uncommitted round
// may be written twice: the map de-duplicates, DESIGN.md §2), and the
// map/reduce numbers are those of an uninterrupted run, ct-gen's known answers.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/fetcher/fetch_scale_harness.h"
#include "tests/support/test_support.h"

namespace ctmr::testing {
namespace {

constexpr int kKills = 10;
// A round is --parallel 4 windows of --batch 256 entries (RFC 6962) or 4
// tiles of 256 (tiled), and --sync-entries 1024 syncs (files fsync'd, state
// saved) after every round: what a kill can cost in re-appended entries.
constexpr int64_t kRoundEntries = 4 * 256;

class FetchCrashTest : public ::testing::TestWithParam<Api> {};

TEST_P(FetchCrashTest, KilledTenTimesThenFinishedLandsEveryEntry) {
  const Api api = GetParam();
  TempDir tmp;
  const GeneratedLog log = BigLog(tmp.path());
  const std::vector<ManifestEntry> manifest = ReadManifest(log.log_dir);
  const int64_t n = static_cast<int64_t>(manifest.size());
  ASSERT_GE(n, 100000);
  const KeyPair key = MakeKeyPair(tmp.path(), "log-key");
  LogServer server(tmp.path() + "/server.log");
  ASSERT_TRUE(server.Start({"--log-dir", log.log_dir, "--sign-key", key.pem_path}));
  const std::string root = tmp.path() + "/root";
  const std::vector<std::string> argv =
      FetchArgv(api, server.url(), root, key.spki_base64,
                {"--parallel", "4", "--batch", "256", "--sync-entries", "1024"});

  // Each kill comes once the state has passed a random point of the log, plus
  // a random part of a round's duration (measured between the state's last
  // two moves): anywhere in a round — downloading, verifying, appending,
  // fsyncing, replacing the state file. The points stop at 90 % of the log and
  // the delay at the time the measured rate needs for 5 % of it, so the run is
  // still going when it is killed however fast the machine.
  const unsigned seed = api == Api::kRfc6962 ? 6962 : 4242;
  std::mt19937 rng(seed);
  std::vector<int64_t> targets;
  targets.reserve(kKills);
  std::uniform_int_distribution<int64_t> at(n / 50, n * 90 / 100);
  for (int i = 0; i < kKills; ++i) targets.push_back(at(rng));
  std::sort(targets.begin(), targets.end());
  std::uniform_real_distribution<double> part_of_round(0, 1);

  int kills = 0;
  int64_t last_next = -1;
  double round_seconds = 0.5;
  double rate = 0;  // entries per second between the state's last two moves
  for (int64_t target : targets) {
    const pid_t pid = StartProcessLogged(argv, tmp.path() + "/fetch.log");
    bool exited = false;
    int64_t seen = StateNextIndex(root);
    auto moved = std::chrono::steady_clock::now();
    WaitFor(120, [&] {
      if (::waitpid(pid, nullptr, WNOHANG) == pid) exited = true;
      const int64_t next = StateNextIndex(root);
      if (next != seen) {
        const auto now = std::chrono::steady_clock::now();
        round_seconds = std::chrono::duration<double>(now - moved).count();
        if (seen >= 0 && round_seconds > 0) rate = (next - seen) / round_seconds;
        moved = now;
        seen = next;
      }
      return exited || next >= target;
    });
    ASSERT_FALSE(exited) << "ct-fetch ended before it was killed:\n"
                         << ReadFile(tmp.path() + "/fetch.log");
    const double cap = rate > 0 ? std::min(round_seconds, 0.05 * n / rate) : round_seconds;
    const double delay = part_of_round(rng) * std::min(cap, 5.0);
    std::this_thread::sleep_for(std::chrono::duration<double>(delay));
    ::kill(pid, SIGKILL);
    if (WaitProcess(pid) == -SIGKILL) ++kills;
    const int64_t next = StateNextIndex(root);
    std::cout << "killed " << delay << " s after next_index passed " << target << " (round "
              << round_seconds << " s); next_index now " << next << "\n";
    EXPECT_GE(next, last_next) << "the state went back";
    last_next = next;
  }
  EXPECT_EQ(kills, kKills);

  const ChildRun run = RunBounded(argv, 300);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(StateNextIndex(root), n);

  // Every entry at least as often as the log holds it; no certificate that it
  // does not hold; at most one round re-appended per kill.
  uint64_t unparseable = 0;
  const std::map<std::string, int> written = WrittenCertificates(root, &unparseable);
  const std::map<std::string, int> want = CountDigests(manifest, 0, manifest.size());
  // A kill can tear the block being appended (SIGKILL ends a write() between
  // pages); the next run cuts it (TornBlockIsNotLeftInTheData below).
  EXPECT_EQ(unparseable, 0u);
  int64_t missing = 0, unknown = 0, total = 0;
  for (const auto& [digest, count] : want) {
    auto it = written.find(digest);
    missing += std::max(0, count - (it == written.end() ? 0 : it->second));
  }
  for (const auto& [digest, count] : written) {
    total += count;
    if (!want.count(digest)) unknown += count;
  }
  EXPECT_EQ(missing, 0);
  EXPECT_EQ(unknown, 0);
  std::cout << total - n << " entries written twice after " << kills << " kills\n";
  EXPECT_LE(total - n, kills * kRoundEntries);
  ExpectReduceMatchesKnownAnswers(root, log);
}

INSTANTIATE_TEST_SUITE_P(BothApis, FetchCrashTest, ::testing::Values(Api::kRfc6962, Api::kTiled),
                         [](const ::testing::TestParamInfo<Api>& info) {
                           return info.param == Api::kRfc6962 ? "Rfc6962" : "Tiled";
                         });

// What a kill in the middle of an append leaves: the first half of a block at
// the end of a file, whose entry the state does not cover. The next run
// re-appends that entry after it; the torn half must not stay in the data as a
// block that is not a certificate (errors.unparseable_blocks of every report).
TEST(FetchTornBlockTest, TornBlockIsNotLeftInTheData) {
  TempDir tmp;
  const GeneratedLog log = MakeGeneratedLog(tmp.path() + "/gen", 1000);
  const KeyPair key = MakeKeyPair(tmp.path(), "log-key");
  const SharedListener port;
  const std::string half = tmp.path() + "/half";
  ASSERT_EQ(RunCommand({"/bin/mkdir", "-p", half}).exit_code, 0);
  ASSERT_EQ(::symlink((log.log_dir + "/entries.jsonl").c_str(), (half + "/entries.jsonl").c_str()),
            0);
  ASSERT_EQ(::symlink((log.log_dir + "/issuers").c_str(), (half + "/issuers").c_str()), 0);
  WriteFile(half + "/log.json",
            "{\"origin\": \"" + std::string(kBigLogOrigin) + "\", \"tree_size\": 500}\n");
  const std::string root = tmp.path() + "/root";
  {
    LogServer server(tmp.path() + "/half-server.log", &port);
    ASSERT_TRUE(server.Start({"--log-dir", half, "--sign-key", key.pem_path}));
    const ChildRun run =
        RunBounded(FetchArgv(Api::kTiled, server.url(), root, key.spki_base64), 120);
    ASSERT_EQ(run.exit_code, 0) << run.output;
  }
  // Tear: the first half of a block (a copy of the file's first) at its end.
  std::string file;
  for (const std::string& date : ListDir(root)) {
    for (const std::string& name : ListDir(absl::StrCat(root, "/", date))) {
      if (file.empty() && absl::EndsWith(name, ".pem"))
        file = absl::StrCat(root, "/", date, "/", name);
    }
  }
  ASSERT_FALSE(file.empty());
  const std::string text = ReadFile(file);
  const size_t end = text.find("-----END CERTIFICATE-----\n");
  ASSERT_NE(end, std::string::npos);
  AppendFile(file, text.substr(0, end / 2));

  LogServer server(tmp.path() + "/server.log", &port);
  ASSERT_TRUE(server.Start({"--log-dir", log.log_dir, "--sign-key", key.pem_path}));
  const ChildRun run = RunBounded(FetchArgv(Api::kTiled, server.url(), root, key.spki_base64), 120);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  uint64_t unparseable = 0;
  WrittenCertificates(root, &unparseable);
  EXPECT_EQ(unparseable, 0u) << "the torn block is still in " << file;
  ExpectReduceMatchesKnownAnswers(root, log);
}

}  // namespace
}  // namespace ctmr::testing
