// The HTTP client ct-fetch talks to CT logs with: one libcurl easy handle, reused for
// every request so connections are kept alive. Not thread-safe: one client per thread.
//
// Hostile or broken servers are the normal case, so every request is bounded:
//   - time: a connect timeout, a stall timeout (less than `low_speed_limit_bytes` per
//     second for `low_speed_time`) and an overall timeout;
//   - memory: the body, after gzip decoding, may not exceed `max_body_bytes`; the
//     transfer is aborted as soon as it does (a gzip bomb stops at the limit).
// Bodies are decoded here rather than by libcurl: we ask for gzip, and we also decode a
// gzip body that arrives unasked (Content-Encoding: gzip, or the 1f 8b magic), as
// static-ct-api servers may serve tiles that way.
//
// Every error message names the URL. Status codes carry the retry decision:
//   kUnavailable        transient (timeouts, connection errors, truncated bodies,
//                       429, 5xx) — worth retrying with backoff
//   kNotFound           HTTP 404
//   kResourceExhausted  the body exceeded max_body_bytes
//   kInvalidArgument    a bad URL, a scheme other than http/https, HTTP 400
//   kFailedPrecondition other permanent failures (other 4xx, unfollowed redirects)
//   kDataLoss           a body that is not valid gzip
//   kCancelled          HttpClientOptions::cancelled said so
#ifndef CT_FETCHER_HTTP_CLIENT_H_
#define CT_FETCHER_HTTP_CLIENT_H_

#include <curl/curl.h>
#include <libdeflate.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ctmr::fetch {

inline constexpr char kDefaultUserAgent[] =
    "ct-mapreduce-ct-fetch/0.1 (+https://github.com/ct-mapreduce/ct-mapreduce)";

struct HttpClientOptions {
  std::string user_agent = kDefaultUserAgent;
  std::chrono::milliseconds connect_timeout{10'000};
  // The transfer fails when fewer than low_speed_limit_bytes arrive per second for
  // low_speed_time (a server that stalls mid-body). libcurl measures the speed over the
  // last ~5 seconds, so a burst followed by silence is noticed only once it leaves that
  // window: keep the limit well above zero.
  int64_t low_speed_limit_bytes = 1024;
  std::chrono::seconds low_speed_time{30};
  std::chrono::milliseconds total_timeout{300'000};
  // Limit on the (decoded) body; also on the bytes received on the wire.
  int64_t max_body_bytes = int64_t{64} << 20;
  // Sends "Accept-Encoding: gzip".
  bool request_gzip = true;
  // Follows up to this many redirects (http and https only); 0 disables.
  int max_redirects = 5;
  // A redirect to another host is refused (FailedPrecondition, before any
  // request goes there) unless this is set: a log's answers come from the
  // log's host, and a hostile log must not point ct-fetch at other machines.
  bool cross_host_redirects = false;
  // Polled while a transfer runs (several times a second): true aborts it with
  // kCancelled, which is never retried. ct-fetch's SIGTERM, so that a stalled
  // log does not hold the exit up for the stall timeout.
  std::function<bool()> cancelled;
};

struct HttpResponse {
  long status_code = 0;
  std::string content_type;
  std::string content_encoding;  // as sent by the server, before our decoding
  std::string retry_after;       // raw Retry-After header, empty if absent
  std::string body;              // decoded
  bool was_gzipped = false;      // the body was gzip-decoded
  std::string redirect_url;      // a 3xx's Location, resolved; empty otherwise
};

struct RetryPolicy {
  int max_attempts = 10;
  std::chrono::milliseconds initial_backoff{500};
  std::chrono::milliseconds max_backoff{60'000};
  // No retry starts later than this after the first attempt.
  std::chrono::milliseconds max_total_time{600'000};
  // A server's Retry-After is honoured up to this.
  std::chrono::milliseconds max_retry_after{300'000};
  // Called to wait between attempts; tests replace it to record the delays.
  std::function<void(std::chrono::milliseconds)> sleep;
};

// Delay requested by a Retry-After header value (delta-seconds or HTTP date), or
// nullopt if it cannot be parsed. Dates in the past give zero.
std::optional<std::chrono::milliseconds> ParseRetryAfter(const std::string& value);

// Status of a completed response: OK for 2xx, else the code described above.
absl::Status HttpStatusToStatus(const std::string& url, const HttpResponse& response);

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // One attempt, following redirects (max_redirects; another host only with
  // cross_host_redirects: FailedPrecondition otherwise). Any HTTP status is a
  // response (check status_code); transport failures, the body limit and
  // undecodable bodies are errors.
  absl::StatusOr<HttpResponse> Get(const std::string& url);

  // Attempts until a 2xx response (returned) or a permanent error. Retries kUnavailable
  // failures (including 429 and 5xx) with jittered exponential backoff, waiting at least
  // as long as a Retry-After asks (capped by policy.max_retry_after). When attempts or
  // time run out, returns kUnavailable naming the URL, the attempts and the last error.
  absl::StatusOr<HttpResponse> GetWithRetry(const std::string& url, const RetryPolicy& policy = {});

  // Gives a body back once read: the next response is received into its
  // buffer, so a client fetching page after page of one size allocates (and
  // page-faults) no new memory. Bodies always leave with at least
  // kBodyPadding bytes of spare capacity (simdjson parses them in place).
  void Recycle(std::string body);
  // Frees the recycled buffers (a follower between catch-ups holds nothing).
  void ReleaseBuffers() {
    std::string().swap(spare_body_);
    std::string().swap(compressed_);
  }
  static constexpr size_t kBodyPadding = 64;

 private:
  // One request, no redirect followed (a 3xx comes back with redirect_url).
  absl::StatusOr<HttpResponse> GetOnce(const std::string& url);
  struct Transfer;

  HttpClientOptions options_;
  CURL* curl_ = nullptr;
  curl_slist* request_headers_ = nullptr;
  std::mt19937_64 rng_;
  std::string spare_body_;  // Recycle()'d
  std::string compressed_;  // a gzip body as it arrives, reused
  libdeflate_decompressor* deflate_ = nullptr;
};

}  // namespace ctmr::fetch

#endif  // CT_FETCHER_HTTP_CLIENT_H_
