// Parses one 1000-entry get-entries page, built from Navigli 2025h2's tile
// entries as an RFC 6962 log would serve them, N times with each parser and
// prints entries per CPU-second: the nlohmann reference
// (ParseGetEntriesResponse) and EntryBatch (ParseGetEntriesInto, in place and
// copied), plus EntryBatch on the data tiles themselves. ct-fetch's budget is
// 50,000 verified entries per CPU-second, of which parsing is one part.
//
// Usage: entry_batch_bench [ITERATIONS] [SOURCE_DIR]   (defaults: 50, $CT_SOURCE_DIR or .)
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "fetcher/verify/codec.h"
#include "fetcher/verify/entry_batch.h"
#include "fetcher/verify/log_entry.h"

namespace {

using ctmr::verify::EntryBatch;
using ctmr::verify::LogEntry;

constexpr size_t kPageEntries = 1000;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string U24(size_t n) {
  return std::string{static_cast<char>(n >> 16), static_cast<char>(n >> 8), static_cast<char>(n)};
}

double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Resident set size, from /proc/self/statm.
size_t RssBytes() {
  std::ifstream statm("/proc/self/statm");
  size_t pages = 0;
  size_t resident = 0;
  statm >> pages >> resident;
  return resident * 4096;
}

// Runs `parse` (which returns the entries it parsed) `iterations` times after
// one warm-up, and prints and returns entries per CPU-second.
double Measure(const char* name, int iterations, const std::function<size_t()>& parse) {
  size_t entries = parse();
  const double start = CpuSeconds();
  entries = 0;
  for (int i = 0; i < iterations; ++i) entries += parse();
  const double seconds = CpuSeconds() - start;
  const double rate = static_cast<double>(entries) / seconds;
  std::printf("%-34s %10.0f entries/s  (%zu entries, %.3f CPU s)\n", name, rate, entries, seconds);
  return rate;
}

}  // namespace

int main(int argc, char** argv) {
  const int iterations = argc > 1 ? std::atoi(argv[1]) : 50;
  const char* env_root = std::getenv("CT_SOURCE_DIR");
  const std::string root = std::string(argc > 2              ? argv[2]
                                       : env_root != nullptr ? env_root
                                                             : ".") +
                           "/tests/data/ct/navigli2025h2/";

  std::vector<std::string> tiles;
  std::vector<LogEntry> tile_entries;
  for (const char* n : {"000", "001"}) {
    tiles.push_back(ReadFile(root + "tile/data/" + n));
    absl::StatusOr<std::vector<LogEntry>> tile = ctmr::verify::ParseDataTile(tiles.back(), 256);
    if (!tile.ok()) {
      std::fprintf(stderr, "%s: %s\n", (root + "tile/data/" + n).c_str(),
                   std::string(tile.status().message()).c_str());
      return 1;
    }
    tile_entries.insert(tile_entries.end(), tile->begin(), tile->end());
  }
  // The page: the 512 entries, repeated to 1000, each with its chain fetched by
  // fingerprint (what tests/fetch_log_server renders).
  std::string json = "{\"entries\":[";
  for (size_t i = 0; i < kPageEntries; ++i) {
    const LogEntry& e = tile_entries[i % tile_entries.size()];
    std::string chain;
    for (const std::string& fp : e.chain_fingerprints) {
      const std::string der = ReadFile(root + "issuer/" + ctmr::verify::HexEncode(fp));
      chain += U24(der.size()) + der;
    }
    const std::string extra = U24(e.certificate.size()) + e.certificate + U24(chain.size()) + chain;
    absl::StrAppend(&json, i > 0 ? "," : "", "{\"leaf_input\":\"",
                    ctmr::verify::EncodeBase64(e.merkle_tree_leaf), "\",\"extra_data\":\"",
                    ctmr::verify::EncodeBase64(extra), "\"}");
  }
  json += "]}";
  std::string padded;
  padded.reserve(json.size() + ctmr::verify::kJsonPadding);
  padded = json;
  std::printf("page: %zu entries, %zu bytes of JSON; %d iterations\n", kPageEntries, json.size(),
              iterations);

  auto fail = [](const absl::Status& s) {
    std::fprintf(stderr, "parse failed: %s\n", std::string(s.message()).c_str());
    std::exit(1);
  };
  const double reference = Measure("ParseGetEntriesResponse", iterations, [&] {
    absl::StatusOr<std::vector<LogEntry>> entries =
        ctmr::verify::ParseGetEntriesResponse(json, kPageEntries);
    if (!entries.ok()) fail(entries.status());
    return entries->size();
  });
  EntryBatch batch;
  const size_t rss_before = RssBytes();
  if (absl::Status s = ctmr::verify::ParseGetEntriesInto(padded, kPageEntries, &batch); !s.ok()) {
    fail(s);
  }
  const size_t rss_batch = RssBytes() - rss_before;
  const double in_place = Measure("ParseGetEntriesInto (in place)", iterations, [&] {
    absl::Status s = ctmr::verify::ParseGetEntriesInto(padded, kPageEntries, &batch);
    if (!s.ok()) fail(s);
    return batch.size();
  });
  const double copied = Measure("ParseGetEntriesInto (copied)", iterations, [&] {
    absl::Status s =
        ctmr::verify::ParseGetEntriesInto(absl::string_view(json), kPageEntries, &batch);
    if (!s.ok()) fail(s);
    return batch.size();
  });
  Measure("  + ComputeChainFingerprints", iterations, [&] {
    absl::Status s = ctmr::verify::ParseGetEntriesInto(padded, kPageEntries, &batch);
    if (!s.ok()) fail(s);
    batch.ComputeChainFingerprints();
    return batch.size();
  });
  Measure("ParseDataTile", iterations, [&] {
    size_t n = 0;
    for (const std::string& t : tiles) n += ctmr::verify::ParseDataTile(t, 256)->size();
    return n;
  });
  Measure("ParseDataTileInto", iterations, [&] {
    size_t n = 0;
    for (const std::string& t : tiles) {
      absl::Status s = ctmr::verify::ParseDataTileInto(t, 256, &batch);
      if (!s.ok()) fail(s);
      n += batch.size();
    }
    return n;
  });
  std::printf("get-entries speed-up: %.1fx in place, %.1fx copied\n", in_place / reference,
              copied / reference);
  std::printf("batch: bytes() %zu; resident after its first page (in place) %zu\n", batch.bytes(),
              rss_batch);
  return 0;
}
