#include "tests/support/test_support.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace ctmr::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/ctmr-test-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() { RunCommand({"/bin/rm", "-rf", path_}); }

std::string BinaryPath(const std::string& name) {
  const char* dir = std::getenv("CT_BIN_DIR");
  return std::string(dir != nullptr ? dir : "build/bin") + "/" + name;
}

namespace {

pid_t Spawn(const std::vector<std::string>& argv, int out_fd) {
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::dup2(out_fd, STDOUT_FILENO);
    ::dup2(out_fd, STDERR_FILENO);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

int WaitProcessUsage(pid_t pid, struct rusage* usage) {
  int status = 0;
  while (::wait4(pid, &status, 0, usage) < 0) {
    if (errno != EINTR) return -1;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return -1;
}

}  // namespace

int WaitProcess(pid_t pid) {
  struct rusage usage;
  return WaitProcessUsage(pid, &usage);
}

std::vector<std::string> ReduceArgv(const std::string& root, const std::string& as_of,
                                    const std::string& out, const std::vector<std::string>& extra) {
  std::vector<std::string> argv = {
      BinaryPath("ct-coordinator"), "reduce", "--data-dir", root, "--as-of", as_of, "--out", out};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

std::vector<std::string> RunOnceArgv(const std::string& root, const std::string& as_of,
                                     const std::string& out,
                                     const std::vector<std::string>& extra) {
  std::vector<std::string> argv = {BinaryPath("ct-coordinator"),
                                   "run",
                                   "--data-dir",
                                   root,
                                   "--as-of",
                                   as_of,
                                   "--once",
                                   "--bind",
                                   "tcp://127.0.0.1:0",
                                   "--heartbeat-ms",
                                   "100",
                                   "--local-workers",
                                   "2",
                                   "--out",
                                   out};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

CommandResult RunCommand(const std::vector<std::string>& argv) {
  char path[] = "/tmp/ctmr-output-XXXXXX";
  const int fd = ::mkstemp(path);
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  CommandResult result;
  struct rusage usage = {};
  result.exit_code = WaitProcessUsage(Spawn(argv, fd), &usage);
  result.max_rss_kib = usage.ru_maxrss;
  ::close(fd);
  result.output = ReadFile(path);
  ::unlink(path);
  return result;
}

pid_t StartProcess(const std::vector<std::string>& argv) {
  const int fd = ::open("/dev/null", O_WRONLY);
  const pid_t pid = Spawn(argv, fd);
  ::close(fd);
  return pid;
}

pid_t StartProcessLogged(const std::vector<std::string>& argv, const std::string& log_path) {
  const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  const pid_t pid = Spawn(argv, fd);
  ::close(fd);
  return pid;
}

SharedListener::SharedListener() {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(fd_, SOMAXCONN) != 0 ||
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd_ >= 0) ::close(fd_);
    throw std::runtime_error("cannot listen on 127.0.0.1");
  }
  port_ = ntohs(addr.sin_port);
}

SharedListener::~SharedListener() { ::close(fd_); }

int SharedListener::InheritableFd() const { return ::dup(fd_); }

bool WaitFor(double seconds, const std::function<bool()>& predicate) {
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::microseconds(static_cast<int64_t>(seconds * 1e6));
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return predicate();
}

std::string WaitForCoordinatorEndpoint(pid_t coordinator, const std::string& log, double seconds) {
  constexpr char kMarker[] = "; local workers connect to ";
  std::string endpoint;
  WaitFor(seconds, [&] {
    const std::string text = ReadFile(log);
    const size_t at = text.find(kMarker);
    const size_t eol = at == std::string::npos ? at : text.find('\n', at);
    if (eol != std::string::npos) {
      const size_t start = at + sizeof(kMarker) - 1;
      endpoint = text.substr(start, eol - start);
      return true;
    }
    // Exited (not reaped: WNOWAIT leaves that to WaitProcess)?
    siginfo_t info{};
    return ::waitid(P_PID, coordinator, &info, WEXITED | WNOHANG | WNOWAIT) != 0 ||
           info.si_pid == coordinator;
  });
  return endpoint;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
}

void AppendFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out << contents;
}

void CopyTree(const std::string& from, const std::string& to) {
  RunCommand({"/bin/cp", "-a", from, to});
}

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (const dirent* e = ::readdir(d)) {
      const std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace ctmr::testing

namespace ctmr::testing {

std::vector<std::string> ListVisible(const std::string& dir) {
  std::vector<std::string> names = ListDir(dir);
  names.erase(std::remove_if(names.begin(), names.end(),
                             [](const std::string& n) { return !n.empty() && n[0] == '.'; }),
              names.end());
  return names;
}

}  // namespace ctmr::testing
