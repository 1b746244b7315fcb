#pragma once
// The Asio side of io_runtime. Included only by translation units that use Asio.

#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace zenws::detail {

struct io_runtime_impl {
  /// `thread_count` is the concurrency hint: with 1, Asio queues work posted from the io thread
  /// without a lock and without interrupting the reactor.
  explicit io_runtime_impl(int thread_count) : context(thread_count) {}

  boost::asio::io_context context;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{
      context.get_executor()};
  std::vector<std::thread> threads;
};

} // namespace zenws::detail
