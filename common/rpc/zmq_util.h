// What the coordinator and the workers share about ZeroMQ: the envelope codec,
// the socket options every socket gets, and CURVE key files.
//
// Threading: a zmq::socket_t belongs to the thread that created it; nothing
// here keeps a socket.
#ifndef CT_COMMON_RPC_ZMQ_UTIL_H_
#define CT_COMMON_RPC_ZMQ_UTIL_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <zmq.hpp>

#include "absl/status/statusor.h"
#include "proto/coordination.pb.h"

namespace ctmr::rpc {

inline constexpr uint32_t kProtocolVersion = 2;  // see proto/coordination.proto
// Bound on one message: tasks and results are small (paths, counters); tallies
// travel through the shared data root, never through the socket.
inline constexpr int64_t kMaxMessageBytes = 1 << 20;

// Serializes `envelope` with protocol_version set.
zmq::message_t EncodeEnvelope(Envelope envelope);

// Parses one frame; nullopt (the caller logs and drops it) when it does not
// parse, carries another protocol version, or has no body.
std::optional<Envelope> DecodeEnvelope(const zmq::message_t& frame);

// ZMQ_LINGER 0 (never block shutdown on unsent messages) and ZMQ_MAXMSGSIZE.
void SetCommonOptions(zmq::socket_t& socket);

// True for "tcp://127.0.0.1:…", "tcp://localhost:…", "tcp://[::1]:…",
// "ipc://…" and "inproc://…": endpoints only this machine can reach.
bool IsLoopbackEndpoint(std::string_view endpoint);

// A CURVE key pair, Z85-encoded (40 characters each).
struct CurveKeyPair {
  std::string public_key;
  std::string secret_key;
};

// Generates a key pair and writes "<prefix>.key" (secret and public, mode
// 0600) and "<prefix>.pub" (public only).
absl::StatusOr<CurveKeyPair> GenerateKeyFiles(const std::string& prefix);

// Reads a ".key" file (both keys) or, with `public_only`, a ".pub" file.
absl::StatusOr<CurveKeyPair> ReadKeyFile(const std::string& path, bool public_only);

}  // namespace ctmr::rpc

#endif  // CT_COMMON_RPC_ZMQ_UTIL_H_
