#include "coordinator/service/worker_link.h"

#include <glog/logging.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/base/file_util.h"
#include "common/base/status_macros.h"
#include "common/rpc/zmq_util.h"
#include "coordinator/service/scheduler.h"

namespace ctmr::service {

namespace {

// Up to the hard limit: a coordinator with many workers (or under a flood of
// idle connections) needs more than the common soft limit of 1024.
void RaiseDescriptorLimit() {
  struct rlimit limit;
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    struct rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  LOG(INFO) << "file descriptor limit " << limit.rlim_cur
            << (limit.rlim_cur < 8192 ? " (low for many workers: raise LimitNOFILE)" : "");
}

}  // namespace

absl::StatusOr<std::unique_ptr<WorkerLink>> WorkerLink::Open(const WorkerLinkOptions& options) {
  RaiseDescriptorLimit();
  std::unique_ptr<WorkerLink> link(new WorkerLink());
  RETURN_IF_ERROR(link->Bind(options));
  return link;
}

WorkerLink::~WorkerLink() {
  router_.reset();
  control_.reset();
  // A socket file left behind would make the CLI wait for an answer first.
  if (!control_path_.empty()) ::unlink(control_path_.c_str());
  if (zap_.has_value()) zap_->Stop();
  zap_.reset();
}

absl::Status WorkerLink::Bind(const WorkerLinkOptions& options) {
  const bool curve = !options.curve_secret_key.empty();
  std::optional<rpc::CurveKeyPair> server;
  if (curve) {
    ASSIGN_OR_RETURN(server, rpc::ReadKeyFile(options.curve_secret_key, false));
    ASSIGN_OR_RETURN(std::set<std::string> keys, LoadAuthorizedKeys(options.authorized_keys));
    if (!options.local_key_prefix.empty()) {
      // Local workers get a key of their own, authorized for this run only.
      const std::string& prefix = options.local_key_prefix;
      ASSIGN_OR_RETURN(const rpc::CurveKeyPair local, rpc::GenerateKeyFiles(prefix));
      keys.insert(local.public_key);
      const std::string server_pub = prefix + "-server.pub";
      RETURN_IF_ERROR(
          base::WriteFileAtomically(server_pub, absl::StrCat("public ", server->public_key, "\n")));
      local_worker_args_ = {"--curve-server-key", server_pub, "--curve-secret-key",
                            prefix + ".key"};
    }
    zap_.emplace(context_, std::move(keys));
    RETURN_IF_ERROR(zap_->Start());
  }

  try {
    router_.emplace(context_, zmq::socket_type::router);
    rpc::SetCommonOptions(*router_);
    router_->set(zmq::sockopt::router_mandatory, 1);
    router_->set(zmq::sockopt::handshake_ivl, options.handshake_ms);
    if (curve) {
      router_->set(zmq::sockopt::curve_server, 1);
      router_->set(zmq::sockopt::curve_secretkey, server->secret_key);
      router_->set(zmq::sockopt::zap_domain, std::string(kZapDomain));
    }
    router_->bind(options.bind);
    connect_endpoint_ = router_->get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t& e) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot bind ", options.bind, ": ", e.what()));
  }
  // A wildcard bind is reached locally through the loopback address.
  connect_endpoint_ = absl::StrReplaceAll(
      connect_endpoint_, {{"tcp://0.0.0.0:", "tcp://127.0.0.1:"}, {"tcp://[::]:", "tcp://[::1]:"}});

  // Operators only; a coordinator without it still runs (the CLI reads the
  // state file).
  if (options.control_endpoint.has_value()) {
    try {
      control_.emplace(context_, zmq::socket_type::rep);
      rpc::SetCommonOptions(*control_);
      control_->bind(*options.control_endpoint);
      control_path_ = options.control_endpoint->substr(6);  // after "ipc://"
    } catch (const zmq::error_t& e) {
      LOG(WARNING) << "no control endpoint: cannot bind " << *options.control_endpoint << ": "
                   << e.what();
      control_.reset();
    }
  }
  return absl::OkStatus();
}

bool WorkerLink::Send(const std::string& routing_id, const Envelope& body) {
  try {
    if (!router_->send(zmq::buffer(routing_id),
                       zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
      return false;
    }
    router_->send(rpc::EncodeEnvelope(body), zmq::send_flags::dontwait);
    return true;
  } catch (const zmq::error_t& e) {
    // EHOSTUNREACH: router_mandatory's word for a peer that is gone.
    if (e.num() != EHOSTUNREACH) LOG(WARNING) << "send failed: " << e.what();
    return false;
  }
}

void WorkerLink::AnswerControl(const ControlHandler& on_control) {
  try {
    std::vector<zmq::message_t> frames;
    do {
      frames.emplace_back();
      if (!control_->recv(frames.back(), zmq::recv_flags::dontwait)) return;
    } while (frames.back().more());
    const std::string reply = frames.size() == 1
                                  ? on_control(frames[0].to_string_view())
                                  : std::string(R"({"error":"a request is one frame"})");
    control_->send(zmq::buffer(reply), zmq::send_flags::dontwait);
  } catch (const zmq::error_t& e) {
    // The control socket serves operators: its trouble never stops the run.
    if (e.num() != EINTR && e.num() != EAGAIN) LOG(WARNING) << "control endpoint: " << e.what();
  }
}

absl::Status WorkerLink::ReceiveWorkerMessages(const MessageHandler& on_message) {
  for (int n = 0; n < 1000; ++n) {
    std::vector<zmq::message_t> frames;
    try {
      do {
        frames.emplace_back();
        if (!router_->recv(frames.back(), zmq::recv_flags::dontwait)) {
          frames.pop_back();
          break;
        }
      } while (frames.back().more());
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) return absl::OkStatus();
      return absl::AbortedError(absl::StrCat("receiving from workers: ", e.what()));
    }
    if (frames.empty()) break;
    if (frames.size() < 2) continue;
    const std::string routing_id = frames.front().to_string();
    std::optional<Envelope> envelope = rpc::DecodeEnvelope(frames.back());
    if (!envelope.has_value()) {
      LOG(WARNING) << "dropped an undecodable message from " << WorkerLabel(routing_id, "");
      continue;
    }
    on_message(routing_id, *envelope);
  }
  return absl::OkStatus();
}

absl::Status WorkerLink::Poll(int64_t timeout_ms, const MessageHandler& on_message,
                              const ControlHandler& on_control) {
  zmq::pollitem_t items[2] = {{router_->handle(), 0, ZMQ_POLLIN, 0},
                              {control_ ? control_->handle() : nullptr, 0, ZMQ_POLLIN, 0}};
  try {
    zmq::poll(items, control_ ? 2 : 1, std::chrono::milliseconds(timeout_ms));
  } catch (const zmq::error_t& e) {
    if (e.num() == EINTR) return absl::OkStatus();
    return absl::AbortedError(absl::StrCat("polling the sockets: ", e.what()));
  }
  if (items[1].revents & ZMQ_POLLIN) AnswerControl(on_control);
  if (items[0].revents & ZMQ_POLLIN) return ReceiveWorkerMessages(on_message);
  return absl::OkStatus();
}

}  // namespace ctmr::service
