// Follows one CT log: fetches its signed head, then the entries past the
// state's next_index, proves them against the head, writes them
// (entry_writer.h) and only then advances the state (fetch_state.h).
//
// Pages are fetched and parsed ahead by `parallel` lanes (page_pipeline.h)
// while this thread hashes, proves and writes them in order.
//
// RFC 6962 logs: get-sth (signature checked) → get-entries windows; a server that returns fewer
// entries than asked teaches the follower its page cap, and the rest of the window is asked again →
// each round's contiguous leaves (parallel × batch_size entries) extend the state's CompactRange →
// a get-sth-consistency proof from the extended range to the head (or, at the head, equal roots).
// Static-ct-api logs: checkpoint (note signature checked, origin compared) →
// data tiles, each round (parallel × 256 entries) committed →
// a consistency proof built from the log's hash tiles (tile_proof.h) from the
// extended range to the checkpoint (or, at the checkpoint, equal roots).
// Entries of a range that fails are not written and the state does not move.
// Memory: at most AheadPages() pages in the pipeline (2 × parallel, fewer
// when max_buffered_bytes says so) plus one round.
//
// Errors: kFailedPrecondition for a head smaller than the verified one (the
// state is untouched), kDataLoss for entries or heads that do not verify,
// kUnavailable (after retries) for network trouble, or a failed write.
// One thread per follower; followers of different logs run concurrently,
// sharing a DataFiles and a ConnectionLimiter.
#ifndef CT_FETCHER_LOG_FOLLOWER_H_
#define CT_FETCHER_LOG_FOLLOWER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "fetcher/connection_limiter.h"
#include "fetcher/data_files.h"
#include "fetcher/entry_writer.h"
#include "fetcher/fetch_state.h"
#include "fetcher/http_client.h"
#include "fetcher/log_list.h"
#include "fetcher/verify/entry_batch.h"
#include "fetcher/verify/log_entry.h"
#include "fetcher/verify/merkle.h"
#include "fetcher/verify/tile_proof.h"
#include "fetcher/verify/tree_head.h"

namespace ctmr::fetch {

struct LogTarget {
  LogApi api = LogApi::kRfc6962;
  std::string name;    // for messages: the description, else the URL
  std::string url;     // RFC 6962 base URL or tiled monitoring prefix
  std::string origin;  // tiled only
  verify::LogKey key;
  std::string state_path;
};

struct FetchProgress {
  uint64_t next_index = 0;
  uint64_t tree_size = 0;
  uint64_t fetched = 0;  // entries fetched and verified in this CatchUp()
  double seconds = 0;    // since this CatchUp() began
  bool done = false;     // the last report of a CatchUp()
};

struct FollowerOptions {
  std::string data_dir;
  uint64_t batch_size = 256;  // entries per get-entries request (at most)
  int parallel = 4;           // requests in flight per log
  // Proven entries are appended as each round verifies; the files are
  // fsync'd and the state saved every `sync_entries` entries or
  // `sync_seconds`, and when CatchUp() ends. A crash re-appends at most the
  // entries since the last sync (the map de-duplicates them).
  uint64_t sync_entries = 16384;
  double sync_seconds = 10;
  // For the clients of the lanes.
  HttpClientOptions http_options;
  // Shared by the followers of one ct-fetch (not owned); when null, the
  // follower writes through its own DataFiles on data_dir.
  DataFiles* files = nullptr;
  // The format and bounds of that own DataFiles.
  DataFilesOptions storage;
  // Shared bound on the requests of lanes 1.. of every log (not owned; may be null).
  ConnectionLimiter* connections = nullptr;
  // This log's share of the memory bound: pages fetched ahead.
  uint64_t max_buffered_bytes = uint64_t{64} << 20;
  bool include_expired = false;
  RetryPolicy retry;
  // Polled between batches: true stops CatchUp() early (with OK).
  std::function<bool()> should_stop;
  // Called after each committed batch, and once at the end (done).
  std::function<void(const FetchProgress&)> progress;
};

// A page the lanes fetched and parsed: entries [first, last) of `batch` are
// the log's next ones.
struct FetchedPage {
  verify::EntryBatch batch;
  size_t first = 0;
  size_t last = 0;
};
using PageResult = absl::StatusOr<FetchedPage>;

// Parsed pages' storage, handed back after each commit and reused, so that
// a follower in steady state allocates nothing per entry. Thread-safe.
class BatchPool {
 public:
  verify::EntryBatch Take() {
    std::lock_guard<std::mutex> lock(mu_);
    if (free_.empty()) return verify::EntryBatch();
    verify::EntryBatch b = std::move(free_.back());
    free_.pop_back();
    return b;
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    free_.clear();
  }
  void Give(verify::EntryBatch b) {
    b.Clear();
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(std::move(b));
  }

 private:
  std::mutex mu_;
  std::vector<verify::EntryBatch> free_;
};

class LogFollower {
 public:
  // `http` must outlive the follower.
  LogFollower(LogTarget target, FollowerOptions options, HttpClient* http);

  // Fetches, verifies and writes every entry up to the log's current head.
  absl::Status CatchUp();

  const LogTarget& target() const { return target_; }
  // Totals of the writer over every CatchUp() so far.
  const EntryWriterStats& writer_stats() const { return stats_; }

 private:
  // `client`: a lane's; null for this thread's own (`http`).
  absl::StatusOr<std::string> Get(const std::string& path, HttpClient* client = nullptr);
  // Gets `path` and hands the body to `parse`; a body that does not parse is
  // fetched again, up to 4 times with backoff (logs behind proxies and load
  // balancers sometimes answer 200 with a truncated or foreign body). `first`
  // is a response already fetched, used for the first attempt.
  absl::Status GetParsed(const std::string& path,
                         const std::function<absl::Status(const std::string&)>& parse,
                         std::optional<absl::StatusOr<std::string>> first = std::nullopt,
                         HttpClient* client = nullptr);
  absl::StatusOr<std::vector<std::string>> GetConsistencyProof(uint64_t first, uint64_t second);
  // A tile of `width` entries: the partial tile when width < 256, or the full
  // tile if the partial one is gone (*full is then set).
  absl::StatusOr<std::string> GetTile(const std::string& kind, uint64_t tile, uint64_t width,
                                      bool* full, HttpClient* client = nullptr);
  // Reads the log's hash tiles (tiled logs).
  verify::HashTileFetcher HashTiles();
  // The consistency proof from `range` to `head` (or equal roots at the head);
  // kDataLoss naming `what` if it does not hold.
  absl::Status ProveRange(const verify::CompactRange& range, const verify::SignedTreeHead& head,
                          const std::string& what);
  absl::StatusOr<verify::SignedTreeHead> FetchHead();
  absl::Status CatchUpRfc6962(FetchState* state, const verify::SignedTreeHead& head);
  absl::Status CatchUpTiled(FetchState* state, const verify::SignedTreeHead& head);
  // Parses a data tile of `width` entries into *out (the full tile when the
  // partial one is gone).
  absl::Status ParseDataTileBody(absl::StatusOr<std::string> body, uint64_t tile, uint64_t width,
                                 HttpClient* client, verify::EntryBatch* out);
  // Proves `range` (which `round` extended) against `head` and commits;
  // gives the round's batches back to the pool and empties it.
  absl::Status ProveAndCommit(std::vector<FetchedPage>* round, verify::CompactRange* range,
                              const verify::SignedTreeHead& head, FetchState* state);
  int Lanes() const;
  size_t AheadPages() const;      // pipeline depth
  uint64_t RoundEntries() const;  // entries per proof and commit
  // The issuer certificate with that SHA-256 (tiled logs), cached.
  absl::StatusOr<const std::string*> FetchIssuer(absl::string_view fingerprint);
  // Entry i's issuer certificate (DER), empty when the entry names none.
  absl::StatusOr<absl::string_view> IssuerOf(const verify::EntryBatch& batch, size_t i);
  // Checks every entry of the round (precertificates against their logged
  // TBS), then writes them and advances `state` to `range` under `head`;
  // syncs when due (see FollowerOptions::sync_entries).
  absl::Status Commit(const std::vector<FetchedPage>& round, verify::CompactRange range,
                      const verify::SignedTreeHead& head, FetchState* state);
  // IssuerId() and IssuerIdFromCertificate() (log_entry.h), remembered per
  // issuer key hash and per issuer certificate: no allocation per entry.
  absl::StatusOr<const std::string*> CachedIssuerId(const verify::EntryView& e,
                                                    absl::string_view issuer_der);
  absl::StatusOr<const std::string*> CachedIssuerIdOf(absl::string_view issuer_der);
  // fsyncs what was written and saves `state`, if anything is unsynced.
  absl::Status Sync(const FetchState& state);
  void Report(const FetchState& state, bool done = false);

  LogTarget target_;
  FollowerOptions options_;
  HttpClient* http_;
  std::vector<std::unique_ptr<HttpClient>> lane_clients_;  // one per pipeline lane
  uint64_t page_cap_ = 0;  // the largest page of a short get-entries read; 0: none seen
  // Node maps: the pointers and views handed out stay valid as they grow.
  absl::node_hash_map<std::string, std::string> issuers_;       // fingerprint → DER
  absl::node_hash_map<std::string, std::string> issuer_ids_;    // issuer DER → issuer id
  absl::node_hash_map<std::string, std::string> key_hash_ids_;  // issuer_key_hash → issuer id
  absl::flat_hash_set<std::string> saved_issuers_;              // ids written to ROOT/issuers
  // The last issuer certificate looked up, and its id: consecutive entries
  // mostly share their issuer, and comparing is cheaper than hashing 1-2 KB.
  std::string last_issuer_der_;
  const std::string* last_issuer_id_ = nullptr;
  BatchPool batches_;
  // Tiled logs: the consistency prover of the current checkpoint, whose
  // tiles consecutive rounds share; dropped when a proof fails and at each
  // CatchUp().
  std::unique_ptr<verify::TileProver> prover_;
  std::unique_ptr<EntryWriter> writer_;  // during CatchUp()
  std::string tbs_scratch_;              // CheckPrecertificate's, reused
  EntryWriterStats stats_;
  uint64_t fetched_ = 0;
  uint64_t unsynced_entries_ = 0;  // committed in memory, not yet synced
  double last_sync_ = 0;
  double start_ = 0;
};

// C2SP tlog-tiles index path: 1234067 → "x001/x234/067".
std::string TileIndexPath(uint64_t index);

}  // namespace ctmr::fetch

#endif  // CT_FETCHER_LOG_FOLLOWER_H_
