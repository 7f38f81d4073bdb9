// ct-worker: the map step.
//
//   ct-worker map DIR ...    map each date directory in place, no coordinator
#include <glog/logging.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "common/registered_domain.h"
#include "worker/directory_mapper.h"

namespace {

int RunMap(const std::vector<std::string>& dirs, bool openssl_only) {
  absl::StatusOr<std::unique_ptr<ctmr::PublicSuffixList>> suffixes =
      ctmr::PublicSuffixList::LoadLatest();
  if (!suffixes.ok()) {
    std::fprintf(stderr, "ct-worker: %s\n", std::string(suffixes.status().message()).c_str());
    return 1;
  }
  ctmr::DirectoryMapper mapper(suffixes->get(),
                               openssl_only ? ctmr::CertificateDecoder::Mode::kOpenSslOnly
                                            : ctmr::CertificateDecoder::Mode::kFastWithFallback);
  int exit_code = 0;
  for (const std::string& dir : dirs) {
    const auto start = std::chrono::steady_clock::now();
    absl::StatusOr<ctmr::MapStats> stats = mapper.Map(dir);
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
        "%.2f s%s\n",
        dir.c_str(), static_cast<unsigned long long>(stats->certificates),
        static_cast<unsigned long long>(stats->duplicates),
        static_cast<unsigned long long>(stats->unparseable_blocks),
        static_cast<unsigned long long>(stats->bytes_read), seconds,
        stats->committed ? "" : " (unchanged)");
  }
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  google::InitGoogleLogging(argv[0]);
  FLAGS_logtostderr = true;
  CLI::App app{"ct-worker: map CT certificate directories into per-issuer tallies"};
  app.require_subcommand(1);
  std::vector<std::string> dirs;
  CLI::App* map = app.add_subcommand("map", "map date directories in place, without a coordinator");
  map->add_option("DIR", dirs, "date directories (ROOT/YYYY-MM-DD)")->required();
  bool openssl_only = false;
  map->add_flag("--openssl-only", openssl_only,
                "decode with OpenSSL alone (the reference path; for benchmarks)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (map->parsed()) return RunMap(dirs, openssl_only);
  return 2;
}
