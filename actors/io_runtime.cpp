#include "zenws/actors/io_runtime.hpp"

#include <algorithm>

#include "zenws/actors/detail/io_runtime_impl.hpp"

#include <boost/asio/post.hpp>

namespace zenws {

namespace {

thread_local io_runtime* current_runtime = nullptr;

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
