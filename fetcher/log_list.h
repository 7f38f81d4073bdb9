// The logs ct-fetch follows: read from Chrome's v3 log list JSON
// (operators[].logs[] for RFC 6962 logs, operators[].tiled_logs[] for
// static-ct-api logs) and filtered as DESIGN.md §4 prescribes.
#ifndef CT_FETCHER_LOG_LIST_H_
#define CT_FETCHER_LOG_LIST_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ctmr::fetch {

enum class LogApi { kRfc6962, kTiled };

struct LogInfo {
  LogApi api = LogApi::kRfc6962;
  std::string description;
  // RFC 6962: the log's base URL ("…/ct/v1/get-sth" is below it).
  // Tiled: the monitoring prefix (checkpoint, tiles, issuers).
  std::string url;
  std::string submission_url;  // tiled only
  // Tiled only: the checkpoint origin, the submission prefix without its
  // scheme and trailing slashes (static-ct-api).
  std::string origin;
  std::string key_base64;  // DER SubjectPublicKeyInfo
  std::string log_id_base64;
  std::string state;  // "usable", "qualified", "readonly", "retired", …; "" if absent
  // temporal_interval in seconds since the epoch, when the list gives one.
  std::optional<int64_t> start_inclusive;
  std::optional<int64_t> end_exclusive;
};

// Parses a v3 log list. kInvalidArgument naming the offending log on a
// missing or mistyped url, key or temporal_interval.
absl::StatusOr<std::vector<LogInfo>> ParseLogList(absl::string_view json);

struct LogSelection {
  bool include_expired = false;  // also ended intervals and any state
  // Names (description, case-insensitive) or URLs; empty means every log.
  std::vector<std::string> names;
  int64_t now_unix_seconds = 0;
};

// Whether ct-fetch follows `log` by default at `now`: usable, qualified or
// readonly, and its temporal interval (if any) has not ended.
bool IsFollowedByDefault(const LogInfo& log, int64_t now_unix_seconds);

// The logs to follow. kNotFound naming the first --log name that matches no
// selected log.
absl::StatusOr<std::vector<LogInfo>> SelectLogs(const std::vector<LogInfo>& logs,
                                                const LogSelection& selection);

// "https://a.example/x/" → "a.example/x" (scheme and trailing slashes removed).
std::string OriginFromUrl(absl::string_view url);

// Parses an RFC 3339 UTC time "YYYY-MM-DDTHH:MM:SS[.fff]Z" into seconds.
std::optional<int64_t> ParseRfc3339Seconds(absl::string_view text);

}  // namespace ctmr::fetch

#endif  // CT_FETCHER_LOG_LIST_H_
