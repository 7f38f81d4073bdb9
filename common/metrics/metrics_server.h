// Serves a process's Prometheus metrics (GET /metrics, text format 0.0.4) and
// its health (GET /healthz: 200 or 500 with a one-line reason) over HTTP.
//
// The metrics themselves live in a prometheus::Registry that the process
// fills; this module only exposes it. It is served by civetweb rather than
// prometheus-cpp's own Exposer because the Exposer cannot serve /healthz or
// check a bearer token.
//
// Security: the listener binds 127.0.0.1 unless told otherwise, and a
// listener on any other address requires a bearer token (Prometheus'
// `authorization: {credentials_file: …}`): requests without
// `Authorization: Bearer <token>` get 401. Request bodies are not read.
#ifndef CT_COMMON_METRICS_METRICS_SERVER_H_
#define CT_COMMON_METRICS_METRICS_SERVER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "prometheus/registry.h"

namespace ctmr::metrics {

struct HealthStatus {
  bool healthy = true;
  std::string detail;  // the body of the /healthz answer
};

struct MetricsServerOptions {
  // host:port; port 0 picks a free one (see port()). Empty disables the server.
  std::string listen = "127.0.0.1:0";
  // Required unless `listen` is a loopback address.
  std::string bearer_token;
  // /healthz answers 200 "ok" when unset.
  std::function<HealthStatus()> health;
};

class MetricsServer {
 public:
  // kInvalidArgument for a malformed address, or a non-loopback one without
  // a token; kUnavailable when the port cannot be bound.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(
      const MetricsServerOptions& options, const std::shared_ptr<prometheus::Registry>& registry);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // The bound port.
  int port() const { return port_; }

 private:
  struct Impl;
  explicit MetricsServer(std::unique_ptr<Impl> impl, int port);
  std::unique_ptr<Impl> impl_;
  int port_;
};

// What the three binaries do with --metrics-listen / --metrics-token-file:
// nullptr when `listen` is empty (metrics off); otherwise a started server,
// after logging "<program>: metrics on port N (/metrics, /healthz)" to stderr.
absl::StatusOr<std::unique_ptr<MetricsServer>> StartMetricsServerFromFlags(
    const std::string& program, const std::string& listen, const std::string& token_file,
    std::shared_ptr<prometheus::Registry> registry, std::function<HealthStatus()> health = {});

// Reads a bearer token from a file (trailing whitespace removed); kInvalidArgument
// if it is empty or shorter than 16 characters.
absl::StatusOr<std::string> ReadBearerToken(const std::string& path);

}  // namespace ctmr::metrics

#endif  // CT_COMMON_METRICS_METRICS_SERVER_H_
