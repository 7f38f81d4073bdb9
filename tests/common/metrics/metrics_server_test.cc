#include "common/metrics/metrics_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <vector>

#include "prometheus/counter.h"
#include "tests/support/test_support.h"

namespace ctmr::metrics {
namespace {

// One HTTP/1.0 GET to 127.0.0.1:port; returns the whole response.
std::string HttpGet(int port, const std::string& path, const std::string& headers = "") {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return "connect failed";
  }
  const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n" + headers + "\r\n";
  EXPECT_EQ(::write(fd, request.data(), request.size()), static_cast<ssize_t>(request.size()));
  std::string response;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof(buf))) > 0;) response.append(buf, n);
  ::close(fd);
  return response;
}

TEST(MetricsServerTest, ServesTheRegistryInTextFormat) {
  auto registry = std::make_shared<prometheus::Registry>();
  auto& family = prometheus::BuildCounter()
                     .Name("ct_test_things_total")
                     .Help("Things counted by the test.")
                     .Register(*registry);
  family.Add({{"log", "a"}}).Increment(3);
  absl::StatusOr<std::unique_ptr<MetricsServer>> server =
      MetricsServer::Start(MetricsServerOptions{}, registry);
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_GT((*server)->port(), 0);
  const std::string response = HttpGet((*server)->port(), "/metrics");
  EXPECT_NE(response.find("HTTP/1.1 200"), std::string::npos) << response;
  EXPECT_NE(response.find("# TYPE ct_test_things_total counter"), std::string::npos) << response;
  EXPECT_NE(response.find("ct_test_things_total{log=\"a\"} 3"), std::string::npos) << response;
  // The next scrape sees the counter move.
  family.Add({{"log", "a"}}).Increment();
  EXPECT_NE(HttpGet((*server)->port(), "/metrics").find("ct_test_things_total{log=\"a\"} 4"),
            std::string::npos);
}

// Slow clients (slowloris: a connection that sends half a request and
// waits) once held both of the server's threads, so a scrape waited for their
// timeouts. Now a scrape is answered while 8 such clients are still connected.
TEST(MetricsServerTest, SlowClientsDoNotBlockAScrape) {
  auto registry = std::make_shared<prometheus::Registry>();
  absl::StatusOr<std::unique_ptr<MetricsServer>> server =
      MetricsServer::Start(MetricsServerOptions{}, registry);
  ASSERT_TRUE(server.ok()) << server.status();
  std::vector<int> slow;
  for (int i = 0; i < 8; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>((*server)->port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    const std::string half = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n";  // no blank line
    ASSERT_EQ(::write(fd, half.data(), half.size()), static_cast<ssize_t>(half.size()));
    slow.push_back(fd);
  }
  EXPECT_NE(HttpGet((*server)->port(), "/healthz").find("HTTP/1.1 200"), std::string::npos);
  // The scrape did not wait for the slow ones to be timed out: each is still
  // open (a read would block, not return 0).
  for (int fd : slow) {
    char c;
    EXPECT_EQ(::recv(fd, &c, 1, MSG_DONTWAIT), -1) << "a slow client was closed first";
    ::close(fd);
  }
}

TEST(MetricsServerTest, HealthAnswers200Or500WithTheReason) {
  std::atomic<bool> healthy{true};
  MetricsServerOptions options;
  options.health = [&] {
    return healthy ? HealthStatus{true, "ok"} : HealthStatus{false, "log x is behind"};
  };
  auto server = MetricsServer::Start(options, std::make_shared<prometheus::Registry>());
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_NE(HttpGet((*server)->port(), "/healthz").find("HTTP/1.1 200"), std::string::npos);
  healthy = false;
  const std::string response = HttpGet((*server)->port(), "/healthz");
  EXPECT_NE(response.find("HTTP/1.1 500"), std::string::npos) << response;
  EXPECT_NE(response.find("log x is behind"), std::string::npos) << response;
}

TEST(MetricsServerTest, NonLoopbackNeedsAToken) {
  MetricsServerOptions options;
  options.listen = "0.0.0.0:0";
  auto server = MetricsServer::Start(options, std::make_shared<prometheus::Registry>());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(server.status().message().find("bearer token"), std::string::npos);
}

TEST(MetricsServerTest, ATokenIsRequiredWhenSet) {
  MetricsServerOptions options;
  options.bearer_token = "0123456789abcdef-secret";
  auto server = MetricsServer::Start(options, std::make_shared<prometheus::Registry>());
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();
  EXPECT_NE(HttpGet(port, "/metrics").find("HTTP/1.1 401"), std::string::npos);
  EXPECT_NE(HttpGet(port, "/metrics", "Authorization: Bearer wrong\r\n").find("HTTP/1.1 401"),
            std::string::npos);
  EXPECT_NE(HttpGet(port, "/metrics", "Authorization: Bearer 0123456789abcdef-secret\r\n")
                .find("HTTP/1.1 200"),
            std::string::npos);
}

TEST(MetricsServerTest, MalformedAddressesAreRejected) {
  for (const char* listen : {"", "127.0.0.1", ":80", "127.0.0.1:x", "127.0.0.1:70000"}) {
    MetricsServerOptions options;
    options.listen = listen;
    EXPECT_EQ(
        MetricsServer::Start(options, std::make_shared<prometheus::Registry>()).status().code(),
        absl::StatusCode::kInvalidArgument)
        << listen;
  }
}

TEST(MetricsServerTest, BearerTokensMustBeLongEnough) {
  ctmr::testing::TempDir tmp;
  ctmr::testing::WriteFile(tmp.path() + "/short", "abc\n");
  ctmr::testing::WriteFile(tmp.path() + "/good", "0123456789abcdef\n");
  EXPECT_FALSE(ReadBearerToken(tmp.path() + "/short").ok());
  EXPECT_EQ(ReadBearerToken(tmp.path() + "/good").value_or(""), "0123456789abcdef");
  EXPECT_FALSE(ReadBearerToken(tmp.path() + "/missing").ok());
}

}  // namespace
}  // namespace ctmr::metrics
