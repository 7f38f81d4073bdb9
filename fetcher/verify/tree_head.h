// Signed tree heads: RFC 6962 get-sth responses and C2SP static-ct-api
// checkpoints, and their verification with the log's public key.
//
// Both forms carry the same signed statement, an RFC 6962 §3.5
// TreeHeadSignature (version v1, signature_type tree_hash, timestamp,
// tree_size, sha256_root_hash) in a DigitallySigned struct; both parse into a
// SignedTreeHead. Parsers bound every size and never trust a length.
#ifndef CT_FETCHER_VERIFY_TREE_HEAD_H_
#define CT_FETCHER_VERIFY_TREE_HEAD_H_

#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ctmr::verify {

struct SignedTreeHead {
  uint64_t tree_size = 0;
  uint64_t timestamp = 0;           // milliseconds since the epoch
  std::string sha256_root_hash;     // 32 bytes
  std::string tree_head_signature;  // the TLS-encoded DigitallySigned struct
};

// A log's public key (ECDSA P-256 or RSA), from its DER SubjectPublicKeyInfo.
class LogKey {
 public:
  // kInvalidArgument unless `spki_der` is an EC P-256 or RSA (>= 2048 bits) key.
  static absl::StatusOr<LogKey> FromDer(absl::string_view spki_der);
  // The same from base64 text, as the log list's "key" field has it.
  static absl::StatusOr<LogKey> FromBase64(absl::string_view spki_base64);

  const std::string& spki_der() const { return spki_der_; }
  // The RFC 6962 LogID: SHA-256 of the SubjectPublicKeyInfo.
  const std::string& log_id() const { return log_id_; }

  // Verifies a TLS DigitallySigned struct (hash sha256(4); signature ecdsa(3)
  // or rsa(1), matching the key) over `message`. OK, kInvalidArgument when
  // malformed, kDataLoss when the signature does not verify.
  absl::Status VerifyDigitallySigned(absl::string_view digitally_signed,
                                     absl::string_view message) const;

 private:
  struct PkeyFree {
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  };
  std::string spki_der_;
  std::string log_id_;
  std::shared_ptr<EVP_PKEY> pkey_;
  int signature_algorithm_ = 0;  // TLS SignatureAlgorithm of the key
};

// The bytes an RFC 6962 tree head signature covers (§3.5, TreeHeadSignature).
std::string TreeHeadSignatureInput(uint64_t timestamp, uint64_t tree_size,
                                   absl::string_view root_hash);

// Parses a get-sth JSON response (RFC 6962 §4.3). kInvalidArgument on any
// missing, mistyped or out-of-range field; the body is limited to 64 KiB.
absl::StatusOr<SignedTreeHead> ParseGetSthResponse(absl::string_view json);

// Verifies the tree head's signature with the log's key.
absl::Status VerifySignedTreeHead(const SignedTreeHead& sth, const LogKey& key);

// One signature line of a signed note: "— <key_name> <base64(key_id || signature)>".
struct NoteSignature {
  std::string key_name;
  uint32_t key_id = 0;
  std::string signature;  // the bytes after the key id
};

// A C2SP tlog-checkpoint in a C2SP signed note, split but not verified.
struct Checkpoint {
  std::string origin;
  uint64_t tree_size = 0;
  std::string root_hash;                // 32 bytes
  std::vector<std::string> extensions;  // lines after the root hash, if any
  std::string signed_text;              // the note text the signatures cover
  std::vector<NoteSignature> signatures;
};

// Splits a checkpoint note. kInvalidArgument on malformed text: missing
// lines, a size with leading zeros or beyond 2^63, a root that is not base64
// of 32 bytes, no blank line, a bad signature line, more than 100 signatures,
// or more than 64 KiB in all.
absl::StatusOr<Checkpoint> ParseCheckpoint(absl::string_view note);

// The static-ct-api note key ID: the first four bytes, big-endian, of
// SHA-256(key_name || 0x0A || 0x05 || LogID).
uint32_t Rfc6962NoteKeyId(absl::string_view key_name, const LogKey& key);

// Verifies a checkpoint as static-ct-api prescribes: its origin must be
// `origin`, it must have no extension lines, and it must carry an
// RFC6962NoteSignature (uint64 timestamp || DigitallySigned TreeHeadSignature)
// by `key` under key name `origin`. Signatures of other names or key IDs are
// skipped; a signature of the log's key that does not verify rejects the note
// (kDataLoss), and so does the absence of one (kDataLoss too). Returns the tree
// head with the signature's timestamp.
absl::StatusOr<SignedTreeHead> VerifyCheckpoint(const Checkpoint& checkpoint,
                                                absl::string_view origin, const LogKey& key);

}  // namespace ctmr::verify

#endif  // CT_FETCHER_VERIFY_TREE_HEAD_H_
