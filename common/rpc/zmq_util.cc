#include "common/rpc/zmq_util.h"

#include <sys/stat.h>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/base/file_util.h"
#include "common/base/status_macros.h"

namespace ctmr::rpc {

zmq::message_t EncodeEnvelope(Envelope envelope) {
  envelope.set_protocol_version(kProtocolVersion);
  const std::string bytes = envelope.SerializeAsString();
  return zmq::message_t(bytes.data(), bytes.size());
}

std::optional<Envelope> DecodeEnvelope(const zmq::message_t& frame) {
  Envelope envelope;
  if (frame.size() > static_cast<size_t>(kMaxMessageBytes) ||
      !envelope.ParseFromArray(frame.data(), static_cast<int>(frame.size())) ||
      envelope.protocol_version() != kProtocolVersion ||
      envelope.body_case() == Envelope::BODY_NOT_SET) {
    return std::nullopt;
  }
  return envelope;
}

void SetCommonOptions(zmq::socket_t& socket) {
  socket.set(zmq::sockopt::linger, 0);
  socket.set(zmq::sockopt::maxmsgsize, kMaxMessageBytes);
}

bool IsLoopbackEndpoint(std::string_view endpoint) {
  const std::string e(endpoint);
  if (absl::StartsWith(e, "ipc://") || absl::StartsWith(e, "inproc://")) return true;
  for (const char* host : {"tcp://127.", "tcp://localhost:", "tcp://[::1]:"}) {
    if (absl::StartsWith(e, host)) return true;
  }
  return false;
}

absl::StatusOr<CurveKeyPair> GenerateKeyFiles(const std::string& prefix) {
  char public_key[41] = {};
  char secret_key[41] = {};
  if (zmq_curve_keypair(public_key, secret_key) != 0) {
    return absl::FailedPreconditionError("libzmq was built without CURVE support");
  }
  CurveKeyPair pair{public_key, secret_key};
  // Created 0600: the secret is never readable by others, even for an instant.
  RETURN_IF_ERROR(base::WriteFileAtomically(
      prefix + ".key", absl::StrCat("public ", pair.public_key, "\nsecret ", pair.secret_key, "\n"),
      base::Durability::kSynced, 0600));
  RETURN_IF_ERROR(
      base::WriteFileAtomically(prefix + ".pub", absl::StrCat("public ", pair.public_key, "\n")));
  return pair;
}

absl::StatusOr<CurveKeyPair> ReadKeyFile(const std::string& path, bool public_only) {
  ASSIGN_OR_RETURN(std::string text, base::ReadFileToString(path));
  CurveKeyPair pair;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::vector<std::string> parts = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (parts.size() != 2 || parts[1].size() != 40) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": not a key file (\"public <z85>\")"));
    }
    if (parts[0] == "public") pair.public_key = parts[1];
    if (parts[0] == "secret") pair.secret_key = parts[1];
  }
  if (pair.public_key.empty() || (!public_only && pair.secret_key.empty())) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, public_only ? ": no public key" : ": no secret key"));
  }
  return pair;
}

}  // namespace ctmr::rpc
