// ct-fetch following four logs at once (two RFC 6962, two tiled), served by
// four real test log servers with their own keys, all holding the same
// generated certificates (as real logs do: a certificate is in several logs),
// so that the followers append to the same files concurrently.
//
// - Two of the logs answer nothing until the test releases them, then answer
//   every request after a delay: the other two must reach their tree size
//   while those are held (the order of events, not wall-clock times).
// - ct-fetch is killed with SIGKILL at ten random moments and restarted: no
//   state goes back, nothing is missing, each certificate is stored once (the
//   compact format's de-duplication across logs, rebuilt after each kill from
//   what the segments hold) but for at most the entries since the last sync,
//   no torn block remains, and the map/reduce numbers are ct-gen's known
//   answers (an uninterrupted run's).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/fetcher/fetch_scale_harness.h"
#include "tests/support/test_support.h"

namespace ctmr::testing {
namespace {

constexpr int kLogs = 4;

// Four servers of one generated log, each with its own key (its own log ID,
// so its own state file), and the Chrome v3 log list that names them: logs 0
// and 1 through the RFC 6962 API, 2 and 3 through the tiled API.
class FourLogs {
 public:
  FourLogs(const std::string& dir, const GeneratedLog& log,
           const std::vector<std::vector<std::string>>& extra_server_args)
      : dir_(dir) {
    nlohmann::json rfc6962 = nlohmann::json::array();
    nlohmann::json tiled = nlohmann::json::array();
    for (int i = 0; i < kLogs; ++i) {
      const KeyPair key = MakeKeyPair(dir, absl::StrCat("key", i));
      servers_.push_back(std::make_unique<LogServer>(absl::StrCat(dir, "/server", i, ".log")));
      std::vector<std::string> args = {"--log-dir", log.log_dir, "--sign-key", key.pem_path};
      args.insert(args.end(), extra_server_args[i].begin(), extra_server_args[i].end());
      started_ = started_ && servers_.back()->Start(args);
      const std::string name = absl::StrCat("log", i);
      nlohmann::json state = {{"usable", {{"timestamp", "2025-01-01T00:00:00Z"}}}};
      if (i < 2) {
        rfc6962.push_back({{"description", name},
                           {"key", key.spki_base64},
                           {"url", servers_.back()->url() + "/"},
                           {"mmd", 86400},
                           {"state", state}});
      } else {
        // The origin comes from the submission URL (log_list.h).
        tiled.push_back({{"description", name},
                         {"key", key.spki_base64},
                         {"submission_url", absl::StrCat("https://", kBigLogOrigin, "/")},
                         {"monitoring_url", servers_.back()->url()},
                         {"mmd", 60},
                         {"state", state}});
      }
    }
    list_path_ = dir + "/log_list.json";
    WriteFile(list_path_, nlohmann::json({{"version", "1.0"},
                                          {"operators",
                                           {{{"name", "Test operator"},
                                             {"email", {"ct@example.org"}},
                                             {"logs", rfc6962},
                                             {"tiled_logs", tiled}}}}})
                              .dump());
  }

  bool started() const { return started_; }
  const std::string& list_path() const { return list_path_; }

  std::vector<std::string> FetchArgv(const std::string& root,
                                     const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> argv = {BinaryPath("ct-fetch"), "--data-dir", root,
                                     "--log-list",           list_path_,   "--once",
                                     "--include-expired"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }

 private:
  std::string dir_;
  std::vector<std::unique_ptr<LogServer>> servers_;
  bool started_ = true;
  std::string list_path_;
};

// next_index of every state file under ROOT/state, by file name.
std::map<std::string, int64_t> NextIndexes(const std::string& root) {
  std::map<std::string, int64_t> out;
  const std::string dir = root + "/state";
  for (const std::string& name : ListDir(dir)) {
    if (name.size() < 5 || name.substr(name.size() - 5) != ".json") continue;
    const nlohmann::json j =
        nlohmann::json::parse(ReadFile(dir + "/" + name), nullptr, /*allow_exceptions=*/false);
    if (j.is_object() && j.contains("next_index")) out[name] = j["next_index"].get<int64_t>();
  }
  return out;
}

int CountAt(const std::map<std::string, int64_t>& states, int64_t n) {
  return static_cast<int>(
      std::count_if(states.begin(), states.end(), [n](const auto& s) { return s.second == n; }));
}

// The compact format (the default) with four logs of the same certificates:
// no block torn, no certificate that the log does not hold, and each
// (date, issuer, serial) stored once; *extra_copies counts the copies beyond
// one. That none is missing is ExpectReduceMatchesKnownAnswers' part.
void ExpectEachCertificateStoredOnce(const std::string& root,
                                     const std::vector<ManifestEntry>& manifest,
                                     int64_t* extra_copies) {
  uint64_t unparseable = 0;
  const std::map<std::string, int> written = WrittenCertificates(root, &unparseable);
  const std::map<std::string, int> want = CountDigests(manifest, 0, manifest.size());
  EXPECT_EQ(unparseable, 0u);
  int64_t unknown = 0;
  for (const auto& [digest, count] : written) {
    if (!want.count(digest)) unknown += count;
  }
  EXPECT_EQ(unknown, 0);
  *extra_copies = 0;
  for (const auto& [serial, count] : WrittenSerials(root)) *extra_copies += count - 1;
}

TEST(FetchConcurrentTest, HeldLogsDoNotHoldUpTheOthers) {
  TempDir tmp;
  const GeneratedLog log = MakeGeneratedLog(tmp.path() + "/gen", 2000);
  const std::vector<ManifestEntry> manifest = ReadManifest(log.log_dir);
  const int64_t n = static_cast<int64_t>(manifest.size());
  // Logs 0 (RFC 6962) and 2 (tiled) are listed first and answer nothing until
  // the release file exists, then every request after 200 ms.
  const std::string release = tmp.path() + "/release";
  const std::vector<std::string> slow = {"--hold-until-file", release, "--delay-ms", "200"};
  FourLogs logs(tmp.path(), log, {slow, {}, slow, {}});
  ASSERT_TRUE(logs.started());
  const std::string root = tmp.path() + "/root";
  const std::string out = tmp.path() + "/fetch.log";
  const pid_t pid = StartProcessLogged(logs.FetchArgv(root, {"--batch", "256"}), out);

  // Event 1: both free logs reach their tree size, while ct-fetch still runs
  // (the held logs cannot have finished: they have not answered once).
  bool exited = false;
  ASSERT_TRUE(WaitFor(120, [&] {
    exited = exited || ::waitpid(pid, nullptr, WNOHANG) == pid;
    return exited || CountAt(NextIndexes(root), n) == 2;
  })) << ReadFile(out);
  ASSERT_FALSE(exited) << ReadFile(out);
  EXPECT_EQ(NextIndexes(root).size(), 2u) << "a held log saved a state before its release";

  // Event 2: released, the held logs finish too, and ct-fetch --once exits 0.
  WriteFile(release, "");
  EXPECT_EQ(WaitProcess(pid), 0) << ReadFile(out);
  const std::map<std::string, int64_t> states = NextIndexes(root);
  EXPECT_EQ(states.size(), static_cast<size_t>(kLogs));
  EXPECT_EQ(CountAt(states, n), kLogs) << ReadFile(out);
  int64_t extra = 0;
  ExpectEachCertificateStoredOnce(root, manifest, &extra);
  EXPECT_EQ(extra, 0);
  ExpectReduceMatchesKnownAnswers(root, log);
}

// Long-running, with two logs that never answer: SIGTERM stops every log —
// the held ones' requests are cut short rather than waited out for the stall
// timeout — and ct-fetch exits 0 with the free logs' states at their tree size.
TEST(FetchConcurrentTest, SigtermStopsEveryLogEvenOneThatNeverAnswers) {
  TempDir tmp;
  const GeneratedLog log = MakeGeneratedLog(tmp.path() + "/gen", 500);
  const int64_t n = static_cast<int64_t>(ReadManifest(log.log_dir).size());
  const std::vector<std::string> held = {"--hold-until-file", tmp.path() + "/never"};
  FourLogs logs(tmp.path(), log, {held, {}, held, {}});
  ASSERT_TRUE(logs.started());
  const std::string root = tmp.path() + "/root";
  const std::string out = tmp.path() + "/fetch.log";
  std::vector<std::string> argv = logs.FetchArgv(root, {"--poll-seconds", "3600"});
  argv.erase(std::find(argv.begin(), argv.end(), "--once"));
  const pid_t pid = StartProcessLogged(argv, out);
  ASSERT_TRUE(WaitFor(120, [&] { return CountAt(NextIndexes(root), n) == 2; })) << ReadFile(out);
  ::kill(pid, SIGTERM);
  // The stall timeout is 30 s: an exit well before it was not waiting it out.
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(WaitProcess(pid), 0) << ReadFile(out);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20)) << ReadFile(out);
  EXPECT_EQ(CountAt(NextIndexes(root), n), 2);
  EXPECT_EQ(ReadFile(out).find("failed"), std::string::npos) << ReadFile(out);
}

TEST(FetchConcurrentTest, KilledTenTimesWhileFollowingFourLogs) {
  constexpr int kKills = 10;
  TempDir tmp;
  const GeneratedLog log = MakeGeneratedLog(tmp.path() + "/gen", 20000);
  const std::vector<ManifestEntry> manifest = ReadManifest(log.log_dir);
  const int64_t n = static_cast<int64_t>(manifest.size());
  FourLogs logs(tmp.path(), log, {{}, {}, {}, {}});
  ASSERT_TRUE(logs.started());
  const std::string root = tmp.path() + "/root";
  // --sync-entries 1024: a round (4 × 256) at a time is made durable; a kill
  // re-appends at most the uncommitted round of each log.
  const std::vector<std::string> argv =
      logs.FetchArgv(root, {"--parallel", "4", "--batch", "256", "--sync-entries", "1024"});
  constexpr int64_t kRoundEntries = 4 * 256;

  std::mt19937 rng(4444);
  std::uniform_int_distribution<int64_t> at(kLogs * n / 50, kLogs * n * 85 / 100);
  std::vector<int64_t> targets;
  for (int i = 0; i < kKills; ++i) targets.push_back(at(rng));
  std::sort(targets.begin(), targets.end());
  std::uniform_int_distribution<int> delay_ms(0, 300);
  auto total = [](const std::map<std::string, int64_t>& states) {
    int64_t sum = 0;
    for (const auto& [name, next] : states) sum += next;
    return sum;
  };

  int kills = 0;
  std::map<std::string, int64_t> last;
  for (int64_t target : targets) {
    const pid_t pid = StartProcessLogged(argv, tmp.path() + "/fetch.log");
    bool exited = false;
    WaitFor(120, [&] {
      exited = exited || ::waitpid(pid, nullptr, WNOHANG) == pid;
      return exited || total(NextIndexes(root)) >= target;
    });
    ASSERT_FALSE(exited) << "ct-fetch ended before it was killed:\n"
                         << ReadFile(tmp.path() + "/fetch.log");
    // Anywhere in a round: fetching, verifying, appending, syncing, saving.
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    ::kill(pid, SIGKILL);
    if (WaitProcess(pid) == -SIGKILL) ++kills;
    const std::map<std::string, int64_t> now = NextIndexes(root);
    for (const auto& [name, next] : last) {
      EXPECT_GE(now.at(name), next) << name << ": the state went back";
    }
    std::cout << "killed at " << total(now) << " entries of " << kLogs * n << " (target " << target
              << ")\n";
    last = now;
  }
  EXPECT_EQ(kills, kKills);

  const ChildRun run = RunBounded(argv, 300);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(CountAt(NextIndexes(root), n), kLogs) << run.output;
  int64_t extra = 0;
  ExpectEachCertificateStoredOnce(root, manifest, &extra);
  std::cout << extra << " certificates stored twice after " << kills << " kills\n";
  EXPECT_LE(extra, kills * kLogs * kRoundEntries);
  ExpectReduceMatchesKnownAnswers(root, log);
}

}  // namespace
}  // namespace ctmr::testing
