#include "zenws/actors/detail/io_execution_unit.hpp"

#include <caf/actor_registry.hpp>
#include <caf/actor_system.hpp>
#include <caf/execution_unit.hpp>
#include <caf/intrusive_ptr.hpp>
#include <caf/logger.hpp>
#include <caf/resumable.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>

#include "zenws/actors/io_runtime.hpp"
#include "zenws/protocol/fifo.hpp"

namespace zenws::detail {

namespace {

class io_unit final : public caf::execution_unit {
public:
  ~io_unit() override {
    // The thread is ending: whatever is still queued goes to the scheduler.
    hand_over_all();
  }

  /// Binds the unit to `sys` if it is free; false when it serves another system right now.
  bool bind(caf::actor_system& sys) {
    if (system_ == &sys)
      return true;
    if (!jobs_.empty() || draining_)
      return false;
    system_ = &sys;
    return true;
  }

  void exec_later(caf::resumable* job) override {
    jobs_.push_back(job);
    if (drain_posted_ || draining_)
      return;
    // Inside the transport's delivery of a read: run when it ends, still in its io handler.
    if (io_runtime::defer_to_delivery_end(&io_unit::drain_deferred, this)) {
      drain_posted_ = true;
      return;
    }
    if (auto* io = io_runtime::on_this_thread()) {
      drain_posted_ = true;
      io->defer([this] { drain(); });
    } else {
      hand_over_all();
    }
  }

private:
  static void drain_deferred(void* unit) { static_cast<io_unit*>(unit)->drain(); }

  void drain() {
    drain_posted_ = false;
    if (jobs_.empty())
      return;
    // An actor that ends here is still in CAF's cleanup code after it stopped counting as
    // running; the system's destructor would not wait for it. Counting the drain as a running
    // actor makes the destructor wait until the io thread is done with the system.
    auto& registry = system().registry();
    registry.inc_running();
    draining_ = true;
    const auto throughput = system().scheduler().max_throughput();
    for (int resumed = 0; !jobs_.empty() && resumed < max_resumes_per_drain; ++resumed) {
      auto* job = jobs_.front();
      jobs_.pop_front();
      switch (job->resume(this, throughput)) {
      case caf::resumable::resume_later:
        // More messages than one turn allows: it waits for its next turn behind the others
        // (a handler flooded by this read's messages), and a worker takes over when this drain
        // has used up its turns.
        jobs_.push_back(job);
        break;
      case caf::resumable::done:
      case caf::resumable::awaiting_message:
        caf::intrusive_ptr_release(job);
        break;
      case caf::resumable::shutdown_execution_unit:
        break;
      }
    }
    draining_ = false;
    hand_over_all();
    // Spawning from an actor makes CAF keep a thread-local reference to the system's logger,
    // and the system's destructor waits for the logger to go: an io thread, which outlives the
    // system, must not keep it.
    caf::logger::set_current_actor_system(nullptr);
    registry.dec_running(); // the last touch: the system may be destroyed from here on
  }

  void hand_over_all() {
    for (; !jobs_.empty(); jobs_.pop_front())
      system().scheduler().enqueue(jobs_.front());
  }

  fifo<caf::resumable*> jobs_;
  bool drain_posted_ = false;
  bool draining_ = false;
};

thread_local io_unit this_thread_unit;

} // namespace

caf::execution_unit* io_thread_unit(caf::actor_system& sys) {
  const auto* io = io_runtime::on_this_thread();
  if (io == nullptr || !io->runs_actors_inline())
    return nullptr;
  return this_thread_unit.bind(sys) ? &this_thread_unit : nullptr;
}

} // namespace zenws::detail
