#include "coordinator/service/zap_authenticator.h"

#include <glog/logging.h>

#include <filesystem>
#include <future>
#include <optional>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/rpc/zmq_util.h"

namespace ctmr::service {

absl::StatusOr<std::set<std::string>> LoadAuthorizedKeys(const std::string& dir) {
  std::set<std::string> keys;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() != ".pub") continue;
    absl::StatusOr<rpc::CurveKeyPair> pair =
        rpc::ReadKeyFile(it->path().string(), /*public_only=*/true);
    if (!pair.ok()) return pair.status();
    keys.insert(pair->public_key);
  }
  if (ec) return absl::InvalidArgumentError(absl::StrCat(dir, ": ", ec.message()));
  if (keys.empty()) return absl::InvalidArgumentError(absl::StrCat(dir, ": no *.pub key files"));
  return keys;
}

ZapAuthenticator::ZapAuthenticator(zmq::context_t& context, std::set<std::string> authorized_z85)
    : context_(context), authorized_(std::move(authorized_z85)) {}

ZapAuthenticator::~ZapAuthenticator() { Stop(); }

absl::Status ZapAuthenticator::Start() {
  std::promise<absl::Status> bound;
  std::future<absl::Status> result = bound.get_future();
  thread_ = std::thread([this, &bound] {
    std::optional<zmq::socket_t> socket;
    try {
      socket.emplace(context_, zmq::socket_type::rep);
      socket->set(zmq::sockopt::linger, 0);
      socket->bind("inproc://zeromq.zap.01");
    } catch (const zmq::error_t& e) {
      bound.set_value(
          absl::FailedPreconditionError(absl::StrCat("cannot start the ZAP handler: ", e.what())));
      return;
    }
    bound.set_value(absl::OkStatus());
    try {
      Serve(*socket);
    } catch (const zmq::error_t& e) {
      if (e.num() != ETERM) LOG(ERROR) << "ZAP handler stopped: " << e.what();
    }
  });
  absl::Status status = result.get();
  if (!status.ok()) {
    thread_.join();
    return status;
  }
  return absl::OkStatus();
}

void ZapAuthenticator::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

// ZAP 1.0 (RFC 27): request = version, request id, domain, address, identity,
// mechanism, credentials...; reply = version, request id, status code,
// status text, user id, metadata.
void ZapAuthenticator::Serve(zmq::socket_t& socket) {
  while (!stop_) {
    zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, std::chrono::milliseconds(100)) == 0) continue;
    std::vector<zmq::message_t> frames;
    do {
      frames.emplace_back();
      if (!socket.recv(frames.back())) return;
    } while (frames.back().more());
    std::string status = "400";
    std::string text = "not authorized";
    std::string user;
    if (frames.size() >= 6 && frames[0].to_string() == "1.0") {
      const std::string mechanism = frames[5].to_string();
      if (mechanism == "CURVE" && frames.size() >= 7 && frames[6].size() == 32) {
        char z85[41] = {};
        zmq_z85_encode(z85, static_cast<const uint8_t*>(frames[6].data()), 32);
        if (authorized_.count(z85) > 0) {
          status = "200";
          text = "OK";
          user = z85;
        } else {
          LOG(WARNING) << "denied CURVE client " << z85 << " from " << frames[3].to_string()
                       << ": key not in --authorized-keys";
        }
      } else {
        LOG(WARNING) << "denied " << mechanism << " client from " << frames[3].to_string();
      }
    }
    (status == "200" ? accepted_ : denied_)++;
    const std::string request_id = frames.size() > 1 ? frames[1].to_string() : "";
    const std::string version = "1.0";
    socket.send(zmq::buffer(version), zmq::send_flags::sndmore);
    socket.send(zmq::buffer(request_id), zmq::send_flags::sndmore);
    socket.send(zmq::buffer(status), zmq::send_flags::sndmore);
    socket.send(zmq::buffer(text), zmq::send_flags::sndmore);
    socket.send(zmq::buffer(user), zmq::send_flags::sndmore);
    socket.send(zmq::message_t(), zmq::send_flags::none);
  }
}

}  // namespace ctmr::service
