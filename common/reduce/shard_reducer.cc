#include "common/reduce/shard_reducer.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <queue>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"
#include "common/reduce/shard_queue.h"
#include "common/tally/oracle_reader.h"

namespace ctmr::reduce {
namespace {

constexpr double kHeadroom = 1.25;          // for the uneven split of the hashes
constexpr uint32_t kMaxSplitPieces = 4096;  // beyond this, the limit is the problem

const char* KindName(tally::NameSet kind) {
  return kind == tally::NameSet::kFqdns        ? "FQDNs"
         : kind == tally::NameSet::kRegdomains ? "registered domains"
                                               : "wildcards";
}

void AddCount(tally::NameSet kind, uint64_t n, NameCounts* c) {
  switch (kind) {
    case tally::NameSet::kFqdns:
      c->set_fqdns(c->fqdns() + n);
      break;
    case tally::NameSet::kRegdomains:
      c->set_regdomains(c->regdomains() + n);
      break;
    case tally::NameSet::kWildcards:
      c->set_wildcards(c->wildcards() + n);
      break;
  }
}

void AddCounts(const NameCounts& from, ActiveCounts* to) {
  to->fqdns += from.fqdns();
  to->regdomains += from.regdomains();
  to->wildcards += from.wildcards();
}

// The issuers and organizations a shard counts, by index.
struct ShardKeys {
  absl::flat_hash_map<std::string, size_t> issuer_index;
  std::vector<size_t> organization_of;  // by issuer index
  size_t organizations = 0;
};

ShardKeys KeysOf(const ShardTask& task, ShardCounts* out) {
  ShardKeys keys;
  std::map<std::string, size_t> organizations;
  for (const IssuerOrganization& i : task.issuers()) organizations.emplace(i.organization(), 0);
  for (auto& [name, index] : organizations) {
    index = keys.organizations++;
    out->add_organizations()->set_key(name);
  }
  for (const IssuerOrganization& i : task.issuers()) {
    keys.issuer_index.emplace(i.issuer_id(), keys.organization_of.size());
    keys.organization_of.push_back(organizations[i.organization()]);
    out->add_issuers()->set_key(i.issuer_id());
  }
  return keys;
}

// Calls fn(issuer index, reader, span, begin, end) for the slice of `range`
// in the `kind` set of every counted issuer of every input.
template <typename Fn>
absl::Status ForEachSlice(const ShardTask& task, const ShardKeys& keys,
                          const tally::HashRange& range, tally::NameSet kind, Fn fn) {
  for (const std::string& name : task.inputs()) {
    const std::string path = absl::StrCat(task.input_dir(), "/", name);
    ASSIGN_OR_RETURN(std::optional<tally::OracleReader> reader, tally::OracleReader::Open(path));
    if (!reader.has_value()) {
      return absl::FailedPreconditionError(absl::StrCat(path, " is missing or no longer a tally"));
    }
    for (const tally::OracleIssuer& issuer : reader->issuers()) {
      auto it = keys.issuer_index.find(issuer.header.issuer_id());
      if (it == keys.issuer_index.end()) continue;  // no active certificates anywhere
      const tally::SetSpan& span = issuer.names(kind);
      ASSIGN_OR_RETURN(const auto slice, reader->Locate(span, range));
      RETURN_IF_ERROR(fn(it->second, *reader, span, slice.first, slice.second));
    }
  }
  return absl::OkStatus();
}

// Distinct hashes per organization and in total, from each issuer's sorted
// set: a k-way merge, so the unions are counted without being built.
void CountUnions(const std::vector<tally::HashSet>& sets, const ShardKeys& keys,
                 tally::NameSet kind, ShardCounts* out) {
  struct Cursor {
    const base::Hash128* next;
    const base::Hash128* end;
    size_t issuer;
  };
  const auto later = [](const Cursor& a, const Cursor& b) { return *b.next < *a.next; };
  std::priority_queue<Cursor, std::vector<Cursor>, decltype(later)> heap(later);
  for (size_t i = 0; i < sets.size(); ++i) {
    if (!sets[i].empty()) heap.push(Cursor{sets[i].data(), sets[i].data() + sets[i].size(), i});
  }
  std::vector<uint64_t> per_organization(keys.organizations, 0);
  std::vector<uint64_t> seen_at(keys.organizations, 0);  // the last hash (by number) it had
  uint64_t total = 0;
  while (!heap.empty()) {
    const base::Hash128 h = *heap.top().next;
    ++total;
    while (!heap.empty() && *heap.top().next == h) {
      Cursor c = heap.top();
      heap.pop();
      const size_t organization = keys.organization_of[c.issuer];
      if (seen_at[organization] != total) {
        seen_at[organization] = total;
        ++per_organization[organization];
      }
      if (++c.next != c.end) heap.push(c);
    }
  }
  for (size_t o = 0; o < keys.organizations; ++o) {
    AddCount(kind, per_organization[o], out->mutable_organizations(static_cast<int>(o)));
  }
  AddCount(kind, total, out->mutable_totals());
}

}  // namespace

ReduceBase ReduceWithoutNames(const std::string& input_dir,
                              const std::vector<ReduceInput>& inputs) {
  ReduceBase base;
  TallyReducer reducer;
  for (const ReduceInput& input : inputs) {
    absl::StatusOr<std::optional<tally::OracleReader>> reader =
        tally::OracleReader::Open(absl::StrCat(input_dir, "/", input.name));
    if (!reader.ok()) {
      base.failed.emplace_back(input.name, reader.status());
      continue;
    }
    if (!reader->has_value()) continue;
    // The shards read the hash sets of the active tallies in pieces, too small
    // to check: the whole file is checked once here. An expired tally's sets
    // are never read, and its trailer already caught a file cut short.
    if (input.active) {
      if (absl::Status verified = (*reader)->VerifyChecksum(); !verified.ok()) {
        base.failed.emplace_back(input.name, verified);
        continue;
      }
    }
    DirectoryTally header = (*reader)->header();
    std::vector<uint64_t> certificates;
    for (const tally::OracleIssuer& issuer : (*reader)->issuers()) {
      *header.add_issuers() = issuer.header;
      certificates.push_back(issuer.serials.count);
      if (!input.active) continue;
      std::array<uint64_t, 3>& per_issuer = base.issuer_name_records[issuer.header.issuer_id()];
      for (tally::NameSet kind : tally::kNameSets) {
        base.name_records[static_cast<size_t>(kind)] += issuer.names(kind).count;
        per_issuer[static_cast<size_t>(kind)] += issuer.names(kind).count;
      }
    }
    reducer.AddWithoutNames(header, certificates, input.active);
    if (input.active) base.active_inputs.push_back(input.name);
  }
  base.stats = reducer.Finish();
  return base;
}

namespace {

uint64_t CountOf(const NameCounts& c, size_t kind) {
  return kind == 0 ? c.fqdns() : kind == 1 ? c.regdomains() : c.wildcards();
}

}  // namespace

absl::Status CheckShardCounts(const ShardTask& task, const ShardCounts& counts,
                              const IssuerNameRecords& records) {
  if (counts.issuers_size() != task.issuers_size()) {
    return absl::InvalidArgumentError(absl::StrCat("counts of ", counts.issuers_size(),
                                                   " issuers for a task of ", task.issuers_size()));
  }
  static constexpr const char* kKinds[] = {"FQDNs", "registered domains", "wildcards"};
  // Per organization and kind: the sum and the largest of its issuers.
  std::map<std::string, std::array<std::pair<uint64_t, uint64_t>, 3>> organizations;
  for (int i = 0; i < task.issuers_size(); ++i) {
    const IssuerOrganization& want = task.issuers(i);
    const NameCounts& got = counts.issuers(i);
    if (got.key() != want.issuer_id()) {
      return absl::InvalidArgumentError(
          absl::StrCat("issuer ", i, " is ", got.key(), ", not the task's ", want.issuer_id()));
    }
    auto limit = records.find(want.issuer_id());
    auto& org = organizations[want.organization()];
    for (size_t k = 0; k < 3; ++k) {
      const uint64_t n = CountOf(got, k);
      if (!records.empty() && n > (limit == records.end() ? 0 : limit->second[k])) {
        return absl::InvalidArgumentError(
            absl::StrCat(n, " ", kKinds[k], " of issuer ", got.key(), ", more than the ",
                         limit == records.end() ? 0 : limit->second[k], " its tallies hold"));
      }
      org[k].first += n;
      org[k].second = std::max(org[k].second, n);
    }
  }
  if (counts.organizations_size() != static_cast<int>(organizations.size())) {
    return absl::InvalidArgumentError(absl::StrCat("counts of ", counts.organizations_size(),
                                                   " organizations for a task of ",
                                                   organizations.size()));
  }
  std::array<std::pair<uint64_t, uint64_t>, 3> total = {};
  for (const NameCounts& got : counts.organizations()) {
    auto it = organizations.find(got.key());
    if (it == organizations.end()) {
      return absl::InvalidArgumentError(absl::StrCat("unknown organization ", got.key()));
    }
    for (size_t k = 0; k < 3; ++k) {
      const uint64_t n = CountOf(got, k);
      const auto [sum, largest] = it->second[k];
      if (n > sum || n < largest) {
        return absl::InvalidArgumentError(absl::StrCat(n, " ", kKinds[k], " of organization ",
                                                       got.key(), ", outside [", largest, ", ", sum,
                                                       "] of its issuers"));
      }
      total[k].first += n;
      total[k].second = std::max(total[k].second, n);
    }
  }
  for (size_t k = 0; k < 3; ++k) {
    const uint64_t n = CountOf(counts.totals(), k);
    // Every organization of the task holds at least one issuer.
    uint64_t sum = 0, largest = 0;
    for (const auto& [name, org] : organizations) {
      sum += org[k].first;
      largest = std::max(largest, org[k].second);
    }
    largest = std::max(largest, total[k].second);
    if (n > sum || n < largest) {
      return absl::InvalidArgumentError(absl::StrCat(n, " ", kKinds[k], " in total, outside [",
                                                     largest, ", ", sum, "] of the issuers"));
    }
  }
  return absl::OkStatus();
}

uint32_t ChooseShardCount(const ReduceBase& base, uint64_t budget_bytes, int parallelism) {
  const uint64_t largest = *std::max_element(base.name_records.begin(), base.name_records.end());
  const double per_shard = static_cast<double>(budget_bytes) / std::max(1, parallelism);
  const double need = static_cast<double>(largest) * sizeof(base::Hash128) * kHeadroom;
  if (per_shard < 1) return kMaxShards;
  return static_cast<uint32_t>(
      std::clamp(std::ceil(need / per_shard), 1.0, static_cast<double>(kMaxShards)));
}

ShardTask MakeShardTask(const ReduceBase& base, const std::string& input_dir,
                        const tally::HashRange& range) {
  ShardTask task;
  task.set_input_dir(input_dir);
  for (const std::string& name : base.active_inputs) task.add_inputs(name);
  for (const IssuerStats& issuer : base.stats.issuers) {
    IssuerOrganization* i = task.add_issuers();
    i->set_issuer_id(issuer.issuer_id);
    i->set_organization(issuer.organization);
  }
  task.set_first(tally::EncodeHash(range.first));
  task.set_last(tally::EncodeHash(range.last));
  return task;
}

absl::StatusOr<ShardCounts> CountShard(const ShardTask& task, base::MemoryBudget* budget,
                                       uint64_t* needed_bytes) {
  ASSIGN_OR_RETURN(const tally::HashRange range, tally::DecodeRange(task.first(), task.last()));
  ShardCounts out;
  const ShardKeys keys = KeysOf(task, &out);
  const size_t issuers = keys.organization_of.size();
  // How many hashes of the range each issuer has, per kind, to reserve them exactly.
  std::array<std::vector<uint64_t>, 3> sizes;
  std::array<uint64_t, 3> records = {0, 0, 0};
  for (tally::NameSet kind : tally::kNameSets) sizes[static_cast<size_t>(kind)].assign(issuers, 0);
  for (tally::NameSet kind : tally::kNameSets) {
    const auto k = static_cast<size_t>(kind);
    RETURN_IF_ERROR(ForEachSlice(
        task, keys, range, kind,
        [&](size_t i, tally::OracleReader&, const tally::SetSpan&, uint64_t begin, uint64_t end) {
          sizes[k][i] += end - begin;
          records[k] += end - begin;
          return absl::OkStatus();
        }));
  }
  const uint64_t needed = *std::max_element(records.begin(), records.end()) * sizeof(base::Hash128);
  if (needed_bytes != nullptr) *needed_bytes = needed;
  const std::string what = absl::StrCat("shard ", tally::DescribeRange(range), " of ",
                                        task.inputs_size(), " directories");
  if (needed > budget->capacity()) {
    return absl::ResourceExhaustedError(absl::StrCat(what, " needs ", base::FormatBytes(needed),
                                                     ", more than the memory budget of ",
                                                     base::FormatBytes(budget->capacity())));
  }
  for (tally::NameSet kind : tally::kNameSets) {
    const auto k = static_cast<size_t>(kind);
    ASSIGN_OR_RETURN(const base::MemoryBudget::Reservation reservation,
                     budget->Reserve(records[k] * sizeof(base::Hash128),
                                     absl::StrCat(what, " (", KindName(kind), ")")));
    out.set_reserved_bytes(std::max(out.reserved_bytes(), reservation.bytes()));
    std::vector<tally::HashSet> sets(issuers);  // freed before the reservation
    for (size_t i = 0; i < issuers; ++i) sets[i].reserve(sizes[k][i]);
    RETURN_IF_ERROR(ForEachSlice(task, keys, range, kind,
                                 [&](size_t i, tally::OracleReader& reader,
                                     const tally::SetSpan& span, uint64_t begin, uint64_t end) {
                                   if (sets[i].size() + (end - begin) > sizes[k][i]) {
                                     return absl::AbortedError(absl::StrCat(
                                         reader.path(), " changed while the shard was read"));
                                   }
                                   return reader.Read(span, begin, end, &sets[i]);
                                 }));
    for (size_t i = 0; i < issuers; ++i) {
      tally::SortUnique(&sets[i]);  // in place: sorts the concatenated slices
      AddCount(kind, sets[i].size(), out.mutable_issuers(static_cast<int>(i)));
    }
    CountUnions(sets, keys, kind, &out);
  }
  return out;
}

absl::StatusOr<uint32_t> SplitPieces(uint64_t needed_bytes, uint64_t capacity,
                                     uint64_t parent_needed) {
  if (parent_needed > 0 && needed_bytes * 2 > parent_needed) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "a shard still needs ", base::FormatBytes(needed_bytes), " after it was split (from ",
        base::FormatBytes(parent_needed),
        "): its hashes are held by too many directories and issuers ", "for a memory budget of ",
        base::FormatBytes(capacity), "; raise --memory-limit"));
  }
  const double pieces =
      std::ceil(static_cast<double>(needed_bytes) * kHeadroom / static_cast<double>(capacity));
  if (capacity == 0 || pieces > kMaxSplitPieces) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "a shard needs ", base::FormatBytes(needed_bytes), ", more than ", kMaxSplitPieces,
        " times the memory budget of ", base::FormatBytes(capacity), "; raise --memory-limit"));
  }
  return std::max<uint32_t>(2, static_cast<uint32_t>(pieces));
}

absl::Status AddShardCounts(const ShardCounts& counts, ReduceStats* stats) {
  absl::flat_hash_map<std::string, IssuerStats*> issuers;
  for (IssuerStats& i : stats->issuers) issuers[i.issuer_id] = &i;
  absl::flat_hash_map<std::string, OrganizationStats*> organizations;
  for (OrganizationStats& o : stats->organizations) organizations[o.organization] = &o;
  for (const NameCounts& c : counts.issuers()) {
    auto it = issuers.find(c.key());
    if (it == issuers.end()) {
      return absl::InternalError(absl::StrCat("a shard counted unknown issuer ", c.key()));
    }
    AddCounts(c, &it->second->active);
  }
  for (const NameCounts& c : counts.organizations()) {
    auto it = organizations.find(c.key());
    if (it == organizations.end()) {
      return absl::InternalError(absl::StrCat("a shard counted unknown organization ", c.key()));
    }
    AddCounts(c, &it->second->active);
  }
  AddCounts(counts.totals(), &stats->totals);
  return absl::OkStatus();
}

absl::Status CountQueueInProcess(const ShardTask& whole, ShardQueue* queue, int threads,
                                 base::MemoryBudget* budget, ReduceStats* stats) {
  std::mutex mu;
  std::condition_variable changed;
  absl::Status error;
  const auto work = [&] {
    std::unique_lock<std::mutex> lock(mu);
    for (;;) {
      // Wait for a range, or for the end: nothing queued and nothing running
      // that could still split.
      changed.wait(lock, [&] { return queue->has_queued() || queue->finished() || !error.ok(); });
      if (!queue->has_queued() || !error.ok()) break;
      const ShardQueue::Shard next = *queue->Take();
      lock.unlock();
      uint64_t needed = 0;
      absl::StatusOr<ShardCounts> counts =
          CountShard(TaskForRange(whole, next.range), budget, &needed);
      lock.lock();
      absl::Status status = counts.status();
      if (counts.ok()) {
        status = queue->Counted(*counts, stats);
      } else if (absl::IsResourceExhausted(status)) {
        status = queue->TooLarge(next, needed, budget->capacity()).status();
      } else {
        queue->Failed();
      }
      if (!status.ok() && error.ok()) error = status;
      changed.notify_all();
    }
    changed.notify_all();
  };
  std::vector<std::thread> pool;
  const int n = std::max(1, threads);
  pool.reserve(static_cast<size_t>(n));
  for (int t = 0; t < n; ++t) pool.emplace_back(work);
  for (std::thread& t : pool) t.join();
  return error;
}

absl::StatusOr<ShardRunStats> CountShardsInProcess(const std::string& input_dir, uint32_t shards,
                                                   int threads, base::MemoryBudget* budget,
                                                   ReduceBase* base) {
  ShardQueue queue(shards);
  RETURN_IF_ERROR(CountQueueInProcess(MakeShardTask(*base, input_dir, tally::ShardRange(0, 1)),
                                      &queue, std::min<int>(threads, static_cast<int>(shards)),
                                      budget, &base->stats));
  return queue.stats();
}

}  // namespace ctmr::reduce
