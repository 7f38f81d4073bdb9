// WorkerLink: the coordinator's sockets. Binds the ROUTER the workers connect
// to (with CURVE and the ZAP handler when a secret key is given) and the REP
// control socket the operator commands use; receives and sends envelopes.
// Policy (what a message means, which task goes where) is the caller's: this
// is only the transport, so that it is the one place zmq::error_t exists —
// every failure leaves here as a Status.
//
// Descriptors: every connection holds one. Open raises the soft limit on
// descriptors to the hard one (systemd's LimitNOFILE sets both) and logs it;
// connections that never complete the ZeroMQ handshake are closed after
// `handshake_ms`. (ZMQ_MAXSOCKETS bounds sockets, not the connections of one
// ROUTER, so it is no help here.)
//
// Errors: Open returns FailedPrecondition when the bind fails, and the
// key-file errors of ReadKeyFile/LoadAuthorizedKeys. Poll returns Aborted
// for a socket error other than an interrupted call (EINTR is a return with
// nothing received: the caller checks its stop flag).
//
// Not thread-safe: the sockets belong to the thread that called Open.
#ifndef CT_COORDINATOR_SERVICE_WORKER_LINK_H_
#define CT_COORDINATOR_SERVICE_WORKER_LINK_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include <zmq.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "coordinator/service/zap_authenticator.h"
#include "proto/coordination.pb.h"

namespace ctmr::service {

struct WorkerLinkOptions {
  std::string bind;              // e.g. "tcp://0.0.0.0:5555", "ipc://..."; port 0 picks one
  std::string curve_secret_key;  // empty: no CURVE
  std::string authorized_keys;   // a folder of ".pub" files (with CURVE)
  // With CURVE and local workers: where to write a key pair for them (its
  // public key is authorized for this process only) and the server's public key.
  std::string local_key_prefix;
  std::optional<std::string> control_endpoint;  // REP for operators; none: off
  // A TCP connection that has not completed the ZeroMQ handshake after this
  // long is closed (libzmq's default is 30 s): each idle connection holds a
  // descriptor, and a few thousand would exhaust them.
  int handshake_ms = 5000;
};

class WorkerLink {
 public:
  static absl::StatusOr<std::unique_ptr<WorkerLink>> Open(const WorkerLinkOptions& options);
  ~WorkerLink();  // closes the sockets, removes the control socket file, stops ZAP
  WorkerLink(const WorkerLink&) = delete;
  WorkerLink& operator=(const WorkerLink&) = delete;

  // What a worker on this machine connects to: the bound endpoint, a
  // wildcard address replaced by loopback, the port resolved when it was 0.
  const std::string& connect_endpoint() const { return connect_endpoint_; }
  // The CURVE flags a local ct-worker needs (empty without CURVE).
  const std::vector<std::string>& local_worker_args() const { return local_worker_args_; }
  bool curve() const { return zap_.has_value(); }

  using MessageHandler = std::function<void(const std::string& routing_id, const Envelope&)>;
  using ControlHandler = std::function<std::string(std::string_view request)>;
  // Waits up to `timeout_ms` for traffic, then hands each decodable worker
  // message (at most 1000 per call) to `on_message` and answers one control
  // request with `on_control`. Undecodable messages are logged and dropped.
  absl::Status Poll(int64_t timeout_ms, const MessageHandler& on_message,
                    const ControlHandler& on_control);
  // False when the worker cannot be reached now (gone, or its queue is full).
  bool Send(const std::string& routing_id, const Envelope& body);

 private:
  WorkerLink() = default;
  absl::Status Bind(const WorkerLinkOptions& options);
  absl::Status ReceiveWorkerMessages(const MessageHandler& on_message);
  void AnswerControl(const ControlHandler& on_control);

  zmq::context_t context_;
  std::optional<ZapAuthenticator> zap_;
  std::optional<zmq::socket_t> router_;
  std::optional<zmq::socket_t> control_;
  std::string control_path_;  // the control socket's file, removed on close
  std::string connect_endpoint_;
  std::vector<std::string> local_worker_args_;
};

}  // namespace ctmr::service

#endif  // CT_COORDINATOR_SERVICE_WORKER_LINK_H_
