// ct-coordinator: finds what needs mapping, reduces, writes the reports.
//
//   ct-coordinator reduce --data-dir ROOT --as-of YYYY-MM-DD [--out DIR] [--window-days N]
#include <glog/logging.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "common/civil_date.h"
#include "coordinator/reduce_command.h"

namespace {

int Reduce(const ctmr::ReduceOptions& options) {
  absl::StatusOr<ctmr::Report> report = ctmr::RunReduce(options);
  if (!report.ok()) {
    std::fprintf(stderr, "ct-coordinator: %s\n", std::string(report.status().message()).c_str());
    return 1;
  }
  const ctmr::ActiveCounts& t = report->stats.totals;
  std::printf(
      "as of %s: %llu active certificates, %llu FQDNs, %llu registered domains, %llu wildcards "
      "in %llu directories (%llu mapped now, %zu failed, %llu unparseable blocks)\n"
      "reports: %s\n",
      ctmr::FormatDate(report->as_of).c_str(), static_cast<unsigned long long>(t.certs),
      static_cast<unsigned long long>(t.fqdns), static_cast<unsigned long long>(t.regdomains),
      static_cast<unsigned long long>(t.wildcards),
      static_cast<unsigned long long>(report->stats.active_directories),
      static_cast<unsigned long long>(report->mapped_directories),
      report->failed_directories.size(),
      static_cast<unsigned long long>(report->stats.unparseable_blocks), options.out_dir.c_str());
  return report->failed_directories.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  google::InitGoogleLogging(argv[0]);
  FLAGS_logtostderr = true;
  CLI::App app{"ct-coordinator: map/reduce CT certificate directories into statistics"};
  app.require_subcommand(1);

  ctmr::ReduceOptions options;
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
      ->check(CLI::NonNegativeNumber);
  reduce->add_option("--threads", options.threads, "map threads (default: one per core)")
      ->check(CLI::NonNegativeNumber);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (reduce->parsed()) {
    const std::optional<int32_t> day = ctmr::ParseDate(as_of);
    if (!day.has_value()) {
      std::fprintf(stderr, "ct-coordinator: --as-of %s is not a date (YYYY-MM-DD)\n",
                   as_of.c_str());
      return 2;
    }
    options.as_of = *day;
    if (options.out_dir.empty()) options.out_dir = options.data_dir + "/reports";
    return Reduce(options);
  }
  return 2;
}
