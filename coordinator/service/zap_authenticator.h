// ZapAuthenticator: makes CURVE mean something. Without a ZAP handler libzmq
// lets in any client that knows the server's public key; with this one only
// clients whose public key is in the authorized set get in, everything else
// (unknown keys, other mechanisms) is denied with status 400.
//
// The handler thread owns its REP socket on "inproc://zeromq.zap.01" (one per
// context). Start() returns once the socket is bound, so a CURVE server bound
// after it never sees a connection unauthenticated. The thread stops on
// Stop(), on the destructor, or when the context shuts down (ETERM).
#ifndef CT_COORDINATOR_SERVICE_ZAP_AUTHENTICATOR_H_
#define CT_COORDINATOR_SERVICE_ZAP_AUTHENTICATOR_H_

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <zmq.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ctmr::service {

// The ZAP domain the coordinator's ROUTER sets.
inline constexpr char kZapDomain[] = "ct-mapreduce";

// Loads the Z85 public keys of every "*.pub" file in `dir` (ReadKeyFile).
// InvalidArgument when a file is not a key file or there is none.
absl::StatusOr<std::set<std::string>> LoadAuthorizedKeys(const std::string& dir);

class ZapAuthenticator {
 public:
  ZapAuthenticator(zmq::context_t& context, std::set<std::string> authorized_z85);
  ~ZapAuthenticator();
  ZapAuthenticator(const ZapAuthenticator&) = delete;
  ZapAuthenticator& operator=(const ZapAuthenticator&) = delete;

  // Binds the handler and starts its thread.
  absl::Status Start();
  void Stop();

  uint64_t accepted() const { return accepted_; }
  uint64_t denied() const { return denied_; }

 private:
  void Serve(zmq::socket_t& socket);

  zmq::context_t& context_;
  const std::set<std::string> authorized_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> denied_{0};
};

}  // namespace ctmr::service

#endif  // CT_COORDINATOR_SERVICE_ZAP_AUTHENTICATOR_H_
