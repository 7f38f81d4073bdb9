// ct-coordinator: finds what needs mapping, reduces, writes the reports.
//
//   ct-coordinator reduce --data-dir ROOT --as-of YYYY-MM-DD [--out DIR] [--window-days N]
//                         [--shards N] [--memory-limit SIZE] [--unsharded]
//   ct-coordinator run --data-dir ROOT [--as-of D] [--bind E] [--local-workers N] [--once] ...
//   ct-coordinator report --data-dir ROOT [--out DIR] [--as-of D] [--window-days N]
//   ct-coordinator plan --data-dir ROOT [--out FILE]
//   ct-coordinator keygen --out PREFIX
//   ct-coordinator status --data-dir ROOT [--json]
//   ct-coordinator requeue --data-dir ROOT (--failed | DIR ...)
//   ct-coordinator workers --data-dir ROOT [--json]
//   ct-coordinator drain --data-dir ROOT WORKER
#include <glog/logging.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "common/base/civil_date.h"
#include "common/base/guarded_main.h"
#include "common/base/memory_budget.h"
#include "common/reduce/shard_reducer.h"
#include "common/reduce/tally_reducer.h"
#include "common/rpc/zmq_util.h"
#include "coordinator/cli/operator_commands.h"
#include "coordinator/cli/plan_command.h"
#include "coordinator/cli/reduce_command.h"
#include "coordinator/cli/report_command.h"
#include "coordinator/service/coordinator.h"

namespace {

int Reduce(const ctmr::cli::ReduceOptions& options) {
  absl::StatusOr<ctmr::report::Report> report = ctmr::cli::RunReduce(options);
  if (!report.ok()) {
    std::fprintf(stderr, "ct-coordinator: %s\n", std::string(report.status().message()).c_str());
    return 1;
  }
  const ctmr::reduce::ActiveCounts& t = report->stats.totals;
  std::printf(
      "as of %s: %llu active certificates, %llu FQDNs, %llu registered domains, %llu wildcards "
      "in %llu directories (%llu mapped now, %zu failed, %llu unparseable blocks)\n"
      "reports: %s\n",
      ctmr::base::FormatDate(report->as_of).c_str(), static_cast<unsigned long long>(t.certs),
      static_cast<unsigned long long>(t.fqdns), static_cast<unsigned long long>(t.regdomains),
      static_cast<unsigned long long>(t.wildcards),
      static_cast<unsigned long long>(report->stats.active_directories),
      static_cast<unsigned long long>(report->mapped_directories),
      report->failed_directories.size(),
      static_cast<unsigned long long>(report->stats.unparseable_blocks), options.out_dir.c_str());
  return report->failed_directories.empty() ? 0 : 1;
}

int Print(const ctmr::cli::OperatorOutput& output) {
  std::fputs(output.out.c_str(), stdout);
  std::fputs(output.err.c_str(), stderr);
  return output.exit_code;
}

}  // namespace

namespace {

int Main(int argc, char** argv) {
  google::InitGoogleLogging(argv[0]);
  FLAGS_logtostderr = true;
  CLI::App app{"ct-coordinator: map/reduce CT certificate directories into statistics"};
  app.require_subcommand(1);

  ctmr::cli::ReduceOptions options;
  std::string as_of;
  CLI::App* reduce =
      app.add_subcommand("reduce", "map what is stale (in process), reduce, write the reports");
  reduce->add_option("--data-dir", options.data_dir, "data root")->required();
  reduce->add_option("--as-of", as_of, "count certificates active on this date (YYYY-MM-DD)")
      ->required();
  reduce->add_option("--out", options.out_dir, "report directory (default ROOT/reports)");
  reduce
      ->add_option("--window-days", options.window_days,
                   "count only directories in [as-of, as-of + N)")
      ->check(CLI::Range(0, ctmr::reduce::kMaxWindowDays));
  reduce
      ->add_option("--history-days", options.history_days,
                   "back-fill certs_active at most this many days before as-of (default 1096)")
      ->check(CLI::Range(1, ctmr::report::kMaxHistoryDays));
  reduce->add_option("--threads", options.threads, "map and shard threads (default: one per core)")
      ->check(CLI::Range(0, 4096));
  std::string memory_limit;
  reduce->add_option("--shards", options.shards, "hash ranges (default: the fewest that fit)")
      ->check(CLI::Range(1u, ctmr::reduce::kMaxShards));
  reduce->add_option("--memory-limit", memory_limit, "bound on this process (default 1GiB)");
  reduce->add_flag("--unsharded", options.unsharded,
                   "reduce whole sets in memory, unbounded (the reference)");
  ctmr::service::RunOptions run_options;
  std::string run_as_of;
  CLI::App* run = app.add_subcommand(
      "run", "serve ct-worker processes: map what is stale, tree-reduce, write the reports");
  run->add_option("--data-dir", run_options.data_dir, "data root (shared with the workers)")
      ->required();
  run->add_option("--as-of", run_as_of, "count certificates active on this date (default: today)");
  run->add_option("--window-days", run_options.window_days,
                  "count only directories in [as-of, as-of + N)")
      ->check(CLI::Range(0, ctmr::reduce::kMaxWindowDays));
  run->add_option("--history-days", run_options.history_days,
                  "back-fill certs_active at most this many days before as-of (default 1096)")
      ->check(CLI::Range(1, ctmr::report::kMaxHistoryDays));
  run->add_option("--bind", run_options.bind,
                  "ROUTER endpoint (default ipc://ROOT/state/coordinator.ipc)");
  run->add_option("--local-workers", run_options.local_workers,
                  "start N ct-worker processes on this machine")
      ->check(CLI::Range(0, 256));
  run->add_flag("--once", run_options.once, "one cycle, then exit (1 if a directory failed)");
  run->add_option("--out", run_options.out_dir, "report directory (default ROOT/reports)");
  run->add_option("--interval", run_options.interval_s, "seconds between cycles (default 300)")
      ->check(CLI::Range(0.0, 366.0 * 86400));
  run->add_option("--lease", run_options.lease_s,
                  "seconds a task may run without a heartbeat naming it (default 600)")
      ->check(CLI::Range(0.001, 7.0 * 86400));
  run->add_option("--task-timeout", run_options.task_timeout_s,
                  "seconds one task may run, heartbeats or not, before it is retried elsewhere "
                  "(default: twice --lease)")
      ->check(CLI::Range(0.001, 30.0 * 86400));
  run->add_option("--max-attempts", run_options.max_attempts,
                  "failed tries before a directory is failed, from two workers unless only one "
                  "is connected (default 3)")
      ->check(CLI::Range(1, 100));
  run->add_option("--shards", run_options.shards,
                  "hash ranges (default: from the workers' memory budgets)")
      ->check(CLI::Range(1u, ctmr::reduce::kMaxShards));
  run->add_option("--memory-limit", memory_limit,
                  "bound on this process and --local-workers (default 1GiB)");
  std::string split_bytes;
  run->add_option("--split-bytes", split_bytes,
                  "split the map of a directory with more new input than this among the workers, "
                  "by issuer (default 256MiB; 0: never)");
  run->add_option("--heartbeat-ms", run_options.heartbeat_ms,
                  "heartbeat interval; 3 missed = dead (default 1000)")
      ->check(CLI::Range(10, 3'600'000));
  run->add_option("--curve-secret-key", run_options.curve_secret_key,
                  "the coordinator's .key file: CURVE encryption and authentication");
  run->add_option("--authorized-keys", run_options.authorized_keys,
                  "folder of the workers' .pub files (with --curve-secret-key)");
  run->add_flag("--insecure", run_options.insecure, "allow a non-loopback --bind without CURVE");
  run->add_option("--metrics-listen", run_options.metrics_listen,
                  "serve /metrics and /healthz on host:port (off by default; port 0 picks one)");
  run->add_option("--metrics-token-file", run_options.metrics_token_file,
                  "bearer token that scrapes must send (required beyond loopback)");

  ctmr::cli::ReportCommand report;
  ctmr::cli::AddReportCommand(app, &report);

  ctmr::cli::PlanOptions plan_options;
  CLI::App* plan = app.add_subcommand(
      "plan", "write the directories that need mapping, for ct-worker map --plan FILE --index I");
  plan->add_option("--data-dir", plan_options.data_dir, "data root")->required();
  plan->add_option(
      "--out", plan_options.out,
      "plan file, one directory a line (default ROOT/state/map-plan.txt; - for stdout)");

  std::string key_prefix;
  CLI::App* keygen =
      app.add_subcommand("keygen", "make a CURVE key pair: PREFIX.key (secret) and PREFIX.pub");
  keygen->add_option("--out", key_prefix, "path prefix of the two files")->required();

  // Operator commands: ask the running coordinator, else read ROOT/state/.
  ctmr::cli::OperatorOptions operator_options;
  bool requeue_failed = false;
  std::vector<std::string> requeue_dirs;
  std::string drain_worker;
  CLI::App* status = app.add_subcommand(
      "status", "directories by state, workers, throughput, ETA (or the state file's summary)");
  CLI::App* requeue =
      app.add_subcommand("requeue", "map failed directories again (now, or in the next run)");
  CLI::App* workers = app.add_subcommand("workers", "the running coordinator's workers");
  CLI::App* drain =
      app.add_subcommand("drain", "give a worker no new tasks; its running tasks finish");
  for (CLI::App* command : {status, requeue, workers, drain}) {
    command->add_option("--data-dir", operator_options.data_dir, "data root")->required();
  }
  for (CLI::App* command : {status, workers}) {
    command->add_flag("--json", operator_options.json, "print the reply as JSON");
  }
  requeue->add_flag("--failed", requeue_failed, "every failed directory");
  requeue->add_option("directories", requeue_dirs, "date directories (names or paths)");
  drain->add_option("worker", drain_worker, "the worker's name (host:pid) or routing id")
      ->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (!memory_limit.empty()) {
    const absl::StatusOr<uint64_t> bytes = ctmr::base::ParseByteSize(memory_limit);
    if (!bytes.ok()) {
      std::fprintf(stderr, "ct-coordinator: --memory-limit: %s\n",
                   std::string(bytes.status().message()).c_str());
      return 2;
    }
    options.memory_limit = run_options.memory_limit = *bytes;
  }
  if (split_bytes == "0") {
    run_options.split_bytes = 0;
  } else if (!split_bytes.empty()) {
    const absl::StatusOr<uint64_t> bytes = ctmr::base::ParseByteSize(split_bytes);
    if (!bytes.ok()) {
      std::fprintf(stderr, "ct-coordinator: --split-bytes: %s\n",
                   std::string(bytes.status().message()).c_str());
      return 2;
    }
    run_options.split_bytes = *bytes;
  }
  if (plan->parsed()) {
    const absl::StatusOr<std::vector<std::string>> entries = ctmr::cli::RunPlan(plan_options);
    if (!entries.ok()) {
      std::fprintf(stderr, "ct-coordinator: %s\n", std::string(entries.status().message()).c_str());
      return 1;
    }
    std::fprintf(stderr, "directories to map: %zu\n", entries->size());
    return 0;
  }
  if (reduce->parsed()) {
    const std::optional<int32_t> day = ctmr::base::ParseDate(as_of);
    if (!day.has_value()) {
      std::fprintf(stderr, "ct-coordinator: --as-of %s is not a date (YYYY-MM-DD)\n",
                   as_of.c_str());
      return 2;
    }
    options.as_of = *day;
    if (options.out_dir.empty()) options.out_dir = options.data_dir + "/reports";
    return Reduce(options);
  }
  if (run->parsed()) {
    if (!run_as_of.empty()) {
      const std::optional<int32_t> day = ctmr::base::ParseDate(run_as_of);
      if (!day.has_value()) {
        std::fprintf(stderr, "ct-coordinator: --as-of %s is not a date (YYYY-MM-DD)\n",
                     run_as_of.c_str());
        return 2;
      }
      run_options.as_of = *day;
    }
    const absl::Status usage = ctmr::service::PrepareRunOptions(run_options);
    if (!usage.ok()) {
      std::fprintf(stderr, "ct-coordinator: %s\n", std::string(usage.message()).c_str());
      return 2;
    }
    return ctmr::service::RunCoordinator(run_options);
  }
  if (report.command->parsed()) return ctmr::cli::ReportMain(report);
  if (status->parsed()) return Print(ctmr::cli::StatusCommand(operator_options));
  if (requeue->parsed()) {
    if (requeue_failed == !requeue_dirs.empty()) {
      std::fprintf(stderr, "ct-coordinator: requeue takes --failed or directory names\n");
      return 2;
    }
    return Print(ctmr::cli::RequeueCommand(operator_options, requeue_failed, requeue_dirs));
  }
  if (workers->parsed()) return Print(ctmr::cli::WorkersCommand(operator_options));
  if (drain->parsed()) return Print(ctmr::cli::DrainCommand(operator_options, drain_worker));
  if (keygen->parsed()) {
    absl::StatusOr<ctmr::rpc::CurveKeyPair> pair = ctmr::rpc::GenerateKeyFiles(key_prefix);
    if (!pair.ok()) {
      std::fprintf(stderr, "ct-coordinator: %s\n", std::string(pair.status().message()).c_str());
      return 1;
    }
    std::printf("wrote %s.key (secret, keep it) and %s.pub (public %s)\n", key_prefix.c_str(),
                key_prefix.c_str(), pair->public_key.c_str());
    return 0;
  }
  return 2;
}

}  // namespace

int main(int argc, char** argv) { return ctmr::base::GuardedMain(argc, argv, Main); }
