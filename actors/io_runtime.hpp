#pragma once
/// @file
/// The io runtime: one Asio io_context run by a small thread pool, shared by every connection
/// of an actor system.
///
/// Create it before the caf::actor_system and destroy it after, so the shutdown order is:
/// exit the actors, destroy the actor system, then stop and join the io threads. Transports
/// only hold weak handles to actors, so io threads outliving the actors is harmless.
///
/// @par Thread safety
/// All members may be called from any thread except stop(), which must not be called from an
/// io thread.

#include <cstddef>
#include <memory>

namespace zenws {

namespace detail {
struct io_runtime_impl;
} // namespace detail

class io_runtime {
public:
  /// Starts `threads` io threads (at least 1). One is right for most processes: each
  /// connection's work is serialized on its own strand anyway.
  explicit io_runtime(std::size_t threads = 1);

  /// Stops and joins the threads (see stop()).
  ~io_runtime();

  io_runtime(const io_runtime&) = delete;
  io_runtime& operator=(const io_runtime&) = delete;

  /// Lets pending operations finish with operation_aborted, stops the io_context and joins the
  /// threads. Idempotent.
  void stop();

  /// Number of io threads.
  std::size_t threads() const noexcept;

  /// @private The Asio side, for the transport and the test kit.
  detail::io_runtime_impl& impl() noexcept { return *impl_; }

private:
  std::unique_ptr<detail::io_runtime_impl> impl_;
};

} // namespace zenws
