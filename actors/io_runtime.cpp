#include "zenws/actors/io_runtime.hpp"

#include <algorithm>
#include <utility>

#include "zenws/actors/detail/io_runtime_impl.hpp"

#include <boost/asio/post.hpp>

namespace zenws {

namespace {

thread_local io_runtime* current_runtime = nullptr;

/// The calling thread's event deliveries: how deep, and what runs when the outermost ends.
struct delivery_state {
  int depth = 0;
  void (*callback)(void*) = nullptr;
  void* arg = nullptr;
};
thread_local delivery_state delivery;

} // namespace

io_runtime::io_runtime(std::size_t threads, bool run_actors_inline)
    : impl_(std::make_unique<detail::io_runtime_impl>(
          static_cast<int>(std::max<std::size_t>(threads, 1)))),
      run_actors_inline_(run_actors_inline) {
  const auto count = std::max<std::size_t>(threads, 1);
  impl_->threads.reserve(count);
  for (std::size_t i = 0; i < count; ++i)
    impl_->threads.emplace_back([this] {
      current_runtime = this;
      impl_->context.run();
      current_runtime = nullptr;
    });
}

io_runtime::~io_runtime() {
  stop();
}

void io_runtime::stop() {
  if (impl_->threads.empty())
    return;
  impl_->work.reset();
  impl_->context.stop();
  for (auto& t : impl_->threads)
    t.join();
  impl_->threads.clear();
}

std::size_t io_runtime::threads() const noexcept {
  return impl_->threads.size();
}

} // namespace zenws

namespace zenws {

io_runtime* io_runtime::on_this_thread() noexcept {
  return current_runtime;
}

void io_runtime::defer(std::function<void()> fn) {
  boost::asio::post(impl_->context, std::move(fn));
}

} // namespace zenws

namespace zenws {

io_runtime::event_delivery::event_delivery() noexcept {
  ++delivery.depth;
}

io_runtime::event_delivery::~event_delivery() {
  if (--delivery.depth > 0)
    return;
  // The callback may open deliveries of its own (and defer again): take it out first.
  while (delivery.callback != nullptr) {
    auto* fn = std::exchange(delivery.callback, nullptr);
    ++delivery.depth;
    fn(delivery.arg);
    --delivery.depth;
  }
}

bool io_runtime::defer_to_delivery_end(void (*fn)(void*), void* arg) noexcept {
  if (delivery.depth == 0 || delivery.callback != nullptr)
    return false;
  delivery.callback = fn;
  delivery.arg = arg;
  return true;
}

} // namespace zenws
