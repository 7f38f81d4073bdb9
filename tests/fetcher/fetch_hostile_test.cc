// Hostile servers at the ct-fetch level (http_client_test.cc covers the same at
// the client level): a body past the size limit, a gzip bomb, a body that
// stalls, a tree head that shrinks. ct-fetch has already followed half of a
// small generated log; against the hostile server it must exit non-zero
// after a bounded number of requests (counted by the server) in bounded
// memory, say what went wrong, and leave its state file and the data it wrote
// as they were. How long each run takes is printed, not asserted
// (bench/hostile_fetch_timing.sh measures it).
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "tests/fetcher/fetch_scale_harness.h"
#include "tests/support/test_support.h"

namespace ctmr::testing {
namespace {

constexpr int kHalf = 1000;  // entries fetched before the server turns hostile
// ct-fetch's body limit is 64 MiB (HttpClientOptions::max_body_bytes); a
// client that holds at most one such body stays well under this (under
// AddressSanitizer, its shadow memory and quarantine of freed blocks add more).
#if defined(__SANITIZE_ADDRESS__)
constexpr int64_t kMaxRssKib = 768 * 1024;
#else
constexpr int64_t kMaxRssKib = 192 * 1024;
#endif
// Only a hang guard: a run still going after this is killed and fails by its exit code.
constexpr double kWatchdogSeconds = 300;

const char* Name(Api api) { return api == Api::kRfc6962 ? "RFC 6962" : "tiled"; }

// A line count of `needle` in `text`.
int Count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// A count from the server's /_test/stats ("requests", "head_requests",
// "cut_short"), or -1.
int64_t Stat(const LogServer& server, const std::string& key) {
  const nlohmann::json stats = nlohmann::json::parse(server.Stats(), nullptr, false);
  return stats.is_object() && stats.contains(key) ? stats[key].get<int64_t>() : -1;
}

// Peak resident set of a running process, from /proc (0 if gone).
int64_t PeakRssKib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, "VmHWM:")) return std::stoll(line.substr(6));
  }
  return 0;
}

class FetchHostileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log_ = MakeGeneratedLog(tmp_.path() + "/gen", 2000);
    key_ = MakeKeyPair(tmp_.path(), "log-key");
    // The first kHalf entries, served from the same entries.jsonl.
    const std::string half = tmp_.path() + "/half";
    ASSERT_EQ(RunCommand({"/bin/mkdir", "-p", half}).exit_code, 0);
    ASSERT_EQ(
        ::symlink((log_.log_dir + "/entries.jsonl").c_str(), (half + "/entries.jsonl").c_str()), 0);
    ASSERT_EQ(::symlink((log_.log_dir + "/issuers").c_str(), (half + "/issuers").c_str()), 0);
    WriteFile(half + "/log.json", "{\"origin\": \"" + std::string(kBigLogOrigin) +
                                      "\", \"tree_size\": " + std::to_string(kHalf) + "}\n");
    LogServer server(tmp_.path() + "/half-server.log", &listener_);
    ASSERT_TRUE(server.Start({"--log-dir", half, "--sign-key", key_.pem_path}));
    for (Api api : {Api::kRfc6962, Api::kTiled}) {
      const ChildRun run =
          RunBounded(FetchArgv(api, server.url(), Root(api), key_.spki_base64), 120);
      ASSERT_EQ(run.exit_code, 0) << Name(api) << ": " << run.output;
      ASSERT_EQ(StateNextIndex(Root(api)), kHalf) << Name(api);
      state_[api] = ReadFile(StateFile(Root(api)));
      written_[api] = WrittenCertificates(Root(api));
    }
  }

  std::string Root(Api api) const {
    return tmp_.path() + (api == Api::kRfc6962 ? "/rfc6962" : "/tiled");
  }

  // The state file and the certificates written are those of SetUp().
  void ExpectUntouched(Api api) {
    EXPECT_EQ(ReadFile(StateFile(Root(api))), state_[api]) << Name(api) << ": state changed";
    EXPECT_EQ(WrittenCertificates(Root(api)), written_[api]) << Name(api) << ": data changed";
  }

  // Runs ct-fetch for each API against a server started with `flags` (the
  // whole log); each must fail at its first request, without retrying it, in
  // bounded memory, saying `message`. With `hangs_up`, ct-fetch must also
  // close the connection before the server has sent the whole body.
  void ExpectRefusedAtFirstRequest(const std::vector<std::string>& flags,
                                   const std::string& message, bool hangs_up) {
    LogServer server(tmp_.path() + "/server.log", &listener_);
    std::vector<std::string> args = {"--log-dir", log_.log_dir, "--sign-key", key_.pem_path};
    args.insert(args.end(), flags.begin(), flags.end());
    ASSERT_TRUE(server.Start(args));
    int64_t runs = 0;
    for (Api api : {Api::kRfc6962, Api::kTiled}) {
      SCOPED_TRACE(Name(api));
      const ChildRun run =
          RunBounded(FetchArgv(api, server.url(), Root(api), key_.spki_base64), kWatchdogSeconds);
      ++runs;
      std::cout << Name(api) << ": exit " << run.exit_code << " in " << run.seconds
                << " s, peak RSS " << run.max_rss_kib << " KiB\n";
      EXPECT_EQ(run.exit_code, 1) << run.output;
      EXPECT_EQ(Stat(server, "requests"), runs) << server.Stats();
      if (hangs_up) {
        // The server sees the hang-up at its next write.
        EXPECT_TRUE(WaitFor(30, [&] { return Stat(server, "cut_short") == runs; }))
            << server.Stats();
      }
      EXPECT_LT(run.max_rss_kib, kMaxRssKib);
      EXPECT_NE(run.output.find(message), std::string::npos) << run.output;
      ExpectUntouched(api);
    }
  }

  TempDir tmp_;
  const SharedListener listener_;
  GeneratedLog log_;
  KeyPair key_;
  std::map<Api, std::string> state_;
  std::map<Api, std::map<std::string, int>> written_;
};

TEST_F(FetchHostileTest, BodyPastTheSizeLimit) {
  ExpectRefusedAtFirstRequest({"--oversize-body", "--oversize-bytes", std::to_string(1 << 30)},
                              "exceeds the limit", /*hangs_up=*/true);
}

TEST_F(FetchHostileTest, GzipBomb) {
  // 1 GiB of zeros, about 1 MiB on the wire: the server may well have sent it
  // all before ct-fetch has inflated past its limit.
  ExpectRefusedAtFirstRequest({"--gzip-bomb", "--gzip-bomb-mib", "1024"}, "exceeds the limit",
                              /*hangs_up=*/false);
}

// From its second head on, the server signs a head of half the tree. The
// first run catches up to the whole log; the second is refused at its head.
TEST_F(FetchHostileTest, ShrinkingTreeHead) {
  for (Api api : {Api::kRfc6962, Api::kTiled}) {
    SCOPED_TRACE(Name(api));
    LogServer server(tmp_.path() + "/server.log", &listener_);
    ASSERT_TRUE(
        server.Start({"--log-dir", log_.log_dir, "--sign-key", key_.pem_path, "--shrink-tree"}));
    ChildRun run = RunBounded(FetchArgv(api, server.url(), Root(api), key_.spki_base64), 120);
    ASSERT_EQ(run.exit_code, 0) << run.output;
    state_[api] = ReadFile(StateFile(Root(api)));
    written_[api] = WrittenCertificates(Root(api));
    const int64_t heads = Stat(server, "head_requests");
    const int64_t requests = Stat(server, "requests");
    run = RunBounded(FetchArgv(api, server.url(), Root(api), key_.spki_base64), kWatchdogSeconds);
    std::cout << "exit " << run.exit_code << " in " << run.seconds << " s\n";
    EXPECT_EQ(run.exit_code, 1) << run.output;
    // One head, refused: nothing else asked for, nothing retried.
    EXPECT_EQ(Stat(server, "head_requests"), heads + 1) << server.Stats();
    EXPECT_EQ(Stat(server, "requests"), requests + 1) << server.Stats();
    EXPECT_LT(run.max_rss_kib, kMaxRssKib);
    EXPECT_NE(run.output.find("tree head shrank"), std::string::npos) << run.output;
    ExpectUntouched(api);
  }
}

// Every body stops after 64 bytes and the connection stays open for 10
// minutes. ct-fetch's client gives up on a transfer slower than 1 KiB/s for
// 30 s (its default --stall-seconds), so a second head request, which only
// an abandoned first one leads to, comes with nothing written. ct-fetch then
// keeps retrying for its default --retry-seconds of 10 minutes: the test
// stops it there.
TEST_F(FetchHostileTest, StallingBodyIsAbandoned) {
  LogServer server(tmp_.path() + "/server.log", &listener_);
  ASSERT_TRUE(server.Start({"--log-dir", log_.log_dir, "--sign-key", key_.pem_path,
                            "--stall-after-bytes", "64", "--stall-seconds", "600", "--verbose"}));
  const auto start = std::chrono::steady_clock::now();
  std::map<Api, pid_t> pids;
  for (Api api : {Api::kRfc6962, Api::kTiled}) {
    pids[api] = StartProcessLogged(FetchArgv(api, server.url(), Root(api), key_.spki_base64),
                                   tmp_.path() + "/fetch.log");
  }
  // The server logs each request as it starts its response. (The deadline
  // only guards against a hang: the 30 s stall timeout, twice over.)
  const bool retried = WaitFor(60, [&] {
    const std::string out = server.Output();
    return Count(out, "GET /ct/v1/get-sth ") >= 2 && Count(out, "GET /checkpoint ") >= 2;
  });
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "stalled heads abandoned after " << seconds << " s\n";
  EXPECT_TRUE(retried) << server.Output();
  for (auto& [api, pid] : pids) {
    const int64_t rss = PeakRssKib(pid);
    std::cout << Name(api) << ": peak RSS " << rss << " KiB while stalled\n";
    EXPECT_LT(rss, kMaxRssKib);
    ::kill(pid, SIGKILL);
    WaitProcess(pid);
    ExpectUntouched(api);
  }
}

TEST_F(FetchHostileTest, StallingServerEndsTheRunWithinTheConfiguredBounds) {
  LogServer server(tmp_.path() + "/server.log", &listener_);
  ASSERT_TRUE(server.Start({"--log-dir", log_.log_dir, "--sign-key", key_.pem_path,
                            "--stall-after-bytes", "64", "--stall-seconds", "600"}));
  // The server never ends a stall itself within the run, so exiting at all
  // means ct-fetch abandoned them. A stall is abandoned after --stall-seconds
  // (3) at the earliest, and no retry starts past --retry-seconds (5): one
  // retry at most, however slow the machine.
  const ChildRun run =
      RunBounded(FetchArgv(Api::kRfc6962, server.url(), Root(Api::kRfc6962), key_.spki_base64,
                           {"--stall-seconds", "3", "--retry-seconds", "5"}),
                 kWatchdogSeconds);
  std::cout << "exit " << run.exit_code << " after " << run.seconds << " s\n";
  EXPECT_EQ(run.exit_code, 1) << run.output;
  const int64_t requests = Stat(server, "requests");
  EXPECT_GE(requests, 1) << server.Stats();
  EXPECT_LE(requests, 2) << server.Stats();
  EXPECT_EQ(Stat(server, "head_requests"), requests) << "only get-sth: " << server.Stats();
  EXPECT_NE(run.output.find("get-sth"), std::string::npos) << run.output;
  EXPECT_LT(run.max_rss_kib, kMaxRssKib);
  ExpectUntouched(Api::kRfc6962);
}

}  // namespace
}  // namespace ctmr::testing
