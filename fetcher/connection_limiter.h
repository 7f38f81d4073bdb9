// The bound on ct-fetch's requests in flight across every log it follows.
//
// Each log always keeps one request lane of its own (and its head and proof
// requests), so that a slow or stalled log can never starve another; its
// further lanes take a slot here per request. Requests in flight are thus at
// most 2 per log + the limiter's slots. Thread-safe.
#ifndef CT_FETCHER_CONNECTION_LIMITER_H_
#define CT_FETCHER_CONNECTION_LIMITER_H_

#include <condition_variable>
#include <mutex>

namespace ctmr::fetch {

class ConnectionLimiter {
 public:
  explicit ConnectionLimiter(int slots) : free_(slots) {}

  // Holds one slot for its lifetime.
  class Slot {
   public:
    explicit Slot(ConnectionLimiter* limiter) : limiter_(limiter) {
      if (limiter_ != nullptr) limiter_->Acquire();
    }
    ~Slot() {
      if (limiter_ != nullptr) limiter_->Release();
    }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;

   private:
    ConnectionLimiter* limiter_;
  };

  void Acquire() {
    std::unique_lock<std::mutex> lock(mu_);
    freed_.wait(lock, [this] { return free_ > 0; });
    --free_;
  }
  void Release() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++free_;
    }
    freed_.notify_one();
  }

 private:
  std::mutex mu_;
  std::condition_variable freed_;
  int free_;
};

}  // namespace ctmr::fetch

#endif  // CT_FETCHER_CONNECTION_LIMITER_H_
