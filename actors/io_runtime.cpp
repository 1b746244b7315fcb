#include "zenws/actors/io_runtime.hpp"

#include <algorithm>

#include "zenws/actors/detail/io_runtime_impl.hpp"

namespace zenws {

io_runtime::io_runtime(std::size_t threads) : impl_(std::make_unique<detail::io_runtime_impl>()) {
  const auto count = std::max<std::size_t>(threads, 1);
  impl_->threads.reserve(count);
  for (std::size_t i = 0; i < count; ++i)
    impl_->threads.emplace_back([ctx = &impl_->context] { ctx->run(); });
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
