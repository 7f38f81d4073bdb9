#include "coordinator/service/zap_authenticator.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <zmq.hpp>

#include "common/rpc/zmq_util.h"

namespace ctmr::service {
namespace {

rpc::CurveKeyPair NewKeys() {
  char pub[41] = {}, sec[41] = {};
  EXPECT_EQ(zmq_curve_keypair(pub, sec), 0);
  return {pub, sec};
}

// A CURVE server ROUTER behind the ZAP handler, on an inproc endpoint of the
// same context (ZAP applies to inproc too).
class ZapAuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = NewKeys();
    authorized_ = NewKeys();
    zap_.emplace(context_, std::set<std::string>{authorized_.public_key});
    ASSERT_TRUE(zap_->Start().ok());
    router_.emplace(context_, zmq::socket_type::router);
    rpc::SetCommonOptions(*router_);
    router_->set(zmq::sockopt::curve_server, 1);
    router_->set(zmq::sockopt::curve_secretkey, server_.secret_key);
    router_->set(zmq::sockopt::zap_domain, std::string(kZapDomain));
    router_->set(zmq::sockopt::rcvtimeo, 2000);
    router_->bind("tcp://127.0.0.1:*");
    endpoint_ = router_->get(zmq::sockopt::last_endpoint);
  }
  void TearDown() override {
    router_.reset();
    zap_.reset();
  }

  // Connects a DEALER with `client` keys, sends one frame, and returns
  // whether the ROUTER received it.
  bool Reaches(const rpc::CurveKeyPair& client, int timeout_ms) {
    zmq::socket_t dealer(context_, zmq::socket_type::dealer);
    rpc::SetCommonOptions(dealer);
    dealer.set(zmq::sockopt::curve_serverkey, server_.public_key);
    dealer.set(zmq::sockopt::curve_publickey, client.public_key);
    dealer.set(zmq::sockopt::curve_secretkey, client.secret_key);
    dealer.connect(endpoint_);
    dealer.send(zmq::str_buffer("hello"), zmq::send_flags::dontwait);
    router_->set(zmq::sockopt::rcvtimeo, timeout_ms);
    zmq::message_t id, body;
    if (!router_->recv(id)) return false;
    EXPECT_TRUE(router_->recv(body));
    return body.to_string() == "hello";
  }

  zmq::context_t context_;
  rpc::CurveKeyPair server_, authorized_;
  std::optional<ZapAuthenticator> zap_;
  std::optional<zmq::socket_t> router_;
  std::string endpoint_;
};

TEST_F(ZapAuthenticatorTest, AuthorizedKeyGetsThrough) {
  EXPECT_TRUE(Reaches(authorized_, 3000));
  EXPECT_GE(zap_->accepted(), 1u);
}

TEST_F(ZapAuthenticatorTest, UnknownKeyIsDenied) {
  EXPECT_FALSE(Reaches(NewKeys(), 1000));
  EXPECT_GE(zap_->denied(), 1u);
  EXPECT_EQ(zap_->accepted(), 0u);
  // The authorized one still gets in afterwards.
  EXPECT_TRUE(Reaches(authorized_, 3000));
}

TEST_F(ZapAuthenticatorTest, PlainClientIsRefused) {
  zmq::socket_t dealer(context_, zmq::socket_type::dealer);
  rpc::SetCommonOptions(dealer);
  dealer.connect(endpoint_);
  dealer.send(zmq::str_buffer("hello"), zmq::send_flags::dontwait);
  router_->set(zmq::sockopt::rcvtimeo, 1000);
  zmq::message_t id;
  EXPECT_FALSE(router_->recv(id));
}

TEST(LoadAuthorizedKeysTest, ReadsPubFilesOnly) {
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("zap_keys." + std::to_string(::getpid())))
          .string();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  EXPECT_FALSE(LoadAuthorizedKeys(dir).ok());  // none yet
  absl::StatusOr<rpc::CurveKeyPair> a = rpc::GenerateKeyFiles(dir + "/a");
  absl::StatusOr<rpc::CurveKeyPair> b = rpc::GenerateKeyFiles(dir + "/b");
  ASSERT_TRUE(a.ok() && b.ok());
  absl::StatusOr<std::set<std::string>> keys = LoadAuthorizedKeys(dir);
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(*keys, (std::set<std::string>{a->public_key, b->public_key}));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ctmr::service
