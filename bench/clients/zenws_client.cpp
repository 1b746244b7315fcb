// zenws as users run it: a connection actor per connection, and the user's code in a handler
// actor that receives each message. One io thread and one CAF worker (two threads, two cores).

#include <cstdio>
#include <future>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/message_handler.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "zenws/actors/connection_actor.hpp"
#include "zenws/actors/io_runtime.hpp"
#include "zenws/actors/runtime.hpp"

#include "common.hpp"

namespace {

using bench::clock_type;
using bench::nanos;

/// What a scenario's handler hands back to main() when it is done.
struct outcome {
  std::vector<nanos> samples; ///< rtt, reconnect
  long delivered = 0;         ///< inbound, outbound
  nanos elapsed{0};
  double cpu_us = 0;
};

struct driver_state {
  zenws::connection_actor conn;
  bench::options opts;
  std::string message;
  long remaining = 0;
  long warmup = 0;
  std::size_t bytes = 0;
  clock_type::time_point start;
  double cpu_start = 0;
  outcome result;
  std::promise<outcome>* done = nullptr;
};

using driver_actor = caf::stateful_actor<driver_state>;

void finish(driver_actor* self) {
  auto& st = self->state;
  st.result.cpu_us = bench::cpu_us() - st.cpu_start;
  st.done->set_value(std::move(st.result));
}

void send_next(driver_actor* self) {
  auto& st = self->state;
  st.start = clock_type::now();
  self->send(st.conn, zenws::send_atom::value, zenws::text_frame{st.message});
}

void on_echo(driver_actor* self) {
  auto& st = self->state;
  const auto rtt = clock_type::now() - st.start;
  if (st.warmup > 0) {
    if (--st.warmup == 0)
      st.cpu_start = bench::cpu_us();
  } else {
    st.result.samples.push_back(rtt);
  }
  if (--st.remaining > 0)
    return send_next(self);
  finish(self);
}

/// rtt: one message in flight; the echo sends the next.
caf::message_handler rtt_driver(driver_actor* self) {
  return {
      [=](zenws::connected_atom, const zenws::upgrade_response&) {
        auto& st = self->state;
        st.remaining = st.opts.warmup + st.opts.count;
        st.warmup = st.opts.warmup;
        st.cpu_start = bench::cpu_us();
        send_next(self);
      },
      [=](zenws::text_frame&) { on_echo(self); },
      [=](const zenws::message_batch&) { on_echo(self); },
  };
}

/// User code of the inbound scenario: look at each message.
void on_inbound(driver_actor* self, std::string_view payload) {
  auto& st = self->state;
  if (payload.size() == 4 && payload == "done") {
    st.result.elapsed = clock_type::now() - st.start;
    if (st.bytes != static_cast<std::size_t>(st.result.delivered) * st.opts.size)
      std::fprintf(stderr, "zenws: %zu bytes for %ld messages\n", st.bytes, st.result.delivered);
    return finish(self);
  }
  st.bytes += payload.size();
  ++st.result.delivered;
}

/// inbound, heartbeat: "go", then count what arrives until "done".
caf::message_handler inbound_driver(driver_actor* self) {
  return {
      [=](zenws::connected_atom, const zenws::upgrade_response&) {
        auto& st = self->state;
        st.cpu_start = bench::cpu_us();
        st.start = clock_type::now();
        self->send(st.conn, zenws::send_atom::value, zenws::text_frame{"go"});
      },
      [=](zenws::text_frame& frame) { on_inbound(self, frame.data); },
      [=](const zenws::message_batch& batch) {
        for (const auto m : batch.messages())
          on_inbound(self, m.payload);
      },
  };
}

void outbound_done(driver_actor* self) {
  auto& st = self->state;
  st.result.elapsed = clock_type::now() - st.start;
  st.result.delivered = st.opts.count;
  finish(self);
}

/// outbound: every message handed to the connection at once, until the server's "done".
caf::message_handler outbound_driver(driver_actor* self) {
  return {
      [=](zenws::connected_atom, const zenws::upgrade_response&) {
        auto& st = self->state;
        st.cpu_start = bench::cpu_us();
        st.start = clock_type::now();
        for (long i = 0; i < st.opts.count; ++i)
          self->send(st.conn, zenws::send_atom::value, zenws::text_frame{st.message});
      },
      [=](zenws::text_frame&) { outbound_done(self); },
      [=](const zenws::message_batch&) { outbound_done(self); },
  };
}

/// reconnect: "drop" makes the server reset the connection; the connection reconnects.
caf::message_handler reconnect_driver(driver_actor* self) {
  return {
      [=](zenws::connected_atom, const zenws::upgrade_response&) {
        auto& st = self->state;
        if (st.remaining == 0) {
          st.cpu_start = bench::cpu_us();
          st.remaining = st.opts.count;
        } else {
          st.result.samples.push_back(clock_type::now() - st.start);
          if (--st.remaining == 0)
            return finish(self);
        }
        // Up for longer than stable_after before the next drop, so that each drop is a fresh
        // outage and not a flapping server the policy backs off from.
        self->delayed_send(st.conn, std::chrono::milliseconds(3), zenws::send_atom::value,
                           zenws::text_frame{"drop"});
      },
      [=](zenws::disconnected_atom, const zenws::disconnect_info&) {
        self->state.start = clock_type::now();
      },
      [=](zenws::reconnecting_atom, const zenws::reconnect_notice&) {},
  };
}

caf::behavior driver(driver_actor* self, const bench::options& opts, std::promise<outcome>* done) {
  self->state.opts = opts;
  self->state.message = bench::payload(opts.size);
  self->state.done = done;
  self->set_default_handler(caf::drop);
  caf::message_handler scenario;
  if (opts.scenario == "rtt")
    scenario = rtt_driver(self);
  else if (opts.scenario == "inbound" || opts.scenario == "heartbeat")
    scenario = inbound_driver(self);
  else if (opts.scenario == "outbound")
    scenario = outbound_driver(self);
  else
    scenario = reconnect_driver(self);
  return scenario.or_else(caf::message_handler{
      [=](const zenws::connection_actor& conn) { self->state.conn = conn; },
      [=](zenws::error_atom, const zenws::failure& f) {
        std::fprintf(stderr, "zenws error: %s\n", zenws::explain(f).c_str());
      },
      [=](zenws::gave_up_atom, const zenws::give_up_info& g) {
        std::fprintf(stderr, "zenws gave up: %s\n", g.to_string().c_str());
        std::exit(1);
      },
  });
}

zenws::connection_config config_for(const bench::options& o) {
  zenws::connection_config config;
  config.url = o.url();
  config.max_message_size = std::size_t{64} << 20;
  config.max_write_queue = static_cast<std::size_t>(o.count) + 16;
  // A drop is retried at once, as a trading client is configured; later retries of an outage
  // (none here) would wait 1 ms, 2 ms, ...
  config.reconnect.immediate_first_retry = true;
  config.reconnect.retry_delay = std::chrono::milliseconds(1);
  config.reconnect.jitter = 0;
  config.reconnect.retry_count = std::nullopt;
  // Each drop is a fresh outage (the driver waits 3 ms before it asks for the next): drops
  // closer together than stable_after back off further each time, the policy's protection
  // against a flapping server.
  config.reconnect.stable_after = std::chrono::milliseconds(1);
  return config;
}

int run_one(caf::actor_system& sys, zenws::io_runtime& io, const bench::options& o) {
  std::promise<outcome> done;
  auto result = done.get_future();
  auto handler = sys.spawn(driver, o, &done);
  zenws::connection_options options;
  options.deliver_batches = o.batches;
  auto conn = zenws::spawn_connection(sys, io, config_for(o), std::move(options), handler);
  caf::scoped_actor self{sys};
  self->send(handler, conn);
  self->send(conn, caf::connect_atom::value);
  auto r = result.get();
  self->send_exit(conn, caf::exit_reason::user_shutdown);
  self->send_exit(handler, caf::exit_reason::user_shutdown);
  const char* name = o.batches ? "zenws-batch" : "zenws";
  if (o.scenario == "rtt" || o.scenario == "reconnect")
    bench::print_latencies(name, o, std::move(r.samples), r.cpu_us);
  else
    bench::print_throughput(name, o, r.delivered, r.elapsed, r.cpu_us);
  return 0;
}

/// Counts the connections that are ready.
caf::behavior counter(caf::event_based_actor* self, long expected, std::promise<void>* all) {
  auto ready = std::make_shared<long>(0);
  self->set_default_handler(caf::drop);
  return {
      [=](zenws::connected_atom, const zenws::upgrade_response&) {
        if (++*ready == expected)
          all->set_value();
      },
  };
}

int run_idle(caf::actor_system& sys, zenws::io_runtime& io, const bench::options& o) {
  // One connection first: what the library sets up once (OpenSSL's random generator for the
  // masking keys, the io thread's allocator arena) is not a cost of each connection.
  std::promise<void> first;
  auto first_ready = first.get_future();
  auto warm_up_handler = sys.spawn(counter, 1, &first);
  auto warm_up = zenws::spawn_connection(sys, io, config_for(o), warm_up_handler);
  caf::anon_send(warm_up, caf::connect_atom::value);
  first_ready.wait();
  std::promise<void> all;
  auto ready = all.get_future();
  auto handler = sys.spawn(counter, o.connections, &all);
  caf::scoped_actor self{sys};
  const auto before = bench::rss_kib();
  std::vector<zenws::connection_actor> connections;
  connections.reserve(static_cast<std::size_t>(o.connections));
  for (long i = 0; i < o.connections; ++i) {
    connections.push_back(zenws::spawn_connection(sys, io, config_for(o), handler));
    // Anonymous: the connect replies are dropped instead of piling up, unread, in this
    // function's mailbox (the handler hears of each connection anyway).
    caf::anon_send(connections.back(), caf::connect_atom::value);
  }
  ready.wait();
  const auto after = bench::rss_kib();
  bench::print_memory("zenws", o, before, after);
  for (auto& c : connections)
    self->send_exit(c, caf::exit_reason::user_shutdown);
  self->send_exit(handler, caf::exit_reason::user_shutdown);
  self->send_exit(warm_up, caf::exit_reason::user_shutdown);
  self->send_exit(warm_up_handler, caf::exit_reason::user_shutdown);
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  const auto o = bench::parse(argc, argv);
  zenws::io_runtime io{1};
  zenws::actor_system_config cfg{1};
  caf::actor_system sys{cfg};
  return o.scenario == "idle" ? run_idle(sys, io, o) : run_one(sys, io, o);
}
