// ct-gen: writes a Certificate Transparency data root with known answers.
//
//   ct-gen --out ROOT --certs N [--seed S] [--first-date YYYY-MM-DD] [--days D]
//          [--as-of YYYY-MM-DD] [--window-days W] [--edge-cases | --clean]
//          [--answers FILE]
//
// The answers are computed from what was generated, by construction, and share
// no code with the product. Exit status: 0 success, 1 failure, 2 bad usage.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

#include "CLI/CLI.hpp"
#include "tools/ct_gen/corpus.h"
#include "tools/ct_gen/dates.h"

namespace {

int Usage(const std::string& message) {
  std::fprintf(stderr, "ct-gen: %s\n", message.c_str());
  return 2;
}

}  // namespace

int Main(int argc, char** argv) {
  CLI::App app{"ct-gen: a Certificate Transparency corpus with known answers"};
  ctgen::GenOptions opt;
  std::string first_date, as_of;
  bool clean = false;
  app.add_option("--out", opt.root, "data root to create (must be new or empty)")->required();
  app.add_option("--certs", opt.certs, "number of regular certificates")->required();
  app.add_option("--seed", opt.seed, "seed: the same seed gives the same bytes")->default_val(1);
  app.add_option("--first-date", first_date, "first date directory (default: as-of minus 10 days)");
  app.add_option("--days", opt.days, "number of date directories")
      ->default_val(100)
      ->check(CLI::Range(int64_t{1}, int64_t{100000}));
  app.add_option("--as-of", as_of, "date the answers are computed for (default: today, UTC)");
  app.add_option("--window-days", opt.window_days, "active window [as-of, as-of+W); 0 = none")
      ->default_val(0)
      ->check(CLI::Range(int64_t{0}, int64_t{100000}));
  auto* edge =
      app.add_flag("--edge-cases", opt.edge_cases, "add every edge case of DESIGN.md section 3");
  app.add_flag("--clean", clean, "realistic corpus only (the default)")->excludes(edge);
  app.add_option("--answers", opt.answers_path,
                 "where to write the answers (default: ROOT/known-answers.json)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }

  if (as_of.empty()) {
    opt.as_of_day = ctgen::DayOf(static_cast<int64_t>(std::time(nullptr)));
  } else if (auto d = ctgen::ParseDate(as_of)) {
    opt.as_of_day = *d;
  } else {
    return Usage("--as-of: not a date YYYY-MM-DD: " + as_of);
  }
  if (first_date.empty()) {
    opt.first_day = opt.as_of_day - 10;
  } else if (auto d = ctgen::ParseDate(first_date)) {
    opt.first_day = *d;
  } else {
    return Usage("--first-date: not a date YYYY-MM-DD: " + first_date);
  }
  if (opt.answers_path.empty()) opt.answers_path = opt.root + "/known-answers.json";

  auto start = std::chrono::steady_clock::now();
  ctgen::Corpus corpus(opt);
  absl::Status s = corpus.Generate();
  if (!s.ok()) {
    std::fprintf(stderr, "ct-gen: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "ct-gen: %llu certificates, %.1f MB in %s, answers in %s (%.1f s)\n",
               static_cast<unsigned long long>(corpus.answers().certificates_written()),
               static_cast<double>(corpus.files().bytes_written()) / 1e6, opt.root.c_str(),
               opt.answers_path.c_str(), secs);
  return 0;
}

int main(int argc, char** argv) {
  // Errors are values inside; this only keeps an unexpected exception (an
  // allocation failure, a library bug) from ending the process without a word.
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ct-gen: %s\n", e.what());
    return 1;
  }
}
