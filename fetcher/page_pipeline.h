// Fetches the pages of a catch-up ahead of the thread that verifies and
// writes them: `lanes` threads take jobs in order from a queue of at most
// `max_ahead` jobs, and Pop() hands the results back in queue order. The
// consumer pushes a job only when the queue has room, so at most max_ahead
// pages are in memory (back-pressure: nothing is dropped, a full queue just
// stops the fetching). A short page's remainder goes to the front
// (PushFront) and is consumed next.
//
// Thread-safe between the lanes and one consumer; the destructor stops the
// lanes after their current job (`fetch` should watch the same stop signal
// as the caller to cut long retries short).
#ifndef CT_FETCHER_PAGE_PIPELINE_H_
#define CT_FETCHER_PAGE_PIPELINE_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

namespace ctmr::fetch {

struct PageJob {
  uint64_t start = 0;  // first entry (RFC 6962) or tile index (tiled)
  uint64_t end = 0;    // one past the last entry; tile width for tiles
};

template <typename Result>
class PagePipeline {
 public:
  // `fetch(job, lane)` runs on lane `lane` (0..lanes-1), one job at a time per lane.
  PagePipeline(int lanes, size_t max_ahead, std::function<Result(const PageJob&, int)> fetch)
      : max_ahead_(max_ahead < 1 ? 1 : max_ahead), fetch_(std::move(fetch)) {
    for (int lane = 0; lane < lanes; ++lane) {
      threads_.emplace_back([this, lane] { Lane(lane); });
    }
  }
  ~PagePipeline() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    work_.notify_all();
    for (std::thread& t : threads_) t.join();
  }
  PagePipeline(const PagePipeline&) = delete;
  PagePipeline& operator=(const PagePipeline&) = delete;

  // True when another job fits (queue below max_ahead).
  bool HasRoom() const {
    std::lock_guard<std::mutex> lock(mu_);
    return queue_.size() < max_ahead_;
  }
  size_t size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return queue_.size();
  }
  void Push(PageJob job) { Add(job, /*front=*/false); }
  void PushFront(PageJob job) { Add(job, /*front=*/true); }

  // Waits for the front job's result and removes it. The queue must not be empty.
  std::pair<PageJob, Result> Pop() {
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [this] { return queue_.front()->result.has_value(); });
    std::shared_ptr<Slot> slot = std::move(queue_.front());
    queue_.pop_front();
    work_.notify_all();
    return {slot->job, std::move(*slot->result)};
  }

 private:
  struct Slot {
    PageJob job;
    bool taken = false;
    std::optional<Result> result;
  };

  void Add(PageJob job, bool front) {
    auto slot = std::make_shared<Slot>();
    slot->job = job;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (front) {
        queue_.push_front(std::move(slot));
      } else {
        queue_.push_back(std::move(slot));
      }
    }
    work_.notify_all();
  }

  void Lane(int lane) {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      std::shared_ptr<Slot> slot;
      work_.wait(lock, [&] {
        if (stop_) return true;
        for (const auto& s : queue_) {
          if (!s->taken) {
            slot = s;
            return true;
          }
        }
        return false;
      });
      if (stop_) return;
      slot->taken = true;
      lock.unlock();
      Result r = fetch_(slot->job, lane);
      lock.lock();
      slot->result.emplace(std::move(r));
      done_.notify_all();
    }
  }

  const size_t max_ahead_;
  const std::function<Result(const PageJob&, int)> fetch_;
  mutable std::mutex mu_;
  std::condition_variable work_;
  std::condition_variable done_;
  std::deque<std::shared_ptr<Slot>> queue_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace ctmr::fetch

#endif  // CT_FETCHER_PAGE_PIPELINE_H_
