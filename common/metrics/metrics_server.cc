#include "common/metrics/metrics_server.h"

#include <CivetServer.h>
#include <arpa/inet.h>

#include <cstdio>
#include <exception>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/base/file_util.h"
#include "prometheus/text_serializer.h"

namespace ctmr::metrics {
namespace {

bool IsLoopback(const std::string& host) {
  in_addr v4{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  return host == "::1" || host == "[::1]" || host == "localhost";
}

void Send(mg_connection* conn, int code, const char* reason, const char* content_type,
          const std::string& body, const char* extra_header = "") {
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
            "Cache-Control: no-store\r\n%sConnection: close\r\n\r\n",
            code, reason, content_type, body.size(), extra_header);
  mg_write(conn, body.data(), body.size());
}

// Constant-time comparison: the token must not leak through timing.
bool SameToken(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

class Handler : public CivetHandler {
 public:
  Handler(std::string token, std::function<void(mg_connection*)> serve)
      : token_(std::move(token)), serve_(std::move(serve)) {}

  bool handleGet(CivetServer*, mg_connection* conn) override {
    if (!token_.empty()) {
      const char* auth = mg_get_header(conn, "Authorization");
      if (auth == nullptr || !SameToken(auth, "Bearer " + token_)) {
        Send(conn, 401, "Unauthorized", "text/plain; charset=utf-8", "bearer token required\n",
             "WWW-Authenticate: Bearer\r\n");
        return true;
      }
    }
    serve_(conn);
    return true;
  }

 private:
  std::string token_;
  std::function<void(mg_connection*)> serve_;
};

}  // namespace

struct MetricsServer::Impl {
  std::unique_ptr<CivetServer> server;
  std::unique_ptr<Handler> metrics;
  std::unique_ptr<Handler> health;
};

MetricsServer::MetricsServer(std::unique_ptr<Impl> impl, int port)
    : impl_(std::move(impl)), port_(port) {}

MetricsServer::~MetricsServer() {
  if (impl_ && impl_->server) impl_->server->close();
}

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(
    const MetricsServerOptions& options, const std::shared_ptr<prometheus::Registry>& registry) {
  const size_t colon = options.listen.rfind(':');
  int port = 0;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(options.listen.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics address \"", options.listen, "\" is not host:port"));
  }
  const std::string host = options.listen.substr(0, colon);
  if (!IsLoopback(host) && options.bearer_token.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "metrics address ", options.listen,
        " is not loopback: give a bearer token file, so that only Prometheus can read it"));
  }
  auto impl = std::make_unique<Impl>();
  impl->metrics = std::make_unique<Handler>(options.bearer_token, [registry](mg_connection* conn) {
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, registry->Collect());
    Send(conn, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", out.str());
  });
  impl->health = std::make_unique<Handler>(
      options.bearer_token, [health = options.health](mg_connection* conn) {
        const HealthStatus status = health ? health() : HealthStatus{true, "ok"};
        const std::string body = status.detail.empty() ? (status.healthy ? "ok\n" : "unhealthy\n")
                                                       : status.detail + "\n";
        if (status.healthy) {
          Send(conn, 200, "OK", "text/plain; charset=utf-8", body);
        } else {
          Send(conn, 500, "Internal Server Error", "text/plain; charset=utf-8", body);
        }
      });
  // civetweb wants an IPv6 host in brackets with a leading '+' form only for
  // dual stack; a plain "host:port" binds that address.
  // Threads to spare, and a short time to send a request: a few slow or
  // idle connections (slowloris) must not hold every thread while a scrape
  // waits. Scrapes themselves take milliseconds.
  std::vector<std::string> civet_options = {"listening_ports",    absl::StrCat(host, ":", port),
                                            "num_threads",        "16",
                                            "request_timeout_ms", "3000",
                                            "enable_keep_alive",  "no"};
  try {
    impl->server = std::make_unique<CivetServer>(civet_options);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve metrics on ", options.listen, ": ", e.what()));
  }
  impl->server->addHandler("/metrics", impl->metrics.get());
  impl->server->addHandler("/healthz", impl->health.get());
  const std::vector<int> ports = impl->server->getListeningPorts();
  if (ports.empty()) {
    return absl::UnavailableError(absl::StrCat("cannot serve metrics on ", options.listen));
  }
  return std::unique_ptr<MetricsServer>(new MetricsServer(std::move(impl), ports[0]));
}

absl::StatusOr<std::unique_ptr<MetricsServer>> StartMetricsServerFromFlags(
    const std::string& program, const std::string& listen, const std::string& token_file,
    std::shared_ptr<prometheus::Registry> registry, std::function<HealthStatus()> health) {
  if (listen.empty()) return std::unique_ptr<MetricsServer>();
  MetricsServerOptions options;
  options.listen = listen;
  options.health = std::move(health);
  if (!token_file.empty()) {
    absl::StatusOr<std::string> token = ReadBearerToken(token_file);
    if (!token.ok()) return token.status();
    options.bearer_token = *std::move(token);
  }
  absl::StatusOr<std::unique_ptr<MetricsServer>> server = MetricsServer::Start(options, registry);
  if (server.ok()) {
    std::fprintf(stderr, "%s: metrics on port %d (/metrics, /healthz)\n", program.c_str(),
                 (*server)->port());
  }
  return server;
}

absl::StatusOr<std::string> ReadBearerToken(const std::string& path) {
  absl::StatusOr<std::string> text = base::ReadFileToString(path);
  if (!text.ok()) return text.status();
  std::string token(absl::StripTrailingAsciiWhitespace(*text));
  if (token.size() < 16) {
    return absl::InvalidArgumentError(
        absl::StrCat("bearer token file ", path, " holds fewer than 16 characters"));
  }
  return token;
}

}  // namespace ctmr::metrics
