// ct-fetch: follows CT logs and appends their certificates to the data root
// (DESIGN.md §2, §4). Exit status: 0 success, 1 runtime failure, 2 bad usage.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/base/file_util.h"
#include "common/base/guarded_main.h"
#include "common/base/lock_file.h"
#include "common/base/progress.h"
#include "common/metrics/metrics_server.h"
#include "fetcher/fetch_metrics.h"
#include "fetcher/fetch_state.h"
#include "fetcher/http_client.h"
#include "fetcher/log_follower.h"
#include "fetcher/log_list.h"
#include "fetcher/verify/codec.h"
#include "fetcher/verify/tree_head.h"

namespace ctmr::fetch {
namespace {

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop = true; }

struct Flags {
  std::string data_dir = "./ct-data";
  std::string log_list;
  std::vector<std::string> logs;
  std::string rfc6962_log;
  std::string tiled_log;
  std::string origin;
  std::string log_key;
  bool once = false;
  bool include_expired = false;
  uint64_t batch = 256;
  int parallel = 4;
  uint64_t sync_entries = 16384;
  double poll_seconds = 60;
  bool cross_host_redirects = false;
  int stall_seconds = 30;
  int retry_seconds = 600;
  std::string metrics_listen;
  std::string metrics_token_file;
};

int Usage(const std::string& message) {
  std::fprintf(stderr, "ct-fetch: %s\n", message.c_str());
  return 2;
}

// Loads the log list from a file or an http(s) URL.
absl::StatusOr<std::string> ReadLogList(const std::string& where) {
  if (absl::StartsWith(where, "http://") || absl::StartsWith(where, "https://")) {
    HttpClient http;
    absl::StatusOr<HttpResponse> r = http.GetWithRetry(where);
    if (!r.ok()) return r.status();
    return std::move(r->body);
  }
  return base::ReadFileToString(where);
}

absl::StatusOr<LogTarget> MakeTarget(const LogInfo& log, const std::string& data_dir) {
  absl::StatusOr<verify::LogKey> key = verify::LogKey::FromBase64(log.key_base64);
  if (!key.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("log key of ", log.url, ": ", key.status().message()));
  }
  LogTarget t;
  t.api = log.api;
  t.name = log.description.empty() ? log.url : log.description;
  t.url = log.url;
  t.origin = log.origin;
  t.key = *std::move(key);
  t.state_path =
      StateFilePath(data_dir, StateFileStem(verify::EncodeBase64(t.key.log_id()), t.url));
  return t;
}

// One line per log on a terminal, rewritten as entries land; elsewhere a line
// per log every 10 s and at the end of each catch-up.
class ProgressPrinter {
 public:
  void Show(const std::string& name, const FetchProgress& p, bool final_line) {
    const double rate = p.seconds > 0 ? p.fetched / p.seconds : 0;
    const std::string line = absl::StrFormat("%s: %d / %d entries (%.0f entries/s)", name,
                                             p.next_index, p.tree_size, rate);
    if (final_line && !progress_.tty()) {
      progress_.Print(line);
      return;
    }
    progress_.Update(line);
    if (final_line) progress_.Break();
  }

  void Error(const std::string& message) { progress_.Print(absl::StrCat("ct-fetch: ", message)); }

 private:
  base::Progress progress_;
};

int Run(const Flags& flags, std::vector<LogTarget> targets) {
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::vector<std::string> names;
  for (const LogTarget& t : targets) names.push_back(t.name);
  FetchMetrics metrics(names, std::chrono::milliseconds(
                                  static_cast<int64_t>(std::max(1.0, flags.poll_seconds * 1000))));
  absl::StatusOr<std::unique_ptr<metrics::MetricsServer>> metrics_server =
      metrics::StartMetricsServerFromFlags(
          "ct-fetch", flags.metrics_listen, flags.metrics_token_file, metrics.registry(),
          [&metrics] { return metrics.Health(std::chrono::steady_clock::now()); });
  if (!metrics_server.ok()) {
    std::fprintf(stderr, "ct-fetch: %s\n", std::string(metrics_server.status().message()).c_str());
    return absl::IsInvalidArgument(metrics_server.status()) ? 2 : 1;
  }
  HttpClientOptions http_options;
  http_options.low_speed_time = std::chrono::seconds(flags.stall_seconds);
  http_options.cross_host_redirects = flags.cross_host_redirects;
  HttpClient http(http_options);
  ProgressPrinter printer;
  std::vector<std::unique_ptr<LogFollower>> followers;
  for (LogTarget& t : targets) {
    FollowerOptions options;
    options.data_dir = flags.data_dir;
    options.batch_size = flags.batch;
    options.parallel = flags.parallel;
    options.sync_entries = flags.sync_entries;
    options.include_expired = flags.include_expired;
    options.http_options = http_options;
    options.retry.max_total_time = std::chrono::seconds(flags.retry_seconds);
    options.retry.max_backoff = std::min<std::chrono::milliseconds>(
        options.retry.max_backoff, std::chrono::seconds(flags.retry_seconds));
    options.should_stop = [] { return g_stop.load(); };
    const std::string name = t.name;
    options.progress = [&printer, &metrics, name](const FetchProgress& p) {
      metrics.OnProgress(name, p);
      printer.Show(name, p, p.done);
    };
    options.retry.sleep = [&metrics](std::chrono::milliseconds delay) {
      metrics.OnRetry();
      // In slices, so that SIGTERM does not wait out a long backoff.
      const auto until = std::chrono::steady_clock::now() + delay;
      while (!g_stop && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::min<std::chrono::nanoseconds>(
            std::chrono::milliseconds(100), until - std::chrono::steady_clock::now()));
      }
    };
    followers.push_back(std::make_unique<LogFollower>(std::move(t), std::move(options), &http));
  }
  std::mt19937_64 rng(std::random_device{}());
  bool failed = false;
  while (!g_stop) {
    for (auto& f : followers) {
      if (g_stop) break;
      absl::Status s = f->CatchUp();
      metrics.OnCatchUp(f->target().name, s, f->writer_stats());
      if (!s.ok()) {
        failed = true;
        printer.Error(absl::StrCat(f->target().name, ": ", s.message()));
      }
    }
    if (flags.once) break;
    // Polls with ±10% jitter so that many fetchers do not hit a log in step.
    std::uniform_real_distribution<double> jitter(0.9, 1.1);
    const auto until = std::chrono::steady_clock::now() +
                       std::chrono::duration<double>(flags.poll_seconds * jitter(rng));
    while (!g_stop && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  for (auto& f : followers) {
    const EntryWriterStats& w = f->writer_stats();
    std::fprintf(
        stderr, "%s: %llu certificates written, %llu expired skipped%s\n", f->target().name.c_str(),
        static_cast<unsigned long long>(w.written), static_cast<unsigned long long>(w.expired),
        w.unparseable > 0 ? absl::StrCat(", ", w.unparseable, " unparseable skipped").c_str() : "");
  }
  return flags.once && failed ? 1 : 0;
}

int Main(int argc, char** argv) {
  Flags flags;
  CLI::App app{"ct-fetch: follows Certificate Transparency logs into a data root"};
  app.add_option("--data-dir", flags.data_dir, "data root (default ./ct-data)");
  app.add_option("--log-list", flags.log_list, "Chrome v3 log list JSON: file or URL");
  app.add_option("--log", flags.logs, "follow only these logs (description or URL)");
  app.add_option("--rfc6962-log", flags.rfc6962_log, "follow one RFC 6962 log at URL");
  app.add_option("--tiled-log", flags.tiled_log, "follow one static-ct-api log (monitoring URL)");
  app.add_option("--origin", flags.origin, "checkpoint origin of --tiled-log");
  app.add_option("--log-key", flags.log_key, "base64 SubjectPublicKeyInfo of the single log");
  app.add_flag("--once", flags.once, "fetch up to the current head of each log and exit");
  app.add_flag("--cross-host-redirects", flags.cross_host_redirects,
               "follow a log's redirects to other hosts (off: only within the log's host)");
  app.add_flag("--include-expired", flags.include_expired,
               "also ended/retired logs and expired certificates");
  app.add_option("--batch", flags.batch, "entries per get-entries request")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 20));
  app.add_option("--parallel", flags.parallel,
                 "requests in flight per log (get-entries windows or tiles)")
      ->check(CLI::Range(1, 64));
  app.add_option("--sync-entries", flags.sync_entries,
                 "fsync the files and save the state every N entries (and every 10 s): a crash "
                 "re-appends at most that many")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 24));
  app.add_option("--stall-seconds", flags.stall_seconds,
                 "abandon a transfer that receives under 1 KiB/s for this long (default 30)")
      ->check(CLI::Range(1, 3600));
  app.add_option("--retry-seconds", flags.retry_seconds,
                 "give up on a request after retrying it for this long (default 600)")
      ->check(CLI::Range(0, 86400));
  app.add_option("--poll-seconds", flags.poll_seconds, "seconds between polls of a log")
      ->check(CLI::Range(0.001, 86400.0));
  app.add_option("--metrics-listen", flags.metrics_listen,
                 "serve /metrics and /healthz on host:port (off by default; port 0 picks one)");
  app.add_option("--metrics-token-file", flags.metrics_token_file,
                 "bearer token that scrapes must send (required beyond loopback)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    return Usage(e.what());
  }

  const int sources =
      !flags.log_list.empty() + !flags.rfc6962_log.empty() + !flags.tiled_log.empty();
  if (sources != 1) {
    return Usage("give exactly one of --log-list, --rfc6962-log and --tiled-log");
  }
  if (!flags.tiled_log.empty() && flags.origin.empty()) {
    return Usage("--tiled-log needs --origin");
  }
  if (flags.log_list.empty() && flags.log_key.empty()) {
    return Usage("--rfc6962-log and --tiled-log need --log-key");
  }
  if (!flags.log_list.empty() && (!flags.log_key.empty() || !flags.origin.empty())) {
    return Usage("--log-key and --origin go with --rfc6962-log / --tiled-log, not --log-list");
  }
  if (flags.log_list.empty() && !flags.logs.empty()) {
    return Usage("--log narrows --log-list");
  }

  std::vector<LogInfo> logs;
  if (!flags.log_list.empty()) {
    absl::StatusOr<std::string> text = ReadLogList(flags.log_list);
    if (!text.ok()) return Usage(absl::StrCat("--log-list: ", text.status().message()));
    absl::StatusOr<std::vector<LogInfo>> all = ParseLogList(*text);
    if (!all.ok()) {
      return Usage(absl::StrCat("--log-list ", flags.log_list, ": ", all.status().message()));
    }
    LogSelection selection;
    selection.include_expired = flags.include_expired;
    selection.names = flags.logs;
    selection.now_unix_seconds = std::time(nullptr);
    absl::StatusOr<std::vector<LogInfo>> selected = SelectLogs(*all, selection);
    if (!selected.ok()) return Usage(std::string(selected.status().message()));
    logs = *std::move(selected);
    if (logs.empty())
      return Usage(absl::StrCat("--log-list ", flags.log_list, ": no log to follow"));
  } else {
    LogInfo log;
    log.api = flags.tiled_log.empty() ? LogApi::kRfc6962 : LogApi::kTiled;
    log.url = flags.tiled_log.empty() ? flags.rfc6962_log : flags.tiled_log;
    log.origin = flags.origin;
    log.key_base64 = flags.log_key;
    logs.push_back(log);
  }
  std::vector<LogTarget> targets;
  for (const LogInfo& log : logs) {
    absl::StatusOr<LogTarget> t = MakeTarget(log, flags.data_dir);
    if (!t.ok()) {
      return Usage(absl::StrCat(flags.log_list.empty() ? "--log-key: " : "", t.status().message()));
    }
    targets.push_back(*std::move(t));
  }
  if (::access(flags.data_dir.c_str(), F_OK) != 0 && ::mkdir(flags.data_dir.c_str(), 0755) != 0) {
    std::fprintf(stderr, "ct-fetch: cannot create --data-dir %s: %s\n", flags.data_dir.c_str(),
                 base::ErrnoText(errno).c_str());
    return 1;
  }
  // One ct-fetch per data root: it cuts torn blocks from files it appends to
  // (entry_writer.h), which only the one writer may do.
  const std::string state_dir = flags.data_dir + "/state";
  ::mkdir(state_dir.c_str(), 0755);
  absl::StatusOr<std::unique_ptr<base::LockFile>> lock =
      base::LockFile::Acquire(state_dir + "/ct-fetch.lock", "another ct-fetch");
  if (!lock.ok()) {
    std::fprintf(stderr, "ct-fetch: %s\n", std::string(lock.status().message()).c_str());
    return 1;
  }
  return Run(flags, std::move(targets));
}

}  // namespace
}  // namespace ctmr::fetch

int main(int argc, char** argv) { return ctmr::base::GuardedMain(argc, argv, ctmr::fetch::Main); }
