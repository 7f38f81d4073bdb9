// ct-worker: the map step.
//
//   ct-worker map [--memory-limit SIZE] DIR ...  map each date directory in place, no coordinator
//   ct-worker map --plan FILE --index I          map entry I of `ct-coordinator plan`'s list
//   ct-worker cat FILE|DIR ...                   print segment files' certificates as PEM
//   ct-worker compact DIR ...                    rewrite date directories' PEM files as segments
//   ct-worker --connect ENDPOINT [--threads N] [--memory-limit SIZE] [--data-dir ROOT]
//                                                serve a coordinator's map and shard tasks
#include <glog/logging.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/base/guarded_main.h"
#include "common/base/memory_budget.h"
#include "common/map/directory_mapper.h"
#include "common/map/map_plan.h"
#include "common/metrics/metrics_server.h"
#include "common/metrics/task_metrics.h"
#include "common/names/registered_domain.h"
#include "common/rpc/zmq_util.h"
#include "worker/segment_tools.h"
#include "worker/task_runner.h"
#include "worker/zmq_worker.h"

namespace {

int RunMap(const std::vector<std::string>& dirs, bool openssl_only, uint64_t memory_limit) {
  absl::StatusOr<std::unique_ptr<ctmr::names::PublicSuffixList>> suffixes =
      ctmr::names::PublicSuffixList::LoadLatest();
  if (!suffixes.ok()) {
    std::fprintf(stderr, "ct-worker: %s\n", std::string(suffixes.status().message()).c_str());
    return 1;
  }
  // What the limit leaves once the suffix list and the binary are in memory.
  absl::StatusOr<std::unique_ptr<ctmr::base::MemoryBudget>> budget =
      ctmr::base::MemoryBudget::ForProcess(memory_limit);
  if (!budget.ok()) {
    std::fprintf(stderr, "ct-worker: --memory-limit: %s\n",
                 std::string(budget.status().message()).c_str());
    return 2;
  }
  ctmr::map::DirectoryMapper mapper(suffixes->get(),
                                    openssl_only
                                        ? ctmr::x509::CertificateDecoder::Mode::kOpenSslOnly
                                        : ctmr::x509::CertificateDecoder::Mode::kFastWithFallback,
                                    (*budget)->capacity());
  int exit_code = 0;
  for (const std::string& dir : dirs) {
    const auto start = std::chrono::steady_clock::now();
    absl::StatusOr<ctmr::map::MapStats> stats = mapper.Map(dir);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!stats.ok()) {
      std::fprintf(stderr, "ct-worker: %s failed: %s\n", dir.c_str(),
                   std::string(stats.status().message()).c_str());
      exit_code = 1;
      continue;
    }
    std::printf(
        "%s: %llu new certificates, %llu duplicates, %llu unparseable blocks, %llu bytes in "
        "%.2f s%s%s\n",
        dir.c_str(), static_cast<unsigned long long>(stats->certificates),
        static_cast<unsigned long long>(stats->duplicates),
        static_cast<unsigned long long>(stats->unparseable_blocks),
        static_cast<unsigned long long>(stats->bytes_read), seconds,
        stats->spilled_runs > 0 ? absl::StrCat(", ", stats->spilled_runs, " runs spilled").c_str()
                                : "",
        stats->committed ? "" : " (unchanged)");
  }
  return exit_code;
}

// Exit 1 when a block was bad, a path could not be read, or stdout failed
// (a closed pipe): the output is not the whole input.
int RunCat(const std::vector<std::string>& paths) {
  std::string buffer;
  auto flush = [&buffer] {
    std::fwrite(buffer.data(), 1, buffer.size(), stdout);
    buffer.clear();
  };
  const ctmr::worker::CatResult result = ctmr::worker::CatSegments(
      paths,
      [&](std::string_view text) {
        buffer.append(text.data(), text.size());
        if (buffer.size() >= (1 << 20)) flush();
      },
      [&](const std::string& line) {
        flush();  // so the message follows the blocks before it
        std::fflush(stdout);
        std::fprintf(stderr, "ct-worker cat: %s\n", line.c_str());
      });
  flush();
  const bool written = std::fflush(stdout) == 0 && !std::ferror(stdout);
  if (!written) std::fprintf(stderr, "ct-worker cat: cannot write to stdout\n");
  return result.ok() && written ? 0 : 1;
}

int RunCompact(const std::vector<std::string>& dirs) {
  int exit_code = 0;
  for (const std::string& dir : dirs) {
    absl::StatusOr<ctmr::worker::CompactStats> stats = ctmr::worker::CompactDirectory(dir);
    if (!stats.ok()) {
      std::fprintf(stderr, "ct-worker compact: %s: %s\n", dir.c_str(),
                   std::string(stats.status().message()).c_str());
      exit_code = 1;
      continue;
    }
    std::printf(
        "%s: %llu segments written from %llu files, %llu records (%llu unparseable), %llu "
        "duplicates removed, %llu bad segment blocks kept, %llu -> %llu bytes\n",
        dir.c_str(), static_cast<unsigned long long>(stats->segments_written),
        static_cast<unsigned long long>(stats->sources_removed),
        static_cast<unsigned long long>(stats->records),
        static_cast<unsigned long long>(stats->unparseable),
        static_cast<unsigned long long>(stats->duplicates),
        static_cast<unsigned long long>(stats->bad_segment_blocks),
        static_cast<unsigned long long>(stats->bytes_before),
        static_cast<unsigned long long>(stats->bytes_after));
  }
  return exit_code;
}

struct ConnectFlags {
  std::string endpoint;
  unsigned threads = 0;  // 0: one per core
  int heartbeat_ms = 1000;
  int liveness = 3;
  int reconnect_ms = 1000;
  std::string curve_server_key;
  std::string curve_secret_key;
  std::string metrics_listen;
  std::string metrics_token_file;
  uint64_t memory_limit = ctmr::base::kDefaultMemoryLimit;
  int stop_grace_ms = 30000;
  std::string data_dir;  // when set: checked at start-up
};

// A worker that cannot see the shared data root would fail every task it
// gets; with --data-dir it refuses to start instead. ROOT/state is made by
// ct-fetch and by the coordinator, so an empty mount point (NFS not mounted)
// lacks it.
bool SeesDataRoot(const std::string& root) {
  struct stat st;
  const std::string state = root + "/state";
  if (::stat(state.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return true;
  std::fprintf(stderr,
               "ct-worker: --data-dir %s: no %s folder; is the shared data root mounted here?\n",
               root.c_str(), state.c_str());
  return false;
}

int RunConnected(const ConnectFlags& flags) {
  if (!flags.data_dir.empty() && !SeesDataRoot(flags.data_dir)) return 1;
  ctmr::worker::ZmqWorkerOptions options;
  options.endpoint = flags.endpoint;
  options.threads =
      flags.threads > 0 ? flags.threads : std::max(1u, std::thread::hardware_concurrency());
  options.worker_name = ctmr::worker::DefaultWorkerName();
  options.heartbeat = std::chrono::milliseconds(flags.heartbeat_ms);
  options.liveness = flags.liveness;
  options.reconnect_min = std::chrono::milliseconds(flags.reconnect_ms);
  options.reconnect_max = std::max(options.reconnect_min, std::chrono::milliseconds(32000));
  options.stop_grace = std::chrono::milliseconds(flags.stop_grace_ms);
  if (!flags.curve_server_key.empty()) {
    absl::StatusOr<ctmr::rpc::CurveKeyPair> server =
        ctmr::rpc::ReadKeyFile(flags.curve_server_key, true);
    absl::StatusOr<ctmr::rpc::CurveKeyPair> client =
        ctmr::rpc::ReadKeyFile(flags.curve_secret_key, false);
    for (const absl::Status& s : {server.status(), client.status()}) {
      if (!s.ok()) {
        std::fprintf(stderr, "ct-worker: %s\n", std::string(s.message()).c_str());
        return 1;
      }
    }
    options.curve_server_key = server->public_key;
    options.curve_client = *client;
  }
  absl::StatusOr<std::unique_ptr<ctmr::names::PublicSuffixList>> suffixes =
      ctmr::names::PublicSuffixList::LoadLatest();
  if (!suffixes.ok()) {
    std::fprintf(stderr, "ct-worker: %s\n", std::string(suffixes.status().message()).c_str());
    return 1;
  }
  // The shard tasks' hash sets, whatever the number of threads, stay within
  // --memory-limit: the threads share one budget.
  absl::StatusOr<std::unique_ptr<ctmr::base::MemoryBudget>> budget =
      ctmr::base::MemoryBudget::ForProcess(flags.memory_limit);
  if (!budget.ok()) {
    std::fprintf(stderr, "ct-worker: --memory-limit: %s\n",
                 std::string(budget.status().message()).c_str());
    return 2;
  }
  options.memory_budget = (*budget)->capacity();
  const ctmr::names::PublicSuffixList* psl = suffixes->get();
  auto registry = std::make_shared<prometheus::Registry>();
  ctmr::metrics::TaskMetrics metrics("worker", registry.get());
  absl::StatusOr<std::unique_ptr<ctmr::metrics::MetricsServer>> metrics_server =
      ctmr::metrics::StartMetricsServerFromFlags("ct-worker", flags.metrics_listen,
                                                 flags.metrics_token_file, registry);
  if (!metrics_server.ok()) {
    std::fprintf(stderr, "ct-worker: %s\n", std::string(metrics_server.status().message()).c_str());
    return absl::IsInvalidArgument(metrics_server.status()) ? 2 : 1;
  }
  ctmr::base::MemoryBudget* shared_budget = budget->get();
  // A map task takes its thread's share of the budget (RunMapTask reserves
  // it), so maps and shard tasks running at once stay within the limit.
  const uint64_t map_share = shared_budget->capacity() / options.threads;
  ctmr::worker::ZmqWorker worker(
      options, [psl, shared_budget, map_share, &metrics](const ctmr::Envelope& task) {
        ctmr::Result result =
            task.has_map_task()
                ? ctmr::worker::RunMapTask(task.map_task(), psl, shared_budget, map_share)
                : ctmr::worker::RunShardTask(task.shard_task(), shared_budget);
        metrics.OnResult(ctmr::metrics::TaskMetrics::KindOf(task), result.ok() ? "ok" : "error",
                         result);
        return result;
      });
  ctmr::worker::StopOnSignals(&worker);
  const absl::Status status = worker.Run();
  if (absl::IsDeadlineExceeded(status)) {
    // A task thread is stuck in a read no signal interrupts: it cannot be
    // joined, so leave without running destructors. A supervisor (systemd,
    // run's local workers) starts a fresh worker.
    std::fprintf(stderr, "ct-worker: %s; exiting anyway\n", std::string(status.message()).c_str());
    std::fflush(nullptr);
    std::_Exit(1);
  }
  if (!status.ok()) {
    std::fprintf(stderr, "ct-worker: %s\n", std::string(status.message()).c_str());
    return absl::IsInvalidArgument(status) ? 2 : 1;
  }
  return 0;
}

}  // namespace

namespace {

int Main(int argc, char** argv) {
  google::InitGoogleLogging(argv[0]);
  FLAGS_logtostderr = true;
  CLI::App app{"ct-worker: map CT certificate directories into per-issuer tallies"};
  app.require_subcommand(-1);  // at most one: `map`, `cat`, `compact`, or none with --connect
  ConnectFlags connect;
  CLI::Option* connect_opt = app.add_option(
      "--connect", connect.endpoint, "serve the coordinator at ENDPOINT (e.g. tcp://host:5555)");
  app.add_option("--threads", connect.threads, "tasks run at once (default: one per core)")
      ->check(CLI::Range(1u, 4096u));
  app.add_option("--heartbeat-ms", connect.heartbeat_ms, "heartbeat interval (default 1000)")
      ->check(CLI::Range(1, 3600000));
  app.add_option("--liveness", connect.liveness,
                 "heartbeat intervals of silence before reconnecting (default 3)")
      ->check(CLI::Range(1, 1000));
  app.add_option("--reconnect-ms", connect.reconnect_ms,
                 "first reconnection delay, doubling up to 32 s (default 1000)")
      ->check(CLI::Range(1, 3600000));
  CLI::Option* server_key =
      app.add_option("--curve-server-key", connect.curve_server_key,
                     "coordinator's CURVE public key file (.pub): encrypt the connection")
          ->check(CLI::ExistingFile);
  CLI::Option* secret_key = app.add_option("--curve-secret-key", connect.curve_secret_key,
                                           "this worker's CURVE key file (.key)")
                                ->check(CLI::ExistingFile);
  server_key->needs(secret_key);
  secret_key->needs(server_key);
  app.add_option("--metrics-listen", connect.metrics_listen,
                 "serve /metrics and /healthz on host:port (off by default; port 0 picks one)");
  app.add_option("--metrics-token-file", connect.metrics_token_file,
                 "bearer token that scrapes must send (required beyond loopback)");
  app.add_option("--stop-grace-ms", connect.stop_grace_ms,
                 "on SIGTERM, how long running tasks may take before the worker exits without "
                 "them (default 30000)")
      ->check(CLI::Range(0, 3600000));
  app.add_option("--data-dir", connect.data_dir,
                 "the shared data root as this machine sees it: refuse to start when its "
                 "state/ folder is missing");
  std::string memory_limit;
  app.add_option("--memory-limit", memory_limit,
                 "bound on this process's memory for its map and shard tasks (default 1GiB)");
  std::vector<std::string> dirs;
  CLI::App* map = app.add_subcommand("map", "map date directories in place, without a coordinator");
  map->add_option("--memory-limit", memory_limit,
                  "bound on this process's memory: past it the map spills sorted runs to the "
                  "directory (default 1GiB)");
  map->add_option("DIR", dirs, "date directories (ROOT/YYYY-MM-DD)");
  std::string plan;
  int64_t index = -1;
  CLI::Option* plan_opt =
      map->add_option("--plan", plan, "a list from `ct-coordinator plan`: map one of its entries")
          ->check(CLI::ExistingFile);
  CLI::Option* index_opt =
      map->add_option("--index", index, "the entry of --plan to map, counting from 0");
  plan_opt->needs(index_opt);
  index_opt->needs(plan_opt);
  bool openssl_only = false;
  map->add_flag("--openssl-only", openssl_only,
                "decode with OpenSSL alone (the reference path; for benchmarks)");
  std::vector<std::string> cat_paths;
  CLI::App* cat = app.add_subcommand(
      "cat",
      "print the certificates of segment files (.ctseg) as PEM blocks with Log and "
      "Recorded-at headers");
  cat->add_option("PATH", cat_paths, "segment files, or directories (their *.ctseg files)")
      ->required();
  std::vector<std::string> compact_dirs;
  CLI::App* compact = app.add_subcommand(
      "compact",
      "rewrite date directories' *.pem and *.cer files as one <issuer>.ctseg each, without "
      "duplicates (takes the data root's locks: stop ct-fetch first)");
  compact->add_option("DIR", compact_dirs, "date directories (ROOT/YYYY-MM-DD)")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (!memory_limit.empty()) {
    absl::StatusOr<uint64_t> bytes = ctmr::base::ParseByteSize(memory_limit);
    if (!bytes.ok()) {
      std::fprintf(stderr, "ct-worker: --memory-limit: %s\n",
                   std::string(bytes.status().message()).c_str());
      return 2;
    }
    connect.memory_limit = *bytes;
  }
  if ((cat->parsed() || compact->parsed()) && connect_opt->count() > 0) {
    std::fprintf(stderr, "ct-worker: --connect cannot be combined with %s\n",
                 cat->parsed() ? "cat" : "compact");
    return 2;
  }
  if (cat->parsed()) return RunCat(cat_paths);
  if (compact->parsed()) return RunCompact(compact_dirs);
  if (map->parsed()) {
    if (connect_opt->count() > 0) {
      std::fprintf(stderr, "ct-worker: --connect cannot be combined with map\n");
      return 2;
    }
    if (dirs.empty() == plan.empty()) {
      std::fprintf(stderr, "ct-worker: map takes directories or --plan FILE --index I\n");
      return 2;
    }
    if (!plan.empty()) {
      absl::StatusOr<std::string> dir = ctmr::map::MapPlanEntry(plan, index);
      if (!dir.ok()) {
        std::fprintf(stderr, "ct-worker: %s\n", std::string(dir.status().message()).c_str());
        return absl::IsOutOfRange(dir.status()) ? 2 : 1;
      }
      dirs.push_back(*dir);
    }
    return RunMap(dirs, openssl_only, connect.memory_limit);
  }
  if (connect_opt->count() > 0) return RunConnected(connect);
  std::fprintf(stderr, "ct-worker: give a subcommand (map, cat, compact) or --connect ENDPOINT\n%s",
               app.help().c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) { return ctmr::base::GuardedMain(argc, argv, Main); }
