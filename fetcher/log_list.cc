#include "fetcher/log_list.h"

#include <nlohmann/json.hpp>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/base/civil_date.h"

namespace ctmr::fetch {
namespace {

using json = nlohmann::json;

std::string StringField(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

absl::StatusOr<LogInfo> ParseLog(const json& j, LogApi api) {
  if (!j.is_object()) return absl::InvalidArgumentError("log list: a log is not an object");
  LogInfo log;
  log.api = api;
  log.description = StringField(j, "description");
  log.key_base64 = StringField(j, "key");
  log.log_id_base64 = StringField(j, "log_id");
  if (api == LogApi::kRfc6962) {
    log.url = StringField(j, "url");
  } else {
    log.url = StringField(j, "monitoring_url");
    log.submission_url = StringField(j, "submission_url");
    log.origin = OriginFromUrl(log.submission_url);
  }
  const std::string name = log.description.empty() ? log.url : log.description;
  if (log.url.empty() || (api == LogApi::kTiled && log.submission_url.empty())) {
    return absl::InvalidArgumentError(absl::StrCat("log list: log \"", name, "\" has no URL"));
  }
  if (log.key_base64.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("log list: log \"", name, "\" has no key"));
  }
  auto state = j.find("state");
  if (state != j.end() && state->is_object() && !state->empty()) {
    log.state = state->begin().key();
  }
  auto interval = j.find("temporal_interval");
  if (interval != j.end()) {
    if (!interval->is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat("log list: log \"", name, "\": temporal_interval is not an object"));
    }
    for (const char* field : {"start_inclusive", "end_exclusive"}) {
      std::string text = StringField(*interval, field);
      std::optional<int64_t> t = ParseRfc3339Seconds(text);
      if (!t) {
        return absl::InvalidArgumentError(
            absl::StrCat("log list: log \"", name, "\": bad temporal_interval.", field));
      }
      (field[0] == 's' ? log.start_inclusive : log.end_exclusive) = t;
    }
  }
  return log;
}

bool Matches(const LogInfo& log, const std::string& name) {
  if (absl::EqualsIgnoreCase(log.description, name)) return true;
  auto bare = [](absl::string_view u) { return std::string(absl::StripSuffix(u, "/")); };
  if (name.find('/') == std::string::npos) return false;
  const std::string want = bare(name);
  return bare(log.url) == want || (!log.submission_url.empty() && bare(log.submission_url) == want);
}

}  // namespace

std::string OriginFromUrl(absl::string_view url) {
  absl::string_view s = url;
  if (!absl::ConsumePrefix(&s, "https://")) absl::ConsumePrefix(&s, "http://");
  while (absl::ConsumeSuffix(&s, "/")) {
  }
  return std::string(s);
}

std::optional<int64_t> ParseRfc3339Seconds(absl::string_view text) {
  // YYYY-MM-DDTHH:MM:SS, then optional fraction, then Z.
  if (text.size() < 20 || text[10] != 'T' || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  std::optional<int32_t> days = base::ParseDate(std::string_view(text.data(), 10));
  int h, m, s;
  if (!days || !absl::SimpleAtoi(text.substr(11, 2), &h) ||
      !absl::SimpleAtoi(text.substr(14, 2), &m) || !absl::SimpleAtoi(text.substr(17, 2), &s) ||
      h > 23 || m > 59 || s > 60) {
    return std::nullopt;
  }
  absl::string_view rest = text.substr(19);
  if (absl::ConsumePrefix(&rest, ".")) {
    size_t digits = 0;
    while (digits < rest.size() && absl::ascii_isdigit(rest[digits])) ++digits;
    if (digits == 0) return std::nullopt;
    rest.remove_prefix(digits);
  }
  if (rest != "Z") return std::nullopt;
  return int64_t{*days} * 86400 + h * 3600 + m * 60 + s;
}

absl::StatusOr<std::vector<LogInfo>> ParseLogList(absl::string_view text) {
  json root = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.is_object()) {
    return absl::InvalidArgumentError("log list: not a JSON object");
  }
  auto operators = root.find("operators");
  if (operators == root.end() || !operators->is_array()) {
    return absl::InvalidArgumentError("log list: no \"operators\" array");
  }
  std::vector<LogInfo> logs;
  for (const json& op : *operators) {
    if (!op.is_object())
      return absl::InvalidArgumentError("log list: an operator is not an object");
    const std::pair<const char*, LogApi> kinds[] = {{"logs", LogApi::kRfc6962},
                                                    {"tiled_logs", LogApi::kTiled}};
    for (const auto& [field, api] : kinds) {
      auto list = op.find(field);
      if (list == op.end()) continue;
      if (!list->is_array()) {
        return absl::InvalidArgumentError(
            absl::StrCat("log list: \"", field, "\" is not an array"));
      }
      for (const json& j : *list) {
        absl::StatusOr<LogInfo> log = ParseLog(j, api);
        if (!log.ok()) return log.status();
        logs.push_back(*std::move(log));
      }
    }
  }
  return logs;
}

bool IsFollowedByDefault(const LogInfo& log, int64_t now) {
  if (log.state != "usable" && log.state != "qualified" && log.state != "readonly") return false;
  return !log.end_exclusive || now < *log.end_exclusive;
}

absl::StatusOr<std::vector<LogInfo>> SelectLogs(const std::vector<LogInfo>& logs,
                                                const LogSelection& selection) {
  std::vector<LogInfo> out;
  for (const LogInfo& log : logs) {
    if (!selection.include_expired && !IsFollowedByDefault(log, selection.now_unix_seconds)) {
      continue;
    }
    if (!selection.names.empty()) {
      bool named = false;
      for (const std::string& n : selection.names) named = named || Matches(log, n);
      if (!named) continue;
    }
    out.push_back(log);
  }
  for (const std::string& n : selection.names) {
    bool found = false;
    for (const LogInfo& log : out) found = found || Matches(log, n);
    if (!found) {
      return absl::NotFoundError(absl::StrCat(
          "--log ", n, ": no followed log of that description or URL in the log list",
          selection.include_expired ? ""
                                    : " (--include-expired also follows ended and retired logs)"));
    }
  }
  return out;
}

}  // namespace ctmr::fetch
