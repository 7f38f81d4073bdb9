// Corpus: writes a ct-gen data root (DESIGN.md section 2) and its known
// answers.
//
// Generate() spreads the regular certificates over the date directories and
// issuers, then (with edge_cases) adds the hand-written cases of
// edge_cases.cc. Every certificate goes through WriteCertificate(), which puts
// its blocks in the right files and tells KnownAnswers about it exactly once.
#ifndef CT_TOOLS_CT_GEN_CORPUS_H_
#define CT_TOOLS_CT_GEN_CORPUS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tools/ct_gen/certificate_template.h"
#include "tools/ct_gen/issuers.h"
#include "tools/ct_gen/known_answers.h"
#include "tools/ct_gen/name_pool.h"
#include "tools/ct_gen/output_files.h"
#include "tools/ct_gen/rng.h"

namespace ctgen {

struct GenOptions {
  std::string root;
  uint64_t certs = 0;
  uint64_t seed = 1;
  int64_t first_day = 0;  // day number of the first date directory
  int64_t days = 100;
  int64_t as_of_day = 0;
  int64_t window_days = 0;  // 0: no window
  bool edge_cases = false;
  std::string answers_path;
};

// How the blocks of one certificate are written.
struct Placement {
  bool precert_first = false;  // a precertificate block, then the final one
  bool precert_only = false;   // only the precertificate
  int final_copies = 1;        // copies of the final block (several logs)
  bool in_cer = false;         // DER into <issuer>.cer instead of PEM
  bool also_in_cer = false;    // PEM, and the same DER in <issuer>.cer
  bool headers = true;         // RFC 1421 headers on the PEM blocks
  std::string dir_name;        // "" = FormatDate(dir_day); else a non-date folder
};

class Corpus {
 public:
  explicit Corpus(GenOptions options);

  // Writes everything, the answers last. Not restartable: ROOT must be new.
  absl::Status Generate();

  // For edge_cases.cc and tests.
  const std::vector<Issuer>& issuers() const { return issuers_; }
  const GenOptions& options() const { return options_; }
  KnownAnswers& answers() { return *answers_; }
  OutputFiles& files() { return *files_; }
  const CertificateTemplate& tmpl(size_t issuer) const { return *templates_[issuer]; }
  size_t IssuerIndex(const std::string& short_name) const;
  std::string PemPath(int64_t dir_day, size_t issuer) const;

  // Writes the blocks of one certificate and records it once in the answers
  // (unless placement.dir_name names an ignored folder).
  void WriteCertificate(int64_t dir_day, size_t issuer, const LeafSpec& spec,
                        const std::vector<CountedName>& names, const Placement& placement);

  // Appends one PEM block to *out; `headers` empty or "Log: ..\nRecorded-at: ..\n".
  static void AppendPem(std::string* out, const char* label, std::string_view der,
                        const std::string& headers);
  // The RFC 1421 headers ct-fetch would write for a copy from log `log`.
  std::string Headers(int log, int64_t recorded_at) const;

 private:
  absl::Status WriteRegular();
  void WriteRegularCertificate(int64_t day, Rng* rng, uint64_t index,
                               std::vector<PoolName>* scratch);

  GenOptions options_;
  std::vector<Issuer> issuers_;
  std::vector<std::unique_ptr<CertificateTemplate>> templates_;
  std::unique_ptr<NamePool> pool_;
  std::unique_ptr<KnownAnswers> answers_;
  std::unique_ptr<OutputFiles> files_;
  std::vector<int> issuer_cumulative_weight_;
  std::string der_;  // scratch
};

}  // namespace ctgen

#endif  // CT_TOOLS_CT_GEN_CORPUS_H_
