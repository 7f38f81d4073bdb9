#include "fetcher/http_client.h"

#include <libdeflate.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace ctmr::fetch {
namespace {

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

bool IsTransientCurlError(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_BAD_CONTENT_ENCODING:
      return true;
    default:
      return false;
  }
}

}  // namespace

// Per-request state shared with the libcurl callbacks: the headers of the final
// response and the body, inflated on the fly when it is gzip.
struct HttpClient::Transfer {
  const HttpClientOptions* options;
  HttpResponse response;
  int64_t wire_bytes = 0;
  enum class Coding { kUndecided, kIdentity, kGzip } coding = Coding::kUndecided;
  std::string sniff;  // first bytes while undecided
  z_stream zs{};
  bool zs_live = false;
  bool gzip_ended = false;  // the last gzip member was complete
  bool over_limit = false;
  std::string decode_error;

  ~Transfer() {
    if (zs_live) inflateEnd(&zs);
  }

  static int ProgressCallback(void* self, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    const Transfer* t = static_cast<Transfer*>(self);
    return t->options->cancelled() ? 1 : 0;
  }

  bool Append(const char* data, size_t n) {
    if (static_cast<int64_t>(response.body.size() + n) > options->max_body_bytes) {
      over_limit = true;
      return false;
    }
    if (response.body.capacity() == 0 && reuse.capacity() > 0) {
      response.body = std::move(reuse);
      response.body.clear();
    }
    response.body.append(data, n);
    return true;
  }

  bool Inflate(const char* data, size_t n) {
    char out[64 * 1024];
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
    zs.avail_in = static_cast<uInt>(n);
    while (zs.avail_in > 0) {
      if (gzip_ended) {
        // Another gzip member follows (concatenated gzip is valid gzip).
        inflateReset(&zs);
        gzip_ended = false;
      }
      zs.next_out = reinterpret_cast<Bytef*>(out);
      zs.avail_out = sizeof(out);
      int rc = inflate(&zs, Z_NO_FLUSH);
      if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
        decode_error = zs.msg != nullptr ? zs.msg : absl::StrCat("zlib error ", rc);
        return false;
      }
      if (!Append(out, sizeof(out) - zs.avail_out)) return false;
      if (rc == Z_STREAM_END) gzip_ended = true;
      if (rc == Z_BUF_ERROR && zs.avail_out != 0) break;  // needs more input
    }
    return true;
  }

  // gzip bodies are kept compressed as they arrive and decoded at the end by
  // libdeflate, several times faster than zlib's streaming inflate (gzip was
  // a third of ct-fetch's CPU). The output is bounded by max_body_bytes all
  // the same: a gzip bomb stops there. zlib still decodes the rare body that
  // libdeflate refuses, to tell a truncated body (retried) from a corrupt one.
  std::string* compressed = nullptr;  // the client's reused buffer
  std::string reuse;                  // HttpClient::Recycle()'s body, its size kept
  libdeflate_decompressor* deflate = nullptr;

  bool Write(const char* data, size_t n) {
    wire_bytes += static_cast<int64_t>(n);
    if (wire_bytes > options->max_body_bytes) {
      over_limit = true;
      return false;
    }
    if (coding == Coding::kUndecided) {
      sniff.append(data, n);
      bool header_gzip =
          absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(response.content_encoding), "gzip");
      if (!header_gzip && sniff.size() < 2) return true;
      bool magic = sniff.size() >= 2 && static_cast<unsigned char>(sniff[0]) == 0x1f &&
                   static_cast<unsigned char>(sniff[1]) == 0x8b;
      if (header_gzip || magic) {
        coding = Coding::kGzip;
        response.was_gzipped = true;
        compressed->clear();
        compressed->append(sniff);
        return true;
      }
      coding = Coding::kIdentity;
      return Append(sniff.data(), sniff.size());
    }
    if (coding == Coding::kGzip) {
      compressed->append(data, n);  // wire_bytes bounds it
      return true;
    }
    return Append(data, n);
  }

  // Decodes `compressed` (one or more gzip members) into the body.
  bool DecodeGzip() {
    if (compressed->empty()) return true;  // nothing arrived: truncated (Finish)
    const size_t limit = static_cast<size_t>(options->max_body_bytes);
    // The recycled buffer keeps its old size: those bytes are initialized
    // already, so only growth past them is zero-filled (a resize of a fresh
    // string filled every page before libdeflate wrote it).
    std::string out = std::move(reuse);
    // The last member's ISIZE (its length mod 2^32, the gzip trailer): for
    // the usual single member, room enough to decode it at the first try.
    size_t hint = size_t{64} << 10;
    if (compressed->size() >= 18) {
      const auto* t =
          reinterpret_cast<const unsigned char*>(compressed->data() + compressed->size());
      hint = std::max<size_t>(hint, static_cast<size_t>(t[-4]) | static_cast<size_t>(t[-3]) << 8 |
                                        static_cast<size_t>(t[-2]) << 16 |
                                        static_cast<size_t>(t[-1]) << 24);
    }
    const size_t want = std::min(hint, limit + 1);
    // With the padding the parser wants, so that the body is not copied again.
    if (out.capacity() < want + HttpClient::kBodyPadding) {
      out.reserve(want + HttpClient::kBodyPadding);
    }
    if (out.size() < want) out.resize(want);
    size_t used = 0;
    const char* in = compressed->data();
    size_t in_left = compressed->size();
    while (in_left > 0) {
      while (true) {
        const size_t avail = std::min(out.size() - used, limit - std::min(limit, used) + 1);
        size_t in_used = 0;
        size_t out_used = 0;
        const libdeflate_result r = libdeflate_gzip_decompress_ex(
            deflate, in, in_left, out.data() + used, avail, &in_used, &out_used);
        if (r == LIBDEFLATE_SUCCESS) {
          used += out_used;
          if (used > limit) {
            over_limit = true;
            return false;
          }
          in += in_used;
          in_left -= in_used;
          break;
        }
        if (r != LIBDEFLATE_INSUFFICIENT_SPACE) return ExplainWithZlib();
        if (avail > limit - std::min(limit, used)) {
          over_limit = true;  // does not fit under the limit: a bomb stops here
          return false;
        }
        out.resize(std::min(out.size() * 2, used + limit + 1));
      }
    }
    out.resize(used);  // shrinking: no fill
    response.body = std::move(out);
    gzip_ended = true;
    return true;
  }

  // libdeflate refused the body: zlib, streaming, says whether it is cut
  // short (a truncated transfer, retried) or corrupt (decode_error).
  bool ExplainWithZlib() {
    response.body.clear();
    if (inflateInit2(&zs, 15 + 16) != Z_OK) {
      decode_error = "inflateInit2 failed";
      return false;
    }
    zs_live = true;
    gzip_ended = false;
    return Inflate(compressed->data(), compressed->size());
  }

  // Called once the transfer ended without a libcurl error.
  absl::Status Finish(const std::string& url) {
    if (coding == Coding::kUndecided && !sniff.empty()) {
      if (!Append(sniff.data(), sniff.size())) {
        return absl::ResourceExhaustedError(absl::StrCat("body exceeds limit: ", url));
      }
    }
    if (coding == Coding::kGzip && !DecodeGzip()) {
      if (over_limit) {
        return absl::ResourceExhaustedError(
            absl::StrCat("body exceeds the limit of ", options->max_body_bytes, " bytes: ", url));
      }
      if (!decode_error.empty()) {
        return absl::DataLossError(absl::StrCat("bad gzip body (", decode_error, ") from ", url));
      }
    }
    if (coding == Coding::kGzip && !gzip_ended) {
      return absl::UnavailableError(absl::StrCat("truncated gzip body from ", url));
    }
    return absl::OkStatus();
  }

  static size_t WriteCallback(char* data, size_t size, size_t nmemb, void* self) {
    auto* t = static_cast<Transfer*>(self);
    return t->Write(data, size * nmemb) ? size * nmemb : 0;
  }

  static size_t HeaderCallback(char* data, size_t size, size_t nmemb, void* self) {
    auto* t = static_cast<Transfer*>(self);
    absl::string_view line(data, size * nmemb);
    if (absl::StartsWith(line, "HTTP/")) {
      // A new response (after a redirect or a 1xx): forget the previous headers.
      t->response.content_type.clear();
      t->response.content_encoding.clear();
      t->response.retry_after.clear();
      return size * nmemb;
    }
    size_t colon = line.find(':');
    if (colon == absl::string_view::npos) return size * nmemb;
    absl::string_view name = absl::StripAsciiWhitespace(line.substr(0, colon));
    std::string value(absl::StripAsciiWhitespace(line.substr(colon + 1)));
    if (absl::EqualsIgnoreCase(name, "content-type")) {
      t->response.content_type = value;
    } else if (absl::EqualsIgnoreCase(name, "content-encoding")) {
      t->response.content_encoding = value;
    } else if (absl::EqualsIgnoreCase(name, "retry-after")) {
      t->response.retry_after = value;
    }
    return size * nmemb;
  }
};

std::optional<std::chrono::milliseconds> ParseRetryAfter(const std::string& value) {
  absl::string_view v = absl::StripAsciiWhitespace(value);
  if (v.empty()) return std::nullopt;
  int64_t seconds;
  if (std::all_of(v.begin(), v.end(), [](char c) { return std::isdigit(c); })) {
    if (!absl::SimpleAtoi(v, &seconds)) return std::chrono::milliseconds::max();
    return std::chrono::milliseconds(std::min<int64_t>(seconds, int64_t{1} << 40) * 1000);
  }
  time_t when = curl_getdate(std::string(v).c_str(), nullptr);
  if (when == -1) return std::nullopt;
  time_t now = std::time(nullptr);
  return std::chrono::milliseconds(when > now ? (int64_t{when} - now) * 1000 : 0);
}

absl::Status HttpStatusToStatus(const std::string& url, const HttpResponse& response) {
  long code = response.status_code;
  if (code >= 200 && code < 300) return absl::OkStatus();
  std::string msg = absl::StrCat("HTTP ", code, " from ", url);
  if (code == 404) return absl::NotFoundError(msg);
  if (code == 429 || code >= 500 || code == 408) return absl::UnavailableError(msg);
  if (code == 400) return absl::InvalidArgumentError(msg);
  return absl::FailedPreconditionError(msg);
}

HttpClient::HttpClient(HttpClientOptions options)
    : options_(std::move(options)), rng_(std::random_device{}()) {
  GlobalInitOnce();
  curl_ = curl_easy_init();
  deflate_ = libdeflate_alloc_decompressor();
  if (options_.request_gzip) {
    request_headers_ = curl_slist_append(request_headers_, "Accept-Encoding: gzip");
  }
}

HttpClient::~HttpClient() {
  if (curl_ != nullptr) curl_easy_cleanup(curl_);
  if (deflate_ != nullptr) libdeflate_free_decompressor(deflate_);
  curl_slist_free_all(request_headers_);
}

namespace {

// The host of an http(s) URL, lower case; empty when it does not parse.
std::string HostOf(const std::string& url) {
  CURLU* u = curl_url();
  std::string host;
  char* part = nullptr;
  if (curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_HOST, &part, 0) == CURLUE_OK) {
    host = absl::AsciiStrToLower(part);
  }
  curl_free(part);
  curl_url_cleanup(u);
  return host;
}

}  // namespace

// Redirects are followed here, not by libcurl, so that each hop's host is
// checked before a request goes to it.
absl::StatusOr<HttpResponse> HttpClient::Get(const std::string& url) {
  std::string current = url;
  for (int hops = 0;; ++hops) {
    absl::StatusOr<HttpResponse> response = GetOnce(current);
    if (!response.ok() || response->redirect_url.empty() || options_.max_redirects <= 0) {
      return response;
    }
    if (hops >= options_.max_redirects) {
      return absl::FailedPreconditionError(
          absl::StrCat("more than ", options_.max_redirects, " redirects fetching ", url));
    }
    const std::string& next = response->redirect_url;
    if (!options_.cross_host_redirects) {
      const std::string from = HostOf(current), to = HostOf(next);
      if (from.empty() || from != to) {
        return absl::FailedPreconditionError(
            absl::StrCat(current, " redirects to another host (", next, "); not followed"));
      }
    }
    current = next;
  }
}

absl::StatusOr<HttpResponse> HttpClient::GetOnce(const std::string& url) {
  if (curl_ == nullptr) return absl::InternalError("curl_easy_init failed");
  if (deflate_ == nullptr) return absl::InternalError("libdeflate_alloc_decompressor failed");
  if (!absl::StartsWithIgnoreCase(url, "http://") && !absl::StartsWithIgnoreCase(url, "https://")) {
    return absl::InvalidArgumentError(absl::StrCat("not an http(s) URL: ", url));
  }
  Transfer t;
  t.options = &options_;
  t.compressed = &compressed_;
  t.deflate = deflate_;
  t.reuse = std::move(spare_body_);
  CURL* c = curl_;
  curl_easy_reset(c);  // keeps live connections, clears the options of the last request
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);  // Get follows them, host checked
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, request_headers_);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.total_timeout.count()));
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, static_cast<long>(options_.low_speed_limit_bytes));
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options_.low_speed_time.count()));
  // Fails before the body when Content-Length already says it is too large.
  curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options_.max_body_bytes));
  // Larger reads: fewer recv calls and write callbacks for 1-6 MB pages.
  curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 512L * 1024);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &Transfer::WriteCallback);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &Transfer::HeaderCallback);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  if (options_.cancelled) {
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &Transfer::ProgressCallback);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
  } else {
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 1L);
  }

  CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_ABORTED_BY_CALLBACK && options_.cancelled && options_.cancelled()) {
    return absl::CancelledError(absl::StrCat("stopped while fetching ", url));
  }
  if (t.over_limit || rc == CURLE_FILESIZE_EXCEEDED) {
    return absl::ResourceExhaustedError(
        absl::StrCat("body exceeds the limit of ", options_.max_body_bytes, " bytes: ", url));
  }
  if (!t.decode_error.empty()) {
    return absl::DataLossError(absl::StrCat("bad gzip body (", t.decode_error, ") from ", url));
  }
  if (rc != CURLE_OK) {
    std::string msg =
        absl::StrCat(curl_easy_strerror(rc), " (curl ", static_cast<int>(rc), ") fetching ", url);
    if (IsTransientCurlError(rc)) return absl::UnavailableError(msg);
    if (rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_URL_MALFORMAT) {
      return absl::InvalidArgumentError(msg);
    }
    return absl::FailedPreconditionError(msg);
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &t.response.status_code);
  if (t.response.status_code >= 300 && t.response.status_code < 400) {
    char* location = nullptr;  // owned by the handle
    if (curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &location) == CURLE_OK && location != nullptr) {
      t.response.redirect_url = location;
    }
  }
  absl::Status finished = t.Finish(url);
  if (!finished.ok()) return finished;
  if (t.response.body.capacity() - t.response.body.size() < kBodyPadding) {
    t.response.body.reserve(t.response.body.size() + kBodyPadding);
  }
  return std::move(t.response);
}

void HttpClient::Recycle(std::string body) {
  // A body of a hostile size is not kept: that memory goes back at once.
  if (body.capacity() <= static_cast<size_t>(options_.max_body_bytes) + kBodyPadding) {
    spare_body_ = std::move(body);
  }
}

absl::StatusOr<HttpResponse> HttpClient::GetWithRetry(const std::string& url,
                                                      const RetryPolicy& policy) {
  using std::chrono::milliseconds;
  const auto start = std::chrono::steady_clock::now();
  milliseconds backoff = policy.initial_backoff;
  absl::Status last;
  int attempt = 0;
  while (true) {
    ++attempt;
    std::optional<milliseconds> retry_after;
    absl::StatusOr<HttpResponse> response = Get(url);
    if (response.ok()) {
      last = HttpStatusToStatus(url, *response);
      if (last.ok()) return response;
      if (!response->retry_after.empty()) retry_after = ParseRetryAfter(response->retry_after);
    } else {
      last = response.status();
    }
    if (last.code() != absl::StatusCode::kUnavailable) return last;
    if (attempt >= policy.max_attempts) break;

    // Full jitter over the upper half: [backoff/2, backoff].
    std::uniform_int_distribution<int64_t> jitter(backoff.count() / 2, backoff.count());
    milliseconds delay(jitter(rng_));
    if (retry_after) delay = std::max(delay, std::min(*retry_after, policy.max_retry_after));
    auto elapsed =
        std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
    if (elapsed + delay > policy.max_total_time) break;
    if (policy.sleep) {
      policy.sleep(delay);
    } else {
      std::this_thread::sleep_for(delay);
    }
    backoff = std::min(policy.max_backoff, backoff * 2);
  }
  return absl::UnavailableError(
      absl::StrCat("giving up on ", url, " after ", attempt, " attempts: ", last.message()));
}

}  // namespace ctmr::fetch
