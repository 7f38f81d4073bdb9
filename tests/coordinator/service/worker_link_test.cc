#include "coordinator/service/worker_link.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <zmq.hpp>

#include "absl/strings/match.h"
#include "common/rpc/zmq_util.h"
#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace ctmr::service {
namespace {

using ::ctmr::testing::TempDir;
using ::ctmr::testing::WaitFor;

struct Received {
  std::string routing_id;
  Envelope envelope;
};

// Polls `link` until `n` worker messages arrived (or 10 s passed).
std::vector<Received> PollFor(WorkerLink& link, size_t n) {
  std::vector<Received> got;
  WaitFor(10, [&] {
    EXPECT_TRUE(link.Poll(
                        50,
                        [&](const std::string& id, const Envelope& e) {
                          got.push_back({id, e});
                        },
                        [](std::string_view) { return std::string("unexpected"); })
                    .ok());
    return got.size() >= n;
  });
  return got;
}

TEST(WorkerLinkTest, PortZeroBindsAndTellsWorkersWhereToConnect) {
  WorkerLinkOptions options;
  options.bind = "tcp://0.0.0.0:0";
  absl::StatusOr<std::unique_ptr<WorkerLink>> link = WorkerLink::Open(options);
  ASSERT_TRUE(link.ok()) << link.status();
  const std::string& endpoint = (*link)->connect_endpoint();
  EXPECT_TRUE(absl::StartsWith(endpoint, "tcp://127.0.0.1:")) << endpoint;
  EXPECT_NE(endpoint, "tcp://127.0.0.1:0");
  EXPECT_FALSE((*link)->curve());
  EXPECT_TRUE((*link)->local_worker_args().empty());
}

TEST(WorkerLinkTest, ReceivesEnvelopesAndAnswersTheSender) {
  WorkerLinkOptions options;
  options.bind = "tcp://127.0.0.1:0";
  absl::StatusOr<std::unique_ptr<WorkerLink>> opened = WorkerLink::Open(options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  WorkerLink& link = **opened;

  zmq::context_t context;
  zmq::socket_t worker(context, zmq::socket_type::dealer);
  worker.set(zmq::sockopt::linger, 0);
  worker.connect(link.connect_endpoint());
  // Garbage first: dropped, never handed on.
  worker.send(zmq::str_buffer("not an envelope"), zmq::send_flags::none);
  Envelope ready;
  ready.mutable_ready()->set_worker_name("test:1");
  ready.mutable_ready()->set_memory_budget(1 << 20);
  worker.send(rpc::EncodeEnvelope(ready), zmq::send_flags::none);

  const std::vector<Received> got = PollFor(link, 1);
  ASSERT_EQ(got.size(), 1u);
  ASSERT_TRUE(got[0].envelope.has_ready());
  EXPECT_EQ(got[0].envelope.ready().worker_name(), "test:1");

  Envelope hb;
  hb.mutable_heartbeat();
  EXPECT_TRUE(link.Send(got[0].routing_id, hb));
  worker.set(zmq::sockopt::rcvtimeo, 10'000);
  zmq::message_t reply;
  ASSERT_TRUE(worker.recv(reply));
  std::optional<Envelope> decoded = rpc::DecodeEnvelope(reply);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_TRUE(decoded->has_heartbeat());

  EXPECT_FALSE(link.Send("no such worker", hb)) << "router_mandatory: an unknown peer fails";
}

TEST(WorkerLinkTest, AnswersOperatorsOnTheControlSocket) {
  TempDir tmp;
  WorkerLinkOptions options;
  options.bind = "tcp://127.0.0.1:0";
  options.control_endpoint = "ipc://" + tmp.path() + "/control.ipc";
  std::string socket_file = tmp.path() + "/control.ipc";
  {
    absl::StatusOr<std::unique_ptr<WorkerLink>> opened = WorkerLink::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    WorkerLink& link = **opened;
    zmq::context_t context;
    zmq::socket_t op(context, zmq::socket_type::req);
    op.set(zmq::sockopt::linger, 0);
    op.set(zmq::sockopt::rcvtimeo, 100);
    op.connect(*options.control_endpoint);
    op.send(zmq::str_buffer("status"), zmq::send_flags::none);
    std::string request;
    zmq::message_t reply;
    ASSERT_TRUE(WaitFor(10, [&] {
      EXPECT_TRUE(link.Poll(
                          50, [](const std::string&, const Envelope&) {},
                          [&](std::string_view r) {
                            request = std::string(r);
                            return std::string(R"({"ok":true})");
                          })
                      .ok());
      return op.recv(reply).has_value();
    }));
    EXPECT_EQ(request, "status");
    EXPECT_EQ(reply.to_string(), R"({"ok":true})");
    EXPECT_EQ(::access(socket_file.c_str(), F_OK), 0);
  }
  EXPECT_NE(::access(socket_file.c_str(), F_OK), 0) << "the socket file outlives the link";
}

TEST(WorkerLinkTest, ABindThatFailsIsFailedPrecondition) {
  WorkerLinkOptions first;
  first.bind = "tcp://127.0.0.1:0";
  absl::StatusOr<std::unique_ptr<WorkerLink>> a = WorkerLink::Open(first);
  ASSERT_TRUE(a.ok());
  WorkerLinkOptions same;
  same.bind = (*a)->connect_endpoint();  // taken
  absl::StatusOr<std::unique_ptr<WorkerLink>> b = WorkerLink::Open(same);
  EXPECT_EQ(b.status().code(), absl::StatusCode::kFailedPrecondition) << b.status();
  same.bind = "not-a-transport://x";
  EXPECT_EQ(WorkerLink::Open(same).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(WorkerLinkTest, CurveWritesAKeyForLocalWorkers) {
  TempDir tmp;
  ASSERT_TRUE(rpc::GenerateKeyFiles(tmp.path() + "/server").ok());
  ASSERT_EQ(::mkdir((tmp.path() + "/authorized").c_str(), 0700), 0);
  ASSERT_TRUE(rpc::GenerateKeyFiles(tmp.path() + "/authorized/w").ok());
  WorkerLinkOptions options;
  options.bind = "tcp://127.0.0.1:0";
  options.curve_secret_key = tmp.path() + "/server.key";
  options.authorized_keys = tmp.path() + "/authorized";
  options.local_key_prefix = tmp.path() + "/local-worker";
  absl::StatusOr<std::unique_ptr<WorkerLink>> link = WorkerLink::Open(options);
  ASSERT_TRUE(link.ok()) << link.status();
  EXPECT_TRUE((*link)->curve());
  const std::vector<std::string> want = {"--curve-server-key",
                                         tmp.path() + "/local-worker-server.pub",
                                         "--curve-secret-key", tmp.path() + "/local-worker.key"};
  EXPECT_EQ((*link)->local_worker_args(), want);
  for (const std::string& f : {want[1], want[3]}) {
    EXPECT_EQ(::access(f.c_str(), R_OK), 0) << f;
  }
  options.authorized_keys = tmp.path() + "/no-such-folder";
  EXPECT_FALSE(WorkerLink::Open(options).ok());
}

// Idle TCP connections that never speak ZeroMQ (3,000 of them exhausted the
// coordinator's descriptors) are closed after the handshake interval.
TEST(WorkerLinkTest, IdleConnectionsAreClosedAfterTheHandshakeInterval) {
  WorkerLinkOptions options;
  options.bind = "tcp://127.0.0.1:0";
  options.handshake_ms = 200;
  absl::StatusOr<std::unique_ptr<WorkerLink>> opened = WorkerLink::Open(options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  const std::string& endpoint = (*opened)->connect_endpoint();
  const int port = std::stoi(endpoint.substr(endpoint.rfind(':') + 1));
  std::vector<int> fds;
  for (int i = 0; i < 20; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr = {};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    fds.push_back(fd);
  }
  // Each is closed by the coordinator's side: a read sees the end of the
  // stream (after ZeroMQ's greeting, which it sends at once).
  size_t closed = 0;
  WaitFor(10, [&] {
    (void)(*opened)->Poll(
        20, [](const std::string&, const Envelope&) {},
        [](std::string_view) { return std::string(); });
    closed = 0;
    for (int fd : fds) {
      char buffer[256];
      for (;;) {
        const ssize_t n = ::recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
        if (n > 0) continue;
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) ++closed;
        break;
      }
    }
    return closed == fds.size();
  });
  EXPECT_EQ(closed, fds.size());
  for (int fd : fds) ::close(fd);
}

TEST(WorkerLinkTest, OpenRaisesTheDescriptorLimitToTheHardOne) {
  WorkerLinkOptions options;
  options.bind = "tcp://127.0.0.1:0";
  ASSERT_TRUE(WorkerLink::Open(options).ok());
  struct rlimit limit;
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  EXPECT_EQ(limit.rlim_cur, limit.rlim_max);
}

}  // namespace
}  // namespace ctmr::service
