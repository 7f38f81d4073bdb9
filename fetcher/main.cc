// ct-fetch: follows CT logs and appends their certificates to the data root
// (DESIGN.md §2, §4). Exit status: 0 success, 1 runtime failure, 2 bad usage.
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
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
#include "common/base/memory_budget.h"
#include "common/base/progress.h"
#include "common/metrics/metrics_server.h"
#include "fetcher/connection_limiter.h"
#include "fetcher/data_files.h"
#include "fetcher/fetch_metrics.h"
#include "fetcher/fetch_state.h"
#include "fetcher/http_client.h"
#include "fetcher/log_follower.h"
#include "fetcher/log_list.h"
#include "fetcher/log_schedule.h"
#include "fetcher/verify/codec.h"
#include "fetcher/verify/tree_head.h"

namespace ctmr::fetch {
namespace {

// Set by SIGTERM/SIGINT (through the signal thread); every log thread and
// every retry sleep watch it.
std::atomic<bool> g_stop{false};
std::mutex g_stop_mu;
std::condition_variable g_stop_cv;
int g_running_logs = 1;  // 0 once every log thread has ended (guarded by g_stop_mu)

// A failing log's first pause, and the longest (poll is used when longer).
constexpr std::chrono::milliseconds kInitialBackoff{30'000};
constexpr std::chrono::milliseconds kMaxBackoff{1'800'000};

// Waits for SIGTERM or SIGINT on a thread of its own (the signals are blocked
// in every other thread), so that waking the sleepers is not done from a
// signal handler.
void WatchSignals(sigset_t signals) {
  int sig = 0;
  while (sigwait(&signals, &sig) == 0) {
    if (sig == SIGTERM || sig == SIGINT) {
      {
        std::lock_guard<std::mutex> lock(g_stop_mu);
        g_stop = true;
      }
      g_stop_cv.notify_all();
      return;
    }
  }
}

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
  int max_connections = 64;
  uint64_t memory_limit = uint64_t{512} << 20;
  uint64_t sync_entries = 16384;
  DataFilesOptions storage;
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

// What each followed log shows: its own line (index / tree size, rate, ETA,
// state) and a total line. Lines are redrawn every second on a terminal and
// printed every 10 s elsewhere (base::Progress); each catch-up's end prints
// a line that stays. Thread-safe: every log thread reports here.
class ProgressBoard {
 public:
  explicit ProgressBoard(const std::vector<std::string>& names) {
    for (const std::string& name : names) logs_[name];
  }

  void OnProgress(const std::string& name, const FetchProgress& p) {
    std::lock_guard<std::mutex> lock(mu_);
    Log& log = logs_[name];
    log.progress = p;
    if (p.done) progress_.Print(Line(name, log));
  }
  void OnState(const std::string& name, LogState state) {
    std::lock_guard<std::mutex> lock(mu_);
    logs_[name].state = state;
  }
  void Error(const std::string& message) { progress_.Print(absl::StrCat("ct-fetch: ", message)); }

  // The current lines, as progress (called by one thread, every second).
  void Show() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> lines;
    uint64_t next = 0;
    uint64_t tree = 0;
    double rate = 0;
    std::map<LogState, int> states;
    for (const auto& [name, log] : logs_) {
      // Elsewhere than on a terminal, idle logs are left to the final lines.
      if (progress_.tty() || log.state == LogState::kCatchingUp) lines.push_back(Line(name, log));
      next += log.progress.next_index;
      tree += log.progress.tree_size;
      if (log.state == LogState::kCatchingUp) rate += Rate(log.progress);
      ++states[log.state];
    }
    std::string total = absl::StrFormat("all %d logs: %d / %d entries (%.0f entries/s%s)",
                                        logs_.size(), next, tree, rate, Eta(tree - next, rate));
    for (const auto& [state, n] : states)
      absl::StrAppend(&total, ", ", n, " ", LogStateName(state));
    lines.push_back(total);
    progress_.UpdateBlock(lines);
  }

  void Finish() { progress_.Break(); }

 private:
  struct Log {
    FetchProgress progress;
    LogState state = LogState::kCatchingUp;
  };

  static double Rate(const FetchProgress& p) { return p.seconds > 0 ? p.fetched / p.seconds : 0; }
  static std::string Eta(uint64_t left, double rate) {
    if (left == 0 || rate <= 0) return "";
    const uint64_t s = static_cast<uint64_t>(static_cast<double>(left) / rate);
    if (s >= 86400) return absl::StrFormat(", ETA %dd%02dh", s / 86400, s / 3600 % 24);
    if (s >= 3600) return absl::StrFormat(", ETA %dh%02dm", s / 3600, s / 60 % 60);
    return absl::StrFormat(", ETA %dm%02ds", s / 60, s % 60);
  }
  static std::string Line(const std::string& name, const Log& log) {
    const FetchProgress& p = log.progress;
    const double rate = Rate(p);
    return absl::StrFormat(
        "%s: %d / %d entries (%.0f entries/s%s)%s", name, p.next_index, p.tree_size, rate,
        p.done ? "" : Eta(p.tree_size - std::min(p.tree_size, p.next_index), rate),
        p.done || log.state == LogState::kCatchingUp
            ? ""
            : absl::StrCat(" [", LogStateName(log.state), "]"));
  }

  std::mutex mu_;
  base::Progress progress_;
  std::map<std::string, Log> logs_;
};

// Sleeps until `until` or until ct-fetch stops.
void SleepUntil(std::chrono::steady_clock::time_point until) {
  std::unique_lock<std::mutex> lock(g_stop_mu);
  g_stop_cv.wait_until(lock, until, [] { return g_stop.load(); });
}

int Run(const Flags& flags, std::vector<LogTarget> targets) {
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
  http_options.cancelled = [] { return g_stop.load(); };
  ProgressBoard board(names);
  // Shared by every log: the files (one writer per data root), the extra
  // request lanes and the memory for pages fetched ahead.
  DataFiles files(flags.data_dir, flags.storage);
  ConnectionLimiter connections(flags.max_connections);
  const uint64_t memory_per_log = flags.memory_limit / std::max<size_t>(1, targets.size());

  struct Followed {
    std::unique_ptr<HttpClient> http;
    std::unique_ptr<LogFollower> follower;
    bool failed = false;
  };
  std::vector<Followed> followed(targets.size());
  for (size_t i = 0; i < targets.size(); ++i) {
    FollowerOptions options;
    options.data_dir = flags.data_dir;
    options.files = &files;
    options.storage = flags.storage;
    options.connections = &connections;
    options.max_buffered_bytes = memory_per_log;
    options.batch_size = flags.batch;
    options.parallel = flags.parallel;
    options.sync_entries = flags.sync_entries;
    options.include_expired = flags.include_expired;
    options.http_options = http_options;
    options.retry.max_total_time = std::chrono::seconds(flags.retry_seconds);
    options.retry.max_backoff = std::min<std::chrono::milliseconds>(
        options.retry.max_backoff, std::chrono::seconds(flags.retry_seconds));
    options.should_stop = [] { return g_stop.load(); };
    const std::string name = targets[i].name;
    options.progress = [&board, &metrics, name](const FetchProgress& p) {
      metrics.OnProgress(name, p);
      board.OnProgress(name, p);
    };
    options.retry.sleep = [&metrics](std::chrono::milliseconds delay) {
      metrics.OnRetry();
      // Woken by SIGTERM, so that it does not wait out a long backoff.
      SleepUntil(std::chrono::steady_clock::now() + delay);
    };
    followed[i].http = std::make_unique<HttpClient>(http_options);
    followed[i].follower = std::make_unique<LogFollower>(std::move(targets[i]), std::move(options),
                                                         followed[i].http.get());
  }

  // One thread per log, each with its own schedule (log_schedule.h): a slow,
  // failing or stalled log delays only itself.
  const auto poll = std::chrono::milliseconds(static_cast<int64_t>(flags.poll_seconds * 1000));
  std::random_device seed;
  std::vector<std::thread> threads;
  for (Followed& f : followed) {
    LogScheduleOptions schedule_options;
    schedule_options.once = flags.once;
    schedule_options.poll = poll;
    schedule_options.initial_backoff = std::min<std::chrono::milliseconds>(poll, kInitialBackoff);
    schedule_options.max_backoff = std::max<std::chrono::milliseconds>(poll, kMaxBackoff);
    threads.emplace_back([&f, &board, &metrics, schedule_options, s = seed()] {
      LogSchedule schedule(schedule_options, s);
      const std::string& name = f.follower->target().name;
      while (!g_stop) {
        schedule.Start();
        board.OnState(name, schedule.state());
        absl::Status status = f.follower->CatchUp();
        // A request cut short by SIGTERM is the stop, not a failure of the log.
        if (g_stop && absl::IsCancelled(status)) status = absl::OkStatus();
        metrics.OnCatchUp(name, status, f.follower->writer_stats());
        if (!status.ok()) {
          f.failed = true;
          board.Error(absl::StrCat(name, ": ", status.message()));
        }
        schedule.Ended(status, std::chrono::steady_clock::now());
        board.OnState(name, schedule.state());
        if (schedule.finished()) break;
        SleepUntil(schedule.next_start());
      }
    });
  }
  // The progress lines, until every log thread has ended.
  std::thread shower([&board] {
    while (!g_stop && g_running_logs > 0) {
      board.Show();
      std::unique_lock<std::mutex> lock(g_stop_mu);
      g_stop_cv.wait_for(lock, std::chrono::seconds(1),
                         [] { return g_stop.load() || g_running_logs == 0; });
    }
  });
  for (std::thread& t : threads) t.join();
  {
    std::lock_guard<std::mutex> lock(g_stop_mu);
    g_running_logs = 0;
  }
  g_stop_cv.notify_all();
  shower.join();
  board.Finish();
  bool failed = false;
  for (const Followed& f : followed) {
    failed = failed || f.failed;
    const EntryWriterStats& w = f.follower->writer_stats();
    std::fprintf(
        stderr, "%s: %llu certificates written, %llu stored already, %llu expired skipped%s\n",
        f.follower->target().name.c_str(), static_cast<unsigned long long>(w.written),
        static_cast<unsigned long long>(w.duplicates), static_cast<unsigned long long>(w.expired),
        w.unparseable > 0 ? absl::StrCat(", ", w.unparseable, " unparseable skipped").c_str() : "");
  }
  return flags.once && failed ? 1 : 0;
}

int Main(int argc, char** argv) {
  // Every page allocates its buffers again in some lane: response bodies of
  // ~6 MB, gzip input, batch arenas, parser tapes. By default glibc maps each
  // such buffer on its own and unmaps it when freed, and trims the top of an
  // arena as it frees, so every page faulted its memory in afresh: 10 % of
  // ct-fetch's CPU. Buffers up to 32 MiB (the most mallopt allows) now come
  // from the arenas and stay there; a log gives its memory back with
  // malloc_trim when its catch-up ends (LogFollower::CatchUp).
  // (Not under AddressSanitizer, which replaces malloc: glibc's arenas are
  // then unused, and malloc_trim would walk them uninitialized.)
#if !defined(__SANITIZE_ADDRESS__)
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
#endif
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
  app.add_option("--max-connections", flags.max_connections,
                 "requests in flight beyond each log's own lane, over all logs (default 64)")
      ->check(CLI::Range(1, 4096));
  std::string memory_limit_text;
  app.add_option("--memory-limit", memory_limit_text,
                 "memory for pages fetched ahead, shared by the logs (default 512MiB)");
  std::string format_text = "compact";
  app.add_option("--format", format_text,
                 "compact: one zstd-compressed record per distinct certificate (.ctseg, the "
                 "default); pem: every CT copy as a PEM block (.pem)");
  std::string serial_memory_text;
  app.add_option("--serial-memory", serial_memory_text,
                 "memory for the serials that de-duplicate the compact format (default 256MiB)");
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

  if (!memory_limit_text.empty()) {
    const absl::StatusOr<uint64_t> bytes = base::ParseByteSize(memory_limit_text);
    if (!bytes.ok()) {
      return Usage(
          absl::StrCat("--memory-limit ", memory_limit_text, ": ", bytes.status().message()));
    }
    flags.memory_limit = *bytes;
  }
  {
    const absl::StatusOr<StorageFormat> format = ParseStorageFormat(format_text);
    if (!format.ok()) return Usage(std::string(format.status().message()));
    flags.storage.format = *format;
  }
  if (!serial_memory_text.empty()) {
    const absl::StatusOr<uint64_t> bytes = base::ParseByteSize(serial_memory_text);
    if (!bytes.ok()) {
      return Usage(
          absl::StrCat("--serial-memory ", serial_memory_text, ": ", bytes.status().message()));
    }
    flags.storage.serial_memory = *bytes;
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
    // A log listed twice (its RFC 6962 and its tiled interface have one key,
    // so one log ID and one state file) is followed once, through the first
    // listing: two followers of one state would race on it.
    auto same = std::find_if(targets.begin(), targets.end(),
                             [&](const LogTarget& o) { return o.state_path == t->state_path; });
    if (same != targets.end()) {
      std::fprintf(stderr, "ct-fetch: %s is the log of %s (same key): followed once, as %s\n",
                   t->name.c_str(), same->name.c_str(), same->name.c_str());
      continue;
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
  // SIGTERM and SIGINT go to the signal thread only (blocked before any other
  // thread starts); the log threads finish their in-flight batch and stop.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::thread(WatchSignals, signals).detach();
  return Run(flags, std::move(targets));
}

}  // namespace
}  // namespace ctmr::fetch

int main(int argc, char** argv) { return ctmr::base::GuardedMain(argc, argv, ctmr::fetch::Main); }
