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
#include <functional>
#include <memory>

namespace zenws {

namespace detail {
struct io_runtime_impl;
} // namespace detail

class io_runtime {
public:
  /// Starts `threads` io threads (at least 1). One is right for most processes: each
  /// connection's work is serialized on its own strand anyway.
  ///
  /// With `run_actors_inline` (the default), an actor that an io thread wakes up (a connection
  /// receiving a frame, and the actors it messages in turn, such as its handler) runs on that
  /// io thread right after the io handler, instead of waiting for a CAF worker to wake up: a
  /// round trip stays on one thread. The io thread gives them at most 64 turns of CAF's
  /// max-throughput messages each per io event; what is left then goes to CAF's scheduler. Handlers
  /// must not block either way; pass false to keep every actor on CAF's workers.
  explicit io_runtime(std::size_t threads = 1, bool run_actors_inline = true);

  /// Stops and joins the threads (see stop()).
  ~io_runtime();

  io_runtime(const io_runtime&) = delete;
  io_runtime& operator=(const io_runtime&) = delete;

  /// Lets pending operations finish with operation_aborted, stops the io_context and joins the
  /// threads. Idempotent.
  void stop();

  /// Number of io threads.
  std::size_t threads() const noexcept;

  /// Whether actors woken by io threads run on them (see the constructor).
  bool runs_actors_inline() const noexcept { return run_actors_inline_; }

  /// The runtime whose io thread is calling; nullptr on any other thread.
  static io_runtime* on_this_thread() noexcept;

  /// Runs `fn` on an io thread after the handlers already queued. Called from an io thread of
  /// this runtime, it runs on that same thread, without waking another one.
  void defer(std::function<void()> fn);

  /// Marks the calling io thread as delivering transport events (the transport opens one
  /// around the frames of a read). Work deferred with defer_to_delivery_end() runs when the
  /// outermost delivery ends, on this thread and still inside the io handler, so that a reply
  /// written from there leaves at once instead of after another turn of the io_context.
  class event_delivery {
  public:
    event_delivery() noexcept;
    ~event_delivery();
    event_delivery(const event_delivery&) = delete;
    event_delivery& operator=(const event_delivery&) = delete;
  };

  /// Runs `fn(arg)` when the calling thread's current event_delivery ends. Returns false, and
  /// does nothing, when no delivery is open on this thread or another callback is pending.
  static bool defer_to_delivery_end(void (*fn)(void*), void* arg) noexcept;

  /// @private The Asio side, for the transport and the test kit.
  detail::io_runtime_impl& impl() noexcept { return *impl_; }

private:
  std::unique_ptr<detail::io_runtime_impl> impl_;
  bool run_actors_inline_;
};

} // namespace zenws
