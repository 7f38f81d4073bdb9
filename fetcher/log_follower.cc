#include "fetcher/log_follower.h"

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "common/base/status_macros.h"
#include "common/x509/precert_tbs.h"
#include "fetcher/page_pipeline.h"
#include "fetcher/verify/codec.h"
#include "fetcher/verify/merkle.h"
#include "fetcher/verify/tile_proof.h"

namespace ctmr::fetch {
namespace {

constexpr uint64_t kTileWidth = 256;
// What one entry in flight costs, body and parsed copy (a real precertificate
// with its chain is ~2 KB of DER, ~3 KB as base64 JSON): sizes the lookahead
// under FollowerOptions::max_buffered_bytes.
constexpr uint64_t kBytesPerEntryEstimate = 8 << 10;
// Issuer caches: a log has a few dozen issuers; a hostile one must not grow them.
constexpr size_t kMaxCachedIssuers = 4096;
// Fetches of a body that does not parse, before giving up (GetParsed()).
constexpr int kParseAttempts = 4;

double NowSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

absl::Status Annotate(const absl::Status& s, absl::string_view prefix) {
  return absl::Status(s.code(), absl::StrCat(prefix, ": ", s.message()));
}

absl::StatusOr<std::vector<std::string>> ParseConsistencyProof(const std::string& body) {
  RETURN_IF_ERROR(verify::CheckJsonNesting(body, 4));
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  auto it = j.is_object() ? j.find("consistency") : j.end();
  if (!j.is_object() || it == j.end() || !it->is_array() || it->size() > 64) {
    return absl::InvalidArgumentError("get-sth-consistency: no \"consistency\" array");
  }
  std::vector<std::string> proof;
  for (const auto& h : *it) {
    if (!h.is_string()) return absl::InvalidArgumentError("get-sth-consistency: non-string hash");
    ASSIGN_OR_RETURN(std::string bytes, verify::DecodeBase64Strict(h.get<std::string>()));
    proof.push_back(std::move(bytes));
  }
  return proof;
}

// The leaf hash covers a precertificate's TBSCertificate, not the
// pre_certificate a log serves beside it: check that the pre_certificate, less
// its poison extension, has that TBSCertificate (or, issued by a
// precertificate signing certificate, its rewrite: x509/precert_tbs.h).
// Our own DER walk: OpenSSL's decoder cost ~140 µs an entry.
absl::Status CheckPrecertificate(const verify::EntryView& e, absl::string_view issuer_der,
                                 std::string* scratch) {
  if (e.type != verify::LogEntryType::kPrecert) return absl::OkStatus();
  absl::Status s = x509::CheckPrecertificateTbs(
      std::string_view(e.certificate.data(), e.certificate.size()),
      std::string_view(e.tbs_certificate.data(), e.tbs_certificate.size()),
      std::string_view(issuer_der.data(), issuer_der.size()), scratch);
  if (s.ok()) return s;
  if (absl::IsNotFound(s)) return absl::DataLossError("pre_certificate has no CT poison extension");
  if (absl::IsInvalidArgument(s)) {
    return absl::DataLossError(absl::StrCat("pre_certificate is not a certificate: ", s.message()));
  }
  return absl::DataLossError(
      absl::StrCat("pre_certificate does not match the logged TBSCertificate: ", s.message()));
}

}  // namespace

std::string TileIndexPath(uint64_t index) {
  std::string out = absl::StrFormat("%03d", index % 1000);
  for (index /= 1000; index > 0; index /= 1000) {
    out = absl::StrFormat("x%03d/%s", index % 1000, out);
  }
  return out;
}

LogFollower::LogFollower(LogTarget target, FollowerOptions options, HttpClient* http)
    : target_(std::move(target)), options_(std::move(options)), http_(http) {
  if (options_.batch_size == 0) options_.batch_size = 1;
  // Lane 0 has its own client too: the pipeline's lanes run beside this
  // thread, which keeps `http` for heads, proofs and issuers.
  for (int lane = 0; lane < Lanes(); ++lane) {
    lane_clients_.push_back(std::make_unique<HttpClient>(options_.http_options));
  }
}

absl::StatusOr<std::string> LogFollower::Get(const std::string& path, HttpClient* client) {
  absl::string_view base = target_.url;
  while (absl::ConsumeSuffix(&base, "/")) {
  }
  // The log's own lane (and its head and proof requests) never waits for a
  // slot: a busy fetcher still moves every log.
  const bool own = client == nullptr || client == http_ || client == lane_clients_[0].get();
  if (client == nullptr) client = http_;
  ConnectionLimiter::Slot slot(own ? nullptr : options_.connections);
  ASSIGN_OR_RETURN(HttpResponse response,
                   client->GetWithRetry(absl::StrCat(base, "/", path), options_.retry));
  return std::move(response.body);
}

absl::StatusOr<std::string> LogFollower::GetTile(const std::string& kind, uint64_t tile,
                                                 uint64_t width, bool* full, HttpClient* client) {
  const std::string path = absl::StrCat("tile/", kind, "/", TileIndexPath(tile));
  *full = width == kTileWidth;
  if (width < kTileWidth) {
    absl::StatusOr<std::string> partial = Get(absl::StrCat(path, ".p/", width), client);
    if (partial.ok() || !absl::IsNotFound(partial.status())) return partial;
    // The tile may have been completed since the checkpoint: use its prefix.
    *full = true;
  }
  return Get(path, client);
}

absl::Status LogFollower::GetParsed(const std::string& path,
                                    const std::function<absl::Status(const std::string&)>& parse,
                                    std::optional<absl::StatusOr<std::string>> first,
                                    HttpClient* client) {
  std::chrono::milliseconds delay = options_.retry.initial_backoff;
  absl::Status last;
  for (int attempt = 0; attempt < kParseAttempts; ++attempt) {
    absl::StatusOr<std::string> body =
        attempt == 0 && first ? std::move(*first) : Get(path, client);
    // Transport errors and HTTP statuses were retried by the client already.
    if (!body.ok()) return body.status();
    last = parse(*body);
    (client == nullptr ? http_ : client)->Recycle(*std::move(body));
    if (last.ok()) return last;
    if (attempt + 1 == kParseAttempts) break;
    if (options_.retry.sleep) {
      options_.retry.sleep(delay);
    } else {
      std::this_thread::sleep_for(delay);
    }
    delay = std::min(delay * 2, options_.retry.max_backoff);
  }
  return last;
}

verify::HashTileFetcher LogFollower::HashTiles() {
  return
      [this](int level, uint64_t tile, uint64_t width) -> absl::StatusOr<std::vector<std::string>> {
        bool full = false;
        absl::StatusOr<std::string> first = GetTile(absl::StrCat(level), tile, width, &full);
        const std::string path = absl::StrCat("tile/", level, "/", TileIndexPath(tile),
                                              full ? std::string() : absl::StrCat(".p/", width));
        std::vector<std::string> hashes;
        RETURN_IF_ERROR(GetParsed(
            path,
            [&](const std::string& body) -> absl::Status {
              ASSIGN_OR_RETURN(hashes, verify::ParseHashTile(body, full ? kTileWidth : width));
              return absl::OkStatus();
            },
            std::move(first)));
        hashes.resize(width);
        return hashes;
      };
}

absl::StatusOr<std::vector<std::string>> LogFollower::GetConsistencyProof(uint64_t first,
                                                                          uint64_t second) {
  std::vector<std::string> proof;
  RETURN_IF_ERROR(
      GetParsed(absl::StrCat("ct/v1/get-sth-consistency?first=", first, "&second=", second),
                [&](const std::string& body) -> absl::Status {
                  ASSIGN_OR_RETURN(proof, ParseConsistencyProof(body));
                  return absl::OkStatus();
                }));
  return proof;
}

absl::Status LogFollower::ProveRange(const verify::CompactRange& range,
                                     const verify::SignedTreeHead& head, const std::string& what) {
  if (range.size() == head.tree_size) {
    if (range.Root() == head.sha256_root_hash) return absl::OkStatus();
    return absl::DataLossError(
        absl::StrCat(what, " do not hash to the signed tree head of size ", head.tree_size));
  }
  std::vector<std::string> proof;
  if (target_.api == LogApi::kRfc6962) {
    ASSIGN_OR_RETURN(proof, GetConsistencyProof(range.size(), head.tree_size));
  } else {
    // One prover per checkpoint: consecutive rounds share most of its tiles.
    if (prover_ == nullptr || prover_->tree_size() != head.tree_size) {
      prover_ = std::make_unique<verify::TileProver>(head.tree_size, HashTiles());
    }
    absl::StatusOr<std::vector<std::string>> built = prover_->ConsistencyProof(range.size());
    if (!built.ok()) {
      prover_.reset();
      return Annotate(built.status(), absl::StrCat(what, ": hash tiles of the checkpoint"));
    }
    proof = *std::move(built);
  }
  absl::Status s = verify::VerifyConsistency(range.size(), head.tree_size, range.Root(),
                                             head.sha256_root_hash, proof);
  if (!s.ok()) {
    prover_.reset();  // a lying tile must not fail the next proof too
    return Annotate(
        s, absl::StrCat(what, " are not in the signed tree head of size ", head.tree_size));
  }
  return absl::OkStatus();
}

absl::StatusOr<verify::SignedTreeHead> LogFollower::FetchHead() {
  if (target_.api == LogApi::kRfc6962) {
    verify::SignedTreeHead sth;
    RETURN_IF_ERROR(GetParsed("ct/v1/get-sth", [&](const std::string& body) -> absl::Status {
      ASSIGN_OR_RETURN(sth, verify::ParseGetSthResponse(body));
      return absl::OkStatus();
    }));
    absl::Status s = verify::VerifySignedTreeHead(sth, target_.key);
    if (!s.ok()) return Annotate(s, "get-sth: signature does not verify with the log key");
    return sth;
  }
  verify::Checkpoint checkpoint;
  RETURN_IF_ERROR(GetParsed("checkpoint", [&](const std::string& body) -> absl::Status {
    ASSIGN_OR_RETURN(checkpoint, verify::ParseCheckpoint(body));
    return absl::OkStatus();
  }));
  absl::StatusOr<verify::SignedTreeHead> sth =
      verify::VerifyCheckpoint(checkpoint, target_.origin, target_.key);
  if (!sth.ok()) return Annotate(sth.status(), "checkpoint does not verify");
  return sth;
}

void LogFollower::Report(const FetchState& state, bool done) {
  if (!options_.progress) return;
  FetchProgress p;
  p.next_index = state.next_index;
  p.tree_size = state.tree_head.tree_size;
  p.fetched = fetched_;
  p.seconds = NowSeconds() - start_;
  p.done = done;
  options_.progress(p);
}

absl::Status LogFollower::CatchUp() {
  start_ = NowSeconds();
  prover_.reset();
  fetched_ = 0;
  ASSIGN_OR_RETURN(FetchState state, LoadFetchState(target_.state_path, target_.url));
  ASSIGN_OR_RETURN(verify::SignedTreeHead head, FetchHead());
  const verify::SignedTreeHead& verified = state.tree_head;
  if (head.tree_size < verified.tree_size) {
    return absl::FailedPreconditionError(absl::StrCat("tree head shrank: the log now signs size ",
                                                      head.tree_size, " but size ",
                                                      verified.tree_size, " was verified before"));
  }
  if (head.tree_size == verified.tree_size && verified.tree_size > 0 &&
      head.sha256_root_hash != verified.sha256_root_hash) {
    return absl::DataLossError(
        absl::StrCat("the log signs two different roots for tree size ", head.tree_size));
  }
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  writer_ = options_.files != nullptr
                ? std::make_unique<EntryWriter>(options_.files, options_.include_expired, now)
                : std::make_unique<EntryWriter>(options_.data_dir, options_.include_expired, now,
                                                options_.storage);
  unsynced_entries_ = 0;
  last_sync_ = NowSeconds();
  absl::Status s =
      target_.api == LogApi::kRfc6962 ? CatchUpRfc6962(&state, head) : CatchUpTiled(&state, head);
  // Whatever stopped the catch-up, the entries proven and written so far are
  // made durable and the state saved.
  absl::Status synced = Sync(state);
  if (s.ok()) s = synced;
  const EntryWriterStats& w = writer_->stats();
  stats_.written += w.written;
  stats_.expired += w.expired;
  stats_.unparseable += w.unparseable;
  stats_.duplicates += w.duplicates;
  writer_.reset();
  // Between catch-ups a log holds no page buffers: with dozens of logs
  // waiting for their next poll, that memory is the others'.
  http_->ReleaseBuffers();
  for (auto& client : lane_clients_) client->ReleaseBuffers();
  batches_.Release();
  // ct-fetch keeps freed buffers in malloc's arenas while pages flow (main.cc):
  // what the log just released goes back to the kernel here.
#if !defined(__SANITIZE_ADDRESS__)  // which replaces malloc (main.cc)
  malloc_trim(0);
#endif
  Report(state, /*done=*/true);
  return s;
}

absl::Status LogFollower::CatchUpRfc6962(FetchState* state, const verify::SignedTreeHead& head) {
  const verify::SignedTreeHead old_head = state->tree_head;
  if (old_head.tree_size > 0 && head.tree_size > old_head.tree_size) {
    // The new head must extend the verified one, even where no entries are fetched.
    ASSIGN_OR_RETURN(std::vector<std::string> proof,
                     GetConsistencyProof(old_head.tree_size, head.tree_size));
    absl::Status s =
        verify::VerifyConsistency(old_head.tree_size, head.tree_size, old_head.sha256_root_hash,
                                  head.sha256_root_hash, proof);
    if (!s.ok()) {
      return Annotate(
          s, absl::StrCat("signed head of size ", head.tree_size,
                          " is not consistent with the verified size ", old_head.tree_size));
    }
  }
  // Lanes fetch and parse pages ahead (PagePipeline); this thread hashes,
  // proves and writes them in order.
  PagePipeline<PageResult> pipeline(
      Lanes(), AheadPages(), [this](const PageJob& job, int lane) -> PageResult {
        const std::string path =
            absl::StrCat("ct/v1/get-entries?start=", job.start, "&end=", job.end - 1);
        HttpClient* client = lane_clients_[lane].get();
        FetchedPage page;
        page.batch = batches_.Take();
        absl::Status got = GetParsed(
            path,
            [&](const std::string& body) {
              return verify::ParseGetEntriesInto(body, job.end - job.start, &page.batch);
            },
            std::nullopt, client);
        if (!got.ok()) {
          batches_.Give(std::move(page.batch));
          return got;
        }
        page.last = page.batch.size();
        return page;
      });
  uint64_t cursor = state->next_index;  // where the next pushed window starts
  verify::CompactRange range = state->range;
  std::vector<FetchedPage> round;
  uint64_t round_entries = 0;
  const uint64_t round_target = RoundEntries();
  while (range.size() < head.tree_size) {
    const bool stopping = options_.should_stop && options_.should_stop();
    if (!stopping) {
      while (cursor < head.tree_size && pipeline.HasRoom()) {
        const uint64_t page =
            page_cap_ > 0 ? std::min(page_cap_, options_.batch_size) : options_.batch_size;
        const uint64_t end = std::min(head.tree_size, cursor + page);
        pipeline.Push({cursor, end});
        cursor = end;
      }
    }
    if (stopping || pipeline.size() == 0) break;
    auto [job, page] = pipeline.Pop();
    const std::string what = absl::StrCat("get-entries [", job.start, ", ", job.end, ")");
    if (!page.ok()) {
      // A lane's request cut short by SIGTERM: stop here, keeping what is in order.
      if (options_.should_stop && options_.should_stop()) break;
      return Annotate(page.status(), what);
    }
    const size_t got = page->batch.size();
    if (got == 0) return absl::UnavailableError(absl::StrCat(what, " returned none"));
    if (got < job.end - job.start) {
      // Logs cap pages (and some cut them at shard boundaries): ask for no
      // more than the largest short page from now on, and the rest now.
      page_cap_ = std::max<uint64_t>(page_cap_, got);
      pipeline.PushFront({job.start + got, job.end});
    }
    for (size_t i = 0; i < got; ++i) {
      RETURN_IF_ERROR(range.AppendLeaf(page->batch[i].merkle_tree_leaf));
    }
    round_entries += got;
    round.push_back(*std::move(page));
    if (round_entries >= round_target || range.size() == head.tree_size) {
      RETURN_IF_ERROR(ProveAndCommit(&round, &range, head, state));
      round_entries = 0;
    }
  }
  // Stopping (SIGTERM): what was fetched and checked in order is still proven
  // and written; the pages in flight are dropped.
  if (!round.empty()) RETURN_IF_ERROR(ProveAndCommit(&round, &range, head, state));
  return absl::OkStatus();
}

absl::Status LogFollower::ProveAndCommit(std::vector<FetchedPage>* round,
                                         verify::CompactRange* range,
                                         const verify::SignedTreeHead& head, FetchState* state) {
  RETURN_IF_ERROR(ProveRange(
      *range, head,
      absl::StrCat("entries [", state->next_index, ", ", range->size(), ") of ", target_.name)));
  absl::Status s = Commit(*round, *range, head, state);
  for (FetchedPage& page : *round) batches_.Give(std::move(page.batch));
  round->clear();
  return s;
}

int LogFollower::Lanes() const { return std::max(1, options_.parallel); }

size_t LogFollower::AheadPages() const {
  // Two pages per lane keep every lane busy while this thread verifies; the
  // memory bound may allow fewer.
  const uint64_t page =
      target_.api == LogApi::kTiled ? kTileWidth : std::max<uint64_t>(1, options_.batch_size);
  const uint64_t by_memory = options_.max_buffered_bytes / (page * kBytesPerEntryEstimate);
  return static_cast<size_t>(
      std::max<uint64_t>(1, std::min<uint64_t>(2 * static_cast<uint64_t>(Lanes()), by_memory)));
}

uint64_t LogFollower::RoundEntries() const {
  if (target_.api == LogApi::kTiled) {
    return kTileWidth * std::min<uint64_t>(static_cast<uint64_t>(Lanes()), AheadPages());
  }
  return std::max<uint64_t>(1, options_.batch_size) *
         std::min<uint64_t>(static_cast<uint64_t>(Lanes()), AheadPages());
}

absl::Status LogFollower::ParseDataTileBody(absl::StatusOr<std::string> body, uint64_t tile,
                                            uint64_t width, HttpClient* client,
                                            verify::EntryBatch* out) {
  bool full = width == kTileWidth;
  std::string path = absl::StrCat("tile/data/", TileIndexPath(tile));
  if (!full) {
    if (absl::IsNotFound(body.status())) {
      // The tile may have been completed since the checkpoint: use its prefix.
      body = Get(path, client);
      full = true;
    } else {
      absl::StrAppend(&path, ".p/", width);
    }
  }
  return GetParsed(
      path,
      [&](const std::string& text) {
        return verify::ParseDataTileInto(text, full ? kTileWidth : width, out);
      },
      std::move(body), client);
}

absl::StatusOr<const std::string*> LogFollower::FetchIssuer(absl::string_view fingerprint) {
  auto it = issuers_.find(fingerprint);
  if (it != issuers_.end()) return &it->second;
  ASSIGN_OR_RETURN(std::string der, Get(absl::StrCat("issuer/", verify::HexEncode(fingerprint))));
  if (verify::Sha256(der) != fingerprint) {
    return absl::DataLossError(absl::StrCat("issuer ", verify::HexEncode(fingerprint), " of ",
                                            target_.name, " does not have that SHA-256"));
  }
  if (issuers_.size() >= kMaxCachedIssuers) issuers_.clear();
  return &issuers_.emplace(std::string(fingerprint), std::move(der)).first->second;
}

absl::Status LogFollower::CatchUpTiled(FetchState* state, const verify::SignedTreeHead& head) {
  const uint64_t n = head.tree_size;
  const verify::SignedTreeHead& old_head = state->tree_head;
  if (old_head.tree_size > 0 && n > old_head.tree_size) {
    // The new checkpoint must extend the verified one (no split view), even
    // where no entries are fetched.
    absl::StatusOr<std::vector<std::string>> proof =
        verify::ConsistencyProofFromTiles(old_head.tree_size, n, HashTiles());
    absl::Status s =
        proof.ok() ? verify::VerifyConsistency(old_head.tree_size, n, old_head.sha256_root_hash,
                                               head.sha256_root_hash, *proof)
                   : proof.status();
    if (!s.ok()) {
      return Annotate(
          s, absl::StrCat("checkpoint of size ", n, " is not consistent with the verified size ",
                          old_head.tree_size));
    }
  }
  PagePipeline<PageResult> pipeline(
      Lanes(), AheadPages(), [this](const PageJob& job, int lane) -> PageResult {
        const uint64_t width = job.end;
        const std::string path = absl::StrCat("tile/data/", TileIndexPath(job.start),
                                              width < kTileWidth ? absl::StrCat(".p/", width) : "");
        HttpClient* client = lane_clients_[lane].get();
        FetchedPage page;
        page.batch = batches_.Take();
        absl::Status got =
            ParseDataTileBody(Get(path, client), job.start, width, client, &page.batch);
        if (!got.ok()) {
          batches_.Give(std::move(page.batch));
          return got;
        }
        page.last = width;  // a full tile fetched for a partial one: its prefix
        return page;
      });
  verify::CompactRange range = state->range;
  std::vector<FetchedPage> round;
  uint64_t round_entries = 0;
  uint64_t tile = range.size() / kTileWidth;
  const uint64_t round_target = RoundEntries();
  while (range.size() < n) {
    const bool stopping = options_.should_stop && options_.should_stop();
    if (!stopping) {
      for (; tile * kTileWidth < n && pipeline.HasRoom(); ++tile) {
        pipeline.Push({tile, std::min(kTileWidth, n - tile * kTileWidth)});
      }
    }
    if (stopping || pipeline.size() == 0) break;
    auto [job, page] = pipeline.Pop();
    if (!page.ok()) {
      if (options_.should_stop && options_.should_stop()) break;
      return Annotate(page.status(), absl::StrCat("data tile ", job.start, " of ", target_.name));
    }
    // The first tile may be partly verified already (a partial tile before).
    page->first = range.size() - job.start * kTileWidth;
    for (size_t i = page->first; i < page->last; ++i) {
      RETURN_IF_ERROR(range.AppendLeaf(page->batch[i].merkle_tree_leaf));
    }
    round_entries += page->last - page->first;
    round.push_back(*std::move(page));
    if (round_entries >= round_target || range.size() == n) {
      RETURN_IF_ERROR(ProveAndCommit(&round, &range, head, state));
      round_entries = 0;
    }
  }
  if (!round.empty()) RETURN_IF_ERROR(ProveAndCommit(&round, &range, head, state));
  return absl::OkStatus();
}

absl::Status LogFollower::Commit(const std::vector<FetchedPage>& round, verify::CompactRange range,
                                 const verify::SignedTreeHead& head, FetchState* state) {
  // Every entry of the round is checked before any is written: a round that
  // fails leaves nothing behind.
  uint64_t index = state->next_index;
  for (const FetchedPage& page : round) {
    for (size_t i = page.first; i < page.last; ++i, ++index) {
      const verify::EntryView& e = page.batch[i];
      absl::StatusOr<absl::string_view> issuer = IssuerOf(page.batch, i);
      absl::Status s = issuer.status();
      if (s.ok()) s = CheckPrecertificate(e, *issuer, &tbs_scratch_);
      if (s.ok() && e.certificate.empty()) s = absl::DataLossError("no certificate");
      if (!s.ok()) return Annotate(s, absl::StrCat("entry ", index, " of ", target_.name));
    }
  }
  index = state->next_index;
  for (const FetchedPage& page : round) {
    for (size_t i = page.first; i < page.last; ++i, ++index) {
      const verify::EntryView& e = page.batch[i];
      const absl::string_view issuer_der = *IssuerOf(page.batch, i);
      absl::StatusOr<const std::string*> issuer_id = CachedIssuerId(e, issuer_der);
      if (!issuer_id.ok()) {
        return absl::DataLossError(absl::StrCat("entry ", index, " of ", target_.name,
                                                ": no issuer: ", issuer_id.status().message()));
      }
      ASSIGN_OR_RETURN(bool written,
                       writer_->Append(target_.url, e.timestamp, e.certificate, **issuer_id));
      if (written && !issuer_der.empty() && !saved_issuers_.contains(**issuer_id)) {
        // An x509 entry's id is its chain's; a precertificate's is its key
        // hash's, which names the chain's certificate unless a precertificate
        // signing certificate issued it. (issuer_id points into key_hash_ids_
        // then, which CachedIssuerIdOf does not touch.)
        absl::StatusOr<const std::string*> chain_id =
            e.type == verify::LogEntryType::kX509 ? issuer_id : CachedIssuerIdOf(issuer_der);
        if (chain_id.ok() && **chain_id == **issuer_id) {
          RETURN_IF_ERROR(writer_->SaveIssuer(**issuer_id, issuer_der));
          if (saved_issuers_.size() >= kMaxCachedIssuers) saved_issuers_.clear();
          saved_issuers_.insert(**issuer_id);
        }
      }
    }
  }
  const uint64_t added = range.size() - state->next_index;
  fetched_ += added;
  unsynced_entries_ += added;
  state->next_index = range.size();
  state->range = std::move(range);
  state->tree_head = head;
  if (unsynced_entries_ >= options_.sync_entries ||
      NowSeconds() - last_sync_ >= options_.sync_seconds) {
    RETURN_IF_ERROR(Sync(*state));
  }
  Report(*state);
  return absl::OkStatus();
}

absl::StatusOr<absl::string_view> LogFollower::IssuerOf(const verify::EntryBatch& batch, size_t i) {
  if (batch[i].chain_size == 0) return absl::string_view();
  if (target_.api == LogApi::kRfc6962) return batch.chain_certificate(i, 0);
  // Tiles name the issuer by fingerprint.
  ASSIGN_OR_RETURN(const std::string* der, FetchIssuer(batch.chain_fingerprint(i, 0)));
  return absl::string_view(*der);
}

absl::StatusOr<const std::string*> LogFollower::CachedIssuerIdOf(absl::string_view issuer_der) {
  if (last_issuer_id_ != nullptr && issuer_der == last_issuer_der_) return last_issuer_id_;
  auto it = issuer_ids_.find(issuer_der);
  if (it == issuer_ids_.end()) {
    ASSIGN_OR_RETURN(std::string id, verify::IssuerIdFromCertificate(issuer_der));
    // A log has a few dozen issuers; a hostile one must not grow this.
    if (issuer_ids_.size() >= kMaxCachedIssuers) {
      issuer_ids_.clear();
      last_issuer_id_ = nullptr;
    }
    it = issuer_ids_.emplace(std::string(issuer_der), std::move(id)).first;
  }
  last_issuer_der_.assign(issuer_der.data(), issuer_der.size());
  last_issuer_id_ = &it->second;
  return last_issuer_id_;
}

absl::StatusOr<const std::string*> LogFollower::CachedIssuerId(const verify::EntryView& e,
                                                               absl::string_view issuer_der) {
  if (e.type == verify::LogEntryType::kPrecert) {
    auto it = key_hash_ids_.find(e.issuer_key_hash);
    if (it != key_hash_ids_.end()) return &it->second;
    if (key_hash_ids_.size() >= kMaxCachedIssuers) key_hash_ids_.clear();
    return &key_hash_ids_
                .emplace(std::string(e.issuer_key_hash),
                         verify::IssuerIdFromKeyHash(e.issuer_key_hash))
                .first->second;
  }
  if (issuer_der.empty()) {
    return absl::FailedPreconditionError("x509 entry without its issuer certificate");
  }
  return CachedIssuerIdOf(issuer_der);
}

absl::Status LogFollower::Sync(const FetchState& state) {
  if (unsynced_entries_ == 0) return absl::OkStatus();
  RETURN_IF_ERROR(writer_->Commit());
  RETURN_IF_ERROR(SaveFetchState(target_.state_path, state));
  unsynced_entries_ = 0;
  last_sync_ = NowSeconds();
  return absl::OkStatus();
}

}  // namespace ctmr::fetch
