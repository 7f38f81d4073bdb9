// Helpers shared by the tests: temporary directories, running the project's
// binaries as real processes, and reading their outputs.
#ifndef CT_TESTS_SUPPORT_TEST_SUPPORT_H_
#define CT_TESTS_SUPPORT_TEST_SUPPORT_H_

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

namespace ctmr::testing {

// A fresh directory under $TMPDIR, removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Path of a project binary ("ct-worker") in the build tree ($CT_BIN_DIR).
std::string BinaryPath(const std::string& name);

struct CommandResult {
  int exit_code = -1;  // -signal when killed
  std::string output;  // stdout and stderr, interleaved
  // Peak resident set of the process, or of the largest of the children it
  // waited for (getrusage's ru_maxrss for a reaped child), in KiB.
  long max_rss_kib = 0;
};

// Runs argv[0] (a path) with arguments, waits, and returns its exit code and output.
CommandResult RunCommand(const std::vector<std::string>& argv);

// `ct-coordinator reduce --data-dir ROOT --as-of AS_OF --out OUT EXTRA...`.
std::vector<std::string> ReduceArgv(const std::string& root, const std::string& as_of,
                                    const std::string& out,
                                    const std::vector<std::string>& extra = {});
// `ct-coordinator run --once` on a loopback port it picks itself (port 0) with
// 2 local workers and 100 ms heartbeats, then EXTRA.
std::vector<std::string> RunOnceArgv(const std::string& root, const std::string& as_of,
                                     const std::string& out,
                                     const std::vector<std::string>& extra = {});

// Starts argv without waiting; stdout and stderr go to /dev/null.
pid_t StartProcess(const std::vector<std::string>& argv);
// Starts argv without waiting; stdout and stderr are appended to `log_path`.
pid_t StartProcessLogged(const std::vector<std::string>& argv, const std::string& log_path);
// Waits for `pid`; returns its exit code or -signal.
int WaitProcess(pid_t pid);

// A TCP socket on 127.0.0.1 that the test binds (port 0: the kernel picks)
// and listens on for as long as it lives, for servers that must keep one
// address across restarts: each in turn serves on it (accepts from it), so
// the port is never free for another process to take in between.
// Connections made while no server runs wait in its backlog.
class SharedListener {
 public:
  SharedListener();  // throws std::runtime_error
  ~SharedListener();
  SharedListener(const SharedListener&) = delete;
  SharedListener& operator=(const SharedListener&) = delete;

  int port() const { return port_; }
  // A duplicate of the socket that is not close-on-exec (the socket itself
  // is), for the next process started to inherit; the caller closes it once
  // that process is started. -1 on failure.
  int InheritableFd() const;

 private:
  int fd_ = -1;
  int port_ = 0;
};

// Polls `predicate` every 20 ms until it holds or `seconds` pass.
bool WaitFor(double seconds, const std::function<bool()>& predicate);

// The endpoint workers reach `ct-coordinator run` at, read from the "bound ...;
// local workers connect to ENDPOINT" line it writes to `log` (its
// StartProcessLogged file) once bound. Start it with `--bind
// tcp://127.0.0.1:0`: the port is picked by the coordinator's own bind, so no
// other process can take it in between. Returns "" if `coordinator` exits
// first (it is left to WaitProcess) or `seconds` pass.
std::string WaitForCoordinatorEndpoint(pid_t coordinator, const std::string& log,
                                       double seconds = 30);

std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& contents);
void AppendFile(const std::string& path, const std::string& contents);
// Copies a directory tree (cp -a).
void CopyTree(const std::string& from, const std::string& to);
// Names in a directory, sorted, without "." and "..".
std::vector<std::string> ListDir(const std::string& dir);
// ListDir without hidden names (".lock" and the like): what a report folder
// publishes.
std::vector<std::string> ListVisible(const std::string& dir);

}  // namespace ctmr::testing

#endif  // CT_TESTS_SUPPORT_TEST_SUPPORT_H_
