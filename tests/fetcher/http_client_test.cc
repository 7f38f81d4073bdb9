// Tests of HttpClient against tests/fetch_log_server/ct_test_log_server.py, run as a
// real process on 127.0.0.1 and serving the Navigli fixture, with its fault flags.
// What a test decides comes from events (the error returned, the retries asked
// for, what the server counted), never from the clock: retry delays are
// recorded, not slept.
#include "fetcher/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace ctmr::fetch {
namespace {

using std::chrono::milliseconds;

std::string SourceDir() {
  const char* dir = std::getenv("CT_SOURCE_DIR");
  return dir != nullptr ? dir : ".";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string NavigliFile(const std::string& rel) {
  return ReadFile(SourceDir() + "/tests/data/ct/navigli2025h2/" + rel);
}

// The test log server as a child process; killed on destruction.
class TestServer {
 public:
  explicit TestServer(const std::vector<std::string>& flags) {
    std::vector<std::string> argv = {"python3",
                                     "-u",
                                     SourceDir() + "/tests/fetch_log_server/ct_test_log_server.py",
                                     "--serve-real-navigli",
                                     SourceDir() + "/tests/data/ct/navigli2025h2",
                                     "--port",
                                     "0"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    int fds[2];
    if (pipe(fds) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], STDOUT_FILENO);
      close(fds[0]);
      close(fds[1]);
      std::vector<char*> cargv;
      for (auto& a : argv) cargv.push_back(a.data());
      cargv.push_back(nullptr);
      execvp(cargv[0], cargv.data());
      _exit(127);
    }
    close(fds[1]);
    // First line: "listening 127.0.0.1:PORT".
    std::string line;
    char ch;
    pollfd pfd{fds[0], POLLIN, 0};
    while (line.size() < 200 && poll(&pfd, 1, 20'000) > 0 && read(fds[0], &ch, 1) == 1 &&
           ch != '\n') {
      line.push_back(ch);
    }
    close(fds[0]);
    size_t colon = line.rfind(':');
    if (line.rfind("listening ", 0) == 0 && colon != std::string::npos) {
      port_ = std::atoi(line.c_str() + colon + 1);
    }
  }
  ~TestServer() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  int port() const { return port_; }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  // A count from the server's /_test/stats ("requests", "cut_short"), or -1.
  int64_t Stat(const std::string& key) const {
    HttpClient client{HttpClientOptions()};
    auto r = client.Get(Url("/_test/stats"));
    if (!r.ok()) return -1;
    const nlohmann::json stats = nlohmann::json::parse(r->body, nullptr, false);
    return stats.is_object() && stats.contains(key) ? stats[key].get<int64_t>() : -1;
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

HttpClientOptions FastOptions() {
  HttpClientOptions o;
  o.connect_timeout = milliseconds(2000);
  o.low_speed_time = std::chrono::seconds(2);
  o.total_timeout = milliseconds(20'000);
  return o;
}

// Records each delay the client asks for instead of sleeping it.
RetryPolicy FastPolicy(std::vector<milliseconds>* sleeps) {
  RetryPolicy p;
  p.max_attempts = 5;
  p.initial_backoff = milliseconds(10);
  p.max_backoff = milliseconds(50);
  p.max_total_time = milliseconds(30'000);
  p.sleep = [sleeps](milliseconds d) { sleeps->push_back(d); };
  return p;
}

TEST(HttpClientTest, GetSthAndTiles) {
  TestServer server({});
  ASSERT_GT(server.port(), 0);
  HttpClient client(FastOptions());
  auto sth = client.Get(server.Url("/ct/v1/get-sth"));
  ASSERT_TRUE(sth.ok()) << sth.status();
  EXPECT_EQ(sth->status_code, 200);
  EXPECT_EQ(sth->content_type, "application/json");
  EXPECT_NE(sth->body.find("\"tree_size\": 512"), std::string::npos) << sth->body;

  // Asked-for gzip is decoded; the connection is reused across requests.
  for (const char* tile : {"tile/0/000", "tile/0/001", "tile/data/000"}) {
    auto r = client.Get(server.Url(std::string("/") + tile));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->status_code, 200);
    EXPECT_TRUE(r->was_gzipped);
    EXPECT_EQ(r->content_encoding, "gzip");
    EXPECT_EQ(r->body, NavigliFile(tile)) << tile;
  }
}

TEST(HttpClientTest, NotFoundIsNotRetried) {
  TestServer server({});
  HttpClient client(FastOptions());
  std::string url = server.Url("/tile/0/005");
  auto r = client.Get(url);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status_code, 404);
  std::vector<milliseconds> sleeps;
  auto retried = client.GetWithRetry(url, FastPolicy(&sleeps));
  EXPECT_EQ(retried.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(retried.status().message().find(url), std::string::npos);
  EXPECT_TRUE(sleeps.empty());
}

TEST(HttpClientTest, BadRequestIsPermanent) {
  TestServer server({});
  HttpClient client(FastOptions());
  std::vector<milliseconds> sleeps;
  auto r = client.GetWithRetry(server.Url("/ct/v1/get-entries?start=5&end=1"), FastPolicy(&sleeps));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(sleeps.empty());
}

TEST(HttpClientTest, HonoursRetryAfterOn429) {
  TestServer server({"--fail-429", "1"});
  HttpClient client(FastOptions());
  std::vector<milliseconds> sleeps;
  auto r = client.GetWithRetry(server.Url("/ct/v1/get-sth"), FastPolicy(&sleeps));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status_code, 200);
  ASSERT_EQ(sleeps.size(), 1u);
  EXPECT_GE(sleeps[0], milliseconds(1000));  // Retry-After: 1, not the 10 ms backoff
  EXPECT_EQ(server.Stat("requests"), 2);
}

TEST(HttpClientTest, RetryAfterIsCapped) {
  TestServer server({"--fail-429", "1"});
  HttpClient client(FastOptions());
  std::vector<milliseconds> sleeps;
  RetryPolicy policy = FastPolicy(&sleeps);
  policy.max_retry_after = milliseconds(100);
  auto r = client.GetWithRetry(server.Url("/ct/v1/get-sth"), policy);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(sleeps.size(), 1u);
  EXPECT_LE(sleeps[0], milliseconds(100));
}

TEST(HttpClientTest, Retries500sWithBackoff) {
  TestServer server({"--fail-500", "3"});
  HttpClient client(FastOptions());
  std::vector<milliseconds> sleeps;
  auto r = client.GetWithRetry(server.Url("/checkpoint"), FastPolicy(&sleeps));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body.substr(0, 34), "navigli2025h2.sunlight.geomys.org\n");
  ASSERT_EQ(sleeps.size(), 3u);
  for (auto d : sleeps) {
    EXPECT_GE(d, milliseconds(5));
    EXPECT_LE(d, milliseconds(50));
  }
}

TEST(HttpClientTest, GivesUpAfterMaxAttempts) {
  TestServer server({"--fail-500", "100"});
  HttpClient client(FastOptions());
  std::vector<milliseconds> sleeps;
  RetryPolicy policy = FastPolicy(&sleeps);
  policy.max_attempts = 3;
  std::string url = server.Url("/checkpoint");
  auto r = client.GetWithRetry(url, policy);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find(url), std::string::npos);
  EXPECT_NE(r.status().message().find("3 attempts"), std::string::npos) << r.status();
  EXPECT_EQ(sleeps.size(), 2u);
}

TEST(HttpClientTest, OversizeBodyFailsFast) {
  TestServer server({"--oversize-body"});  // 1 GiB with Content-Length
  HttpClientOptions options = FastOptions();
  options.max_body_bytes = 1 << 20;
  HttpClient client(options);
  std::string url = server.Url("/tile/data/000");
  auto r = client.Get(url);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted) << r.status();
  EXPECT_NE(r.status().message().find(url), std::string::npos);
  // The client hung up before the server could send the whole GiB (the
  // server sees it at its next write).
  EXPECT_TRUE(ctmr::testing::WaitFor(30, [&] { return server.Stat("cut_short") == 1; }));
  EXPECT_EQ(server.Stat("requests"), 1);
}

TEST(HttpClientTest, GzipBombStopsAtLimit) {
  TestServer server({"--gzip-bomb"});  // 1 GiB of zeros, gzip, chunked
  HttpClientOptions options = FastOptions();
  options.max_body_bytes = 4 << 20;
  HttpClient client(options);
  std::string url = server.Url("/tile/data/000");
  auto r = client.GetWithRetry(url);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted) << r.status();
  EXPECT_NE(r.status().message().find(url), std::string::npos);
  EXPECT_EQ(server.Stat("requests"), 1);  // not retried
}

// The server holds the connection open for 10 minutes after 100 bytes, and
// the client has no total timeout: only its low-speed limit can end the
// transfer, with a timeout (a hang-up by the server would be a partial file).
TEST(HttpClientTest, StallFailsOnTheLowSpeedLimit) {
  TestServer server({"--stall-after-bytes", "100", "--stall-seconds", "600"});
  HttpClientOptions options = FastOptions();
  options.total_timeout = milliseconds(0);  // none
  options.low_speed_limit_bytes = 1000;
  options.low_speed_time = std::chrono::seconds(1);
  HttpClient client(options);
  auto r = client.Get(server.Url("/tile/data/000"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_NE(r.status().message().find("(curl 28)"), std::string::npos)  // CURLE_OPERATION_TIMEDOUT
      << r.status();
  EXPECT_EQ(server.Stat("requests"), 1);
}

TEST(HttpClientTest, DroppedConnectionIsRetried) {
  TestServer server({"--drop-connections", "2"});
  HttpClient client(FastOptions());
  std::string url = server.Url("/ct/v1/get-sth");
  auto once = client.Get(url);
  EXPECT_EQ(once.status().code(), absl::StatusCode::kUnavailable) << once.status();
  std::vector<milliseconds> sleeps;
  auto r = client.GetWithRetry(url, FastPolicy(&sleeps));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(sleeps.size(), 1u);
}

TEST(HttpClientTest, TruncatedBodyIsRetried) {
  TestServer server({"--truncate-body", "1"});
  HttpClient client(FastOptions());
  std::string url = server.Url("/tile/data/001");
  std::vector<milliseconds> sleeps;
  auto r = client.GetWithRetry(url, FastPolicy(&sleeps));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, NavigliFile("tile/data/001"));
  EXPECT_EQ(sleeps.size(), 1u);
}

TEST(HttpClientTest, DecodesUnaskedGzip) {
  for (const char* mode : {"header", "noheader"}) {
    TestServer server({"--gzip-always", mode});
    HttpClientOptions options = FastOptions();
    options.request_gzip = false;
    HttpClient client(options);
    auto r = client.Get(server.Url("/tile/0/001"));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(r->was_gzipped) << mode;
    EXPECT_EQ(r->body, NavigliFile("tile/0/001")) << mode;
  }
}

TEST(HttpClientTest, IdentityWhenGzipDisabled) {
  TestServer server({"--no-gzip"});
  HttpClient client(FastOptions());
  auto r = client.Get(
      server.Url("/issuer/54588456f084df53d35714fb90760edaf1d222500858b4c07d3a4d91308dec42"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->was_gzipped);
  EXPECT_EQ(r->content_type, "application/pkix-cert");
  EXPECT_EQ(r->body,
            NavigliFile("issuer/54588456f084df53d35714fb90760edaf1d222500858b4c07d3a4d91308dec42"));
}

TEST(HttpClientTest, RejectsOtherSchemes) {
  HttpClient client(FastOptions());
  for (const char* url : {"file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1/"}) {
    auto r = client.GetWithRetry(url);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << url;
    EXPECT_NE(r.status().message().find(url), std::string::npos);
  }
}

TEST(HttpClientTest, ConnectionRefusedIsUnavailable) {
  // A port bound and held, but not listening: connecting is refused, and no
  // other process can take the port meanwhile.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  int port = ntohs(addr.sin_port);
  HttpClient client(FastOptions());
  std::vector<milliseconds> sleeps;
  RetryPolicy policy = FastPolicy(&sleeps);
  policy.max_attempts = 2;
  auto r = client.GetWithRetry("http://127.0.0.1:" + std::to_string(port) + "/", policy);
  close(fd);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_NE(r.status().message().find("(curl 7)"), std::string::npos)  // CURLE_COULDNT_CONNECT
      << r.status();
  EXPECT_EQ(sleeps.size(), 1u);
}

// A log's answers come from the log's host: a redirect to the same host is
// followed, one to another host is refused before any request goes there
// (here "localhost" stands for another host: same machine, other name).
TEST(HttpClientTest, FollowsRedirectsOnlyWithinTheHost) {
  TestServer server({});
  ASSERT_GT(server.port(), 0);
  HttpClient client(FastOptions());
  const std::string same = server.Url("/_test/redirect?to=/ct/v1/get-sth");
  absl::StatusOr<HttpResponse> followed = client.Get(same);
  ASSERT_TRUE(followed.ok()) << followed.status();
  EXPECT_EQ(followed->status_code, 200);
  EXPECT_NE(followed->body.find("tree_size"), std::string::npos);

  const int64_t before = server.Stat("requests");
  const std::string other = server.Url(
      absl::StrCat("/_test/redirect?to=http://localhost:", server.port(), "/ct/v1/get-sth"));
  absl::StatusOr<HttpResponse> refused = client.Get(other);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition) << refused.status();
  EXPECT_NE(refused.status().message().find("another host"), std::string::npos);
  // Nothing went to get-sth (redirects and stats are not counted).
  EXPECT_EQ(server.Stat("requests"), before);

  HttpClientOptions open = FastOptions();
  open.cross_host_redirects = true;
  HttpClient permissive(open);
  absl::StatusOr<HttpResponse> allowed = permissive.Get(other);
  ASSERT_TRUE(allowed.ok()) << allowed.status();
  EXPECT_EQ(allowed->status_code, 200);

  // Three redirects in a row are one too many for max_redirects 2.
  HttpClientOptions few = FastOptions();
  few.max_redirects = 2;
  HttpClient strict(few);
  EXPECT_EQ(strict.Get(server.Url("/_test/redirect?to=/_test/redirect?to=/_test/redirect?to=/x"))
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(HttpClientTest, ParseRetryAfter) {
  EXPECT_EQ(ParseRetryAfter("1"), milliseconds(1000));
  EXPECT_EQ(ParseRetryAfter(" 120 "), milliseconds(120'000));
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT"), milliseconds(0));
  auto future = ParseRetryAfter("Fri, 01 Jan 2100 00:00:00 GMT");
  ASSERT_TRUE(future.has_value());
  EXPECT_GT(*future, milliseconds(1000LL * 3600 * 24 * 365));
  EXPECT_FALSE(ParseRetryAfter("soon").has_value());
  EXPECT_FALSE(ParseRetryAfter("").has_value());
}

TEST(HttpClientTest, StatusMapping) {
  HttpResponse r;
  for (auto [code, want] : std::vector<std::pair<long, absl::StatusCode>>{
           {200, absl::StatusCode::kOk},
           {204, absl::StatusCode::kOk},
           {404, absl::StatusCode::kNotFound},
           {429, absl::StatusCode::kUnavailable},
           {503, absl::StatusCode::kUnavailable},
           {400, absl::StatusCode::kInvalidArgument},
           {403, absl::StatusCode::kFailedPrecondition},
           {301, absl::StatusCode::kFailedPrecondition}}) {
    r.status_code = code;
    EXPECT_EQ(HttpStatusToStatus("http://x/", r).code(), want) << code;
  }
}

}  // namespace
}  // namespace ctmr::fetch
