#include "fetcher/fetch_metrics.h"

#include "absl/strings/str_cat.h"

namespace ctmr::fetch {

FetchMetrics::FetchMetrics(const std::vector<std::string>& log_names,
                           std::chrono::milliseconds poll_interval,
                           std::chrono::steady_clock::time_point start)
    : registry_(std::make_shared<prometheus::Registry>()), poll_interval_(poll_interval) {
  auto& entries = prometheus::BuildCounter()
                      .Name("ct_fetch_entries_total")
                      .Help("Log entries fetched and verified.")
                      .Register(*registry_);
  auto& written = prometheus::BuildCounter()
                      .Name("ct_fetch_certificates_written_total")
                      .Help("Certificates appended to the data root.")
                      .Register(*registry_);
  auto& expired = prometheus::BuildCounter()
                      .Name("ct_fetch_certificates_expired_total")
                      .Help("Certificates skipped because they had expired.")
                      .Register(*registry_);
  auto& duplicates = prometheus::BuildCounter()
                         .Name("ct_fetch_certificates_duplicate_total")
                         .Help(
                             "Certificates not written because their issuer and serial were "
                             "stored already (compact format).")
                         .Register(*registry_);
  auto& failures = prometheus::BuildCounter()
                       .Name("ct_fetch_verification_failures_total")
                       .Help("Heads, proofs or entries that did not verify.")
                       .Register(*registry_);
  auto& errors = prometheus::BuildCounter()
                     .Name("ct_fetch_errors_total")
                     .Help("Catch-ups that ended in an error (verification failures included).")
                     .Register(*registry_);
  auto& tree_size = prometheus::BuildGauge()
                        .Name("ct_fetch_tree_size")
                        .Help("Size of the log's last verified tree head.")
                        .Register(*registry_);
  auto& next_index = prometheus::BuildGauge()
                         .Name("ct_fetch_next_index")
                         .Help("Index of the next entry to fetch.")
                         .Register(*registry_);
  auto& lag = prometheus::BuildGauge()
                  .Name("ct_fetch_log_lag_entries")
                  .Help("Verified tree size minus the next index.")
                  .Register(*registry_);
  retries_ = &prometheus::BuildCounter()
                  .Name("ct_fetch_http_retries_total")
                  .Help("HTTP requests retried after a transient failure.")
                  .Register(*registry_)
                  .Add({});
  for (const std::string& name : log_names) {
    const prometheus::Labels labels = {{"log", name}};
    PerLog& log = logs_[name];
    log.entries = &entries.Add(labels);
    log.written = &written.Add(labels);
    log.expired = &expired.Add(labels);
    log.duplicates = &duplicates.Add(labels);
    log.verification_failures = &failures.Add(labels);
    log.errors = &errors.Add(labels);
    log.tree_size = &tree_size.Add(labels);
    log.next_index = &next_index.Add(labels);
    log.lag = &lag.Add(labels);
    log.last_progress = start;
  }
}

void FetchMetrics::OnProgress(const std::string& name, const FetchProgress& p,
                              std::chrono::steady_clock::time_point now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = logs_.find(name);
  if (it == logs_.end()) return;
  PerLog& log = it->second;
  // `fetched` counts from 0 in each CatchUp(), whose last report is `done`.
  if (p.fetched > log.last_fetched) {
    log.entries->Increment(static_cast<double>(p.fetched - log.last_fetched));
    log.last_progress = now;
  }
  log.last_fetched = p.done ? 0 : p.fetched;
  log.last_next_index = p.next_index;
  log.tree_size->Set(static_cast<double>(p.tree_size));
  log.next_index->Set(static_cast<double>(p.next_index));
  log.lag->Set(static_cast<double>(p.tree_size - std::min(p.tree_size, p.next_index)));
}

void FetchMetrics::OnCatchUp(const std::string& name, const absl::Status& status,
                             const EntryWriterStats& totals) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = logs_.find(name);
  if (it == logs_.end()) return;
  PerLog& log = it->second;
  log.written->Increment(static_cast<double>(totals.written - log.last_totals.written));
  log.expired->Increment(static_cast<double>(totals.expired - log.last_totals.expired));
  log.duplicates->Increment(static_cast<double>(totals.duplicates - log.last_totals.duplicates));
  log.last_totals = totals;
  if (!status.ok()) {
    log.errors->Increment();
    if (absl::IsDataLoss(status)) log.verification_failures->Increment();
  }
}

void FetchMetrics::OnRetry() { retries_->Increment(); }

metrics::HealthStatus FetchMetrics::Health(std::chrono::steady_clock::time_point now) const {
  std::lock_guard<std::mutex> lock(mu_);
  metrics::HealthStatus status{true, ""};
  for (const auto& [name, log] : logs_) {
    const auto idle =
        std::chrono::duration_cast<std::chrono::milliseconds>(now - log.last_progress);
    if (idle > 2 * poll_interval_) {
      status.healthy = false;
      absl::StrAppend(&status.detail, status.detail.empty() ? "" : "\n", name,
                      ": no new entries for ", idle.count() / 1000, " s (limit ",
                      2 * poll_interval_.count() / 1000.0, " s) at index ", log.last_next_index);
    }
  }
  if (status.healthy) status.detail = absl::StrCat("ok: ", logs_.size(), " logs progressing");
  return status;
}

}  // namespace ctmr::fetch
