#include "worker/task_runner.h"

#include <chrono>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/map/directory_mapper.h"
#include "common/reduce/shard_reducer.h"

namespace ctmr::worker {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void SetError(const absl::Status& status, Result* result) {
  result->set_ok(false);
  result->set_error_kind(ErrorKindOf(status));
  result->set_error(std::string(status.message()));
}

}  // namespace

ErrorKind ErrorKindOf(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return ERROR_KIND_UNSPECIFIED;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kCancelled:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
      return TRANSIENT;
    case absl::StatusCode::kResourceExhausted:
      return TOO_LARGE;
    default:
      return PERMANENT;
  }
}

Result RunMapTask(const MapTask& task, const names::PublicSuffixList* suffixes,
                  base::MemoryBudget* budget, uint64_t memory_bytes) {
  const auto start = std::chrono::steady_clock::now();
  Result result;
  result.set_task_id(task.task_id());
  base::MemoryBudget::Reservation reservation;
  if (budget != nullptr) {
    absl::StatusOr<base::MemoryBudget::Reservation> r =
        budget->Reserve(memory_bytes, absl::StrCat("the map of ", task.directory()));
    if (!r.ok()) {
      SetError(r.status(), &result);
      result.set_seconds(SecondsSince(start));
      return result;
    }
    reservation = *std::move(r);
  }
  map::DirectoryMapper mapper(suffixes, x509::CertificateDecoder::Mode::kFastWithFallback,
                              memory_bytes);
  absl::StatusOr<map::MapStats> stats;
  if (task.parts() > 1) {
    const map::PartSpec spec{task.plan_id(), task.part(), task.parts(),
                             std::vector<std::string>(task.stems().begin(), task.stems().end())};
    stats = mapper.MapPart(task.directory(), spec);
  } else {
    stats = mapper.Map(task.directory());
  }
  if (stats.ok()) {
    result.set_ok(true);
    MapResult* m = result.mutable_map();
    m->set_certificates(stats->certificates);
    m->set_duplicates(stats->duplicates);
    m->set_unparseable_blocks(stats->unparseable_blocks);
    m->set_bytes_read(stats->bytes_read);
    m->set_committed(stats->committed);
  } else {
    SetError(stats.status(), &result);
  }
  result.set_seconds(SecondsSince(start));
  return result;
}

Result RunShardTask(const ShardTask& task, base::MemoryBudget* budget) {
  const auto start = std::chrono::steady_clock::now();
  Result result;
  result.set_task_id(task.task_id());
  uint64_t needed = 0;
  absl::StatusOr<ShardCounts> counts = reduce::CountShard(task, budget, &needed);
  if (counts.ok()) {
    result.set_ok(true);
    *result.mutable_shard() = *std::move(counts);
  } else {
    SetError(counts.status(), &result);
    if (result.error_kind() == TOO_LARGE) result.set_needed_bytes(needed);
  }
  result.set_seconds(SecondsSince(start));
  return result;
}

}  // namespace ctmr::worker
