// Pools across processes: `zenws node` children on 127.0.0.1 host the connection actors of a
// pool in this process (the strategy's), against a Deribit simulator here. Killing, stopping and
// restarting the children is how a connection node dies, is cut off and comes back.

#include <doctest/doctest.h>

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>

#include <caf/stateful_actor.hpp>

#include "distribution_fixture.hpp"
#include "zenws/actors/io_runtime.hpp"
#include "zenws/supervision/node_agent.hpp"
#include "zenws/testing/certificates.hpp"
#include "zenws/testing/deribit_simulator.hpp"
#include "zenws/testing/request_ledger.hpp"

using namespace distribution_test;
using zenws::errc;
namespace kit = zenws::testing;

extern char** environ; // NOLINT(readability-redundant-declaration): POSIX leaves it undeclared

namespace {

/// A `zenws node` child process, killed (SIGKILL) when this object goes if it still runs.
class node_process {
public:
  /// Starts `zenws node --name NAME --port PORT ARGS...` with `env` added to this process's
  /// environment and waits for the line that names its port.
  node_process(const std::string& name, std::uint16_t port,
               const std::vector<std::string>& args = {},
               const std::vector<std::string>& env = {}) {
    int out[2];
    REQUIRE(pipe(out) == 0);
    std::vector<std::string> argv_text{ZENWS_CLI_PATH, "node",   "--name",
                                       name,           "--port", std::to_string(port)};
    argv_text.insert(argv_text.end(), args.begin(), args.end());
    std::vector<std::string> env_text = env;
    for (char** e = environ; *e != nullptr; ++e)
      env_text.emplace_back(*e);
    pid_ = fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL); // no node outlives a test that crashed
      dup2(out[1], STDOUT_FILENO);
      close(out[0]);
      close(out[1]);
      execve(ZENWS_CLI_PATH, pointers(argv_text).data(), pointers(env_text).data());
      _exit(127);
    }
    close(out[1]);
    stdout_ = out[0];
    const auto line = read_line(10s);
    INFO("zenws node printed: " << line);
    const auto at = line.rfind(':');
    REQUIRE(line.rfind("node " + name + " listening on 127.0.0.1:", 0) == 0);
    port_ = static_cast<std::uint16_t>(std::stoul(line.substr(at + 1)));
  }

  node_process(const node_process&) = delete;
  node_process& operator=(const node_process&) = delete;

  ~node_process() {
    if (running_)
      kill_now();
    if (stdout_ >= 0)
      close(stdout_);
  }

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }

  /// SIGKILL: the process ends without a word to anyone; its sockets close with it.
  void kill_now() {
    if (stopped_)
      ::kill(pid_, SIGCONT);
    ::kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    running_ = false;
  }

  /// SIGTERM and the exit code: `zenws node` ends its connections and exits 0. -1 if it did
  /// not exit within `limit` (it is then killed) or ended by a signal.
  int terminate(std::chrono::milliseconds limit = 10s) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        kill_now();
        return -1;
      }
      std::this_thread::sleep_for(10ms);
    }
    running_ = false;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  /// SIGSTOP / SIGCONT: the process stays, its sockets stay open, nothing answers.
  void freeze() {
    ::kill(pid_, SIGSTOP);
    stopped_ = true;
  }
  void thaw() {
    ::kill(pid_, SIGCONT);
    stopped_ = false;
  }

private:
  static std::vector<char*> pointers(std::vector<std::string>& text) {
    std::vector<char*> out;
    out.reserve(text.size() + 1);
    for (auto& t : text)
      out.push_back(t.data());
    out.push_back(nullptr);
    return out;
  }

  std::string read_line(std::chrono::milliseconds limit) {
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (line.find('\n') == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd fd{stdout_, POLLIN, 0};
      if (left.count() <= 0 || poll(&fd, 1, static_cast<int>(left.count())) <= 0)
        break;
      char c = 0;
      if (read(stdout_, &c, 1) != 1)
        break;
      line += c;
    }
    if (!line.empty() && line.back() == '\n')
      line.pop_back();
    return line;
  }

  pid_t pid_ = -1;
  int stdout_ = -1;
  std::uint16_t port_ = 0;
  bool running_ = true;
  bool stopped_ = false;
};

/// The environment `zenws node` reads its Deribit login from.
std::vector<std::string> login_env(const kit::deribit_simulator& venue) {
  return {"ZENWS_DERIBIT_CLIENT_ID=" + venue.client_id(),
          "ZENWS_DERIBIT_CLIENT_SECRET=" + venue.client_secret()};
}

constexpr std::array<const char*, 4> channels{
    "ticker.BTC-PERPETUAL.100ms", "trades.BTC-PERPETUAL.100ms", "ticker.ETH-PERPETUAL.100ms",
    "book.BTC-PERPETUAL.100ms"};

void subscribe_all(caf::scoped_actor& self, const zenws::pool_actor& pool) {
  for (const auto& channel : channels)
    self->request(pool, 5s, zenws::subscribe_atom::value, std::vector<std::string>{channel})
        .receive([](zenws::subscription_outcome& o) { CHECK(o.accepted.size() == 1); },
                 [](caf::error& err) { FAIL(zenws::explain(err)); });
}

/// True once every channel delivered `more` messages beyond what `events` holds now.
bool all_channels_flow(seen& events, std::uint64_t more = 3) {
  std::map<std::string, std::uint64_t> start;
  for (const auto& channel : channels)
    start[channel] = events.containing(channel);
  return eventually([&] {
    return std::all_of(channels.begin(), channels.end(), [&](const auto& channel) {
      return events.containing(channel) >= start[channel] + more;
    });
  });
}

// -- a steady load of balanced requests ------------------------------------------------------

using next_atom = caf::atom_constant<caf::atom("next")>;

struct load_state {
  bool stopped = false;
};

/// Keeps `depth` balanced requests in flight on `pool` until told close_atom, each opened and
/// ended in `ledger`.
caf::behavior request_load(caf::stateful_actor<load_state>* self, const zenws::pool_actor& pool,
                           kit::request_ledger* ledger, int depth) {
  for (int i = 0; i < depth; ++i)
    self->send(self, next_atom::value);
  return {
      [=](next_atom) {
        if (self->state.stopped)
          return;
        const auto n = ledger->open();
        self->request(pool, 20s, zenws::request_balanced_atom::value,
                      std::string{"public/get_time"}, std::string{}, caf::timespan{2s})
            .then(
                [=](zenws::rpc_response&) {
                  ledger->end(n, errc::none);
                  self->send(self, next_atom::value);
                },
                [=](caf::error& err) {
                  ledger->end(n, zenws::to_failure(err).code);
                  self->delayed_send(self, 5ms, next_atom::value);
                });
      },
      [=](caf::close_atom) { self->state.stopped = true; },
  };
}

std::string outcomes_text(const kit::request_ledger& ledger) {
  std::string text;
  for (const auto& [code, n] : ledger.outcomes())
    text += std::string{text.empty() ? "" : ", "} + std::to_string(n) + " " +
            (code == errc::none ? std::string{"answered"} : zenws::to_string(code));
  return text;
}

/// The strategy's side: this process's actor system with the middleman, its io runtime, and a
/// handler recording what the pool's connections deliver. The actors it keeps end with it, also
/// when a failed REQUIRE leaves the test early (the actor system would wait for them forever).
struct strategy {
  zenws::io_runtime io{1};
  node_config cfg;
  caf::actor_system sys;
  caf::scoped_actor self;
  std::shared_ptr<seen> events = std::make_shared<seen>();
  std::vector<caf::actor> kept; // before `handler`, which it keeps
  caf::actor handler;

  explicit strategy(const zenws::distribution_options& options = {})
      : cfg(options), sys(cfg), self(sys), handler(keep(sys.spawn(recording_handler, events))) {}
  ~strategy() {
    for (auto it = kept.rbegin(); it != kept.rend(); ++it)
      self->send_exit(*it, caf::exit_reason::user_shutdown);
  }

  template <class Handle>
  Handle keep(Handle actor) {
    kept.push_back(caf::actor_cast<caf::actor>(actor));
    return actor;
  }

  zenws::pool_actor spawn_pool(const zenws::pool_spec& spec) {
    return keep(zenws::spawn_pool(sys, io, spec, handler));
  }
};

} // namespace

TEST_CASE("a pool places its connections on two node processes and moves them off a killed one") {
  kit::deribit_simulator venue{quick_venue()};
  node_process alpha{"alpha", 0, {}, login_env(venue)};
  node_process beta{"beta", 0, {}, login_env(venue)};
  kit::request_ledger ledger; // before the strategy: its load actor writes here until it ends
  strategy desk;
  auto& self = desk.self;
  auto pool = desk.spawn_pool(placed_pool(venue, {alpha.port(), beta.port()}, 4));

  REQUIRE(eventually([&] { return ready_slots(health(self, pool)) == 4; }));
  const auto placed = health(self, pool);
  CHECK(slots_on(placed, endpoint(alpha.port())) == 2);
  CHECK(slots_on(placed, endpoint(beta.port())) == 2);
  REQUIRE(placed.nodes.size() == 2);
  CHECK(placed.nodes[0].name == "alpha");
  CHECK(placed.nodes[1].name == "beta");
  // The connection actors live in the children: their agents say so with their pids.
  for (const auto* child : {&alpha, &beta}) {
    auto agent = zenws::remote_actor<zenws::node_agent>(desk.sys, "127.0.0.1", child->port());
    REQUIRE(agent);
    self->request(*agent, 5s, caf::get_atom::value, zenws::node_atom::value)
        .receive(
            [&](zenws::node_info& info) {
              CHECK(info.pid == child->pid());
              CHECK(info.connections == 2);
            },
            [](caf::error& err) { FAIL(zenws::explain(err)); });
  }
  CHECK(venue.counters().open_sessions == 4);

  // Remote requests and subscriptions, with market data crossing from the children to here.
  subscribe_all(self, pool);
  CHECK(subscriptions(health(self, pool)) == channels.size());
  CHECK(all_channels_flow(*desk.events));
  auto load = desk.keep(desk.sys.spawn(request_load, pool, &ledger, 8));
  REQUIRE(eventually([&] { return ledger.count(errc::none) >= 200; }));
  const auto answered_before_kill = ledger.count(errc::none);
  const auto auths_before = venue.counters().auths;
  MESSAGE("before the kill: 4 slots (2 on alpha, 2 on beta), "
          << channels.size() << " subscriptions, " << answered_before_kill << " requests answered, "
          << venue.counters().open_sessions << " venue sessions");

  alpha.kill_now();
  REQUIRE(
      eventually([&] { return all_ready_on(health(self, pool), 4, endpoint(beta.port())); }, 20s));
  const auto moved = health(self, pool);
  CHECK(moves(moved) == 2);
  CHECK(moved.restarts == 0); // a move is not a crash: restart intensity untouched
  CHECK(subscriptions(moved) == channels.size());
  CHECK(!moved.nodes[0].up);
  CHECK(moved.nodes[0].losses >= 1);
  CHECK(moved.nodes[0].last_error.code == errc::node_unreachable);
  CHECK(moved.nodes[1].connections == 4);
  CHECK(venue.counters().auths >= auths_before + 2); // the moved connections logged in again
  CHECK(venue.wait_for([](const auto& c) { return c.open_sessions == 4; }, 5s));
  CHECK(all_channels_flow(*desk.events));
  const auto answered_at_move = ledger.count(errc::none);
  REQUIRE(eventually([&] { return ledger.count(errc::none) >= answered_at_move + 200; }));

  self->send(load, caf::close_atom::value);
  REQUIRE(ledger.all_ended(30s));
  CHECK(ledger.not_once() == 0);
  std::size_t allowed = ledger.count(errc::none) + ledger.count(errc::outcome_unknown);
  CHECK(allowed == ledger.issued()); // answered, or lost with the node: nothing else
  MESSAGE("after the kill: 4 slots on beta ("
          << moves(moved) << " moves, " << moved.restarts << " restarts), " << subscriptions(moved)
          << " subscriptions, " << ledger.issued() << " requests: " << outcomes_text(ledger));

  // alpha comes back on its port: the pool dials it again and places new slots there.
  node_process again{"alpha", alpha.port(), {}, login_env(venue)};
  REQUIRE(eventually([&] { return health(self, pool).nodes[0].up; }, 15s));
  std::uint32_t added = 0;
  self->request(pool, 5s, zenws::add_slot_atom::value)
      .receive([&](std::uint32_t slot) { added = slot; },
               [](caf::error& err) { FAIL(zenws::explain(err)); });
  REQUIRE(eventually([&] { return ready_slots(health(self, pool)) == 5; }));
  const auto grown = health(self, pool);
  const auto slot = std::find_if(grown.slots.begin(), grown.slots.end(),
                                 [&](const auto& s) { return s.slot == added; });
  REQUIRE(slot != grown.slots.end());
  CHECK(slot->node == endpoint(alpha.port())); // the least loaded node
  CHECK(again.terminate() == 0);               // it ends the connection it holds and exits
}

TEST_CASE("a node process cut off without closing its sockets is noticed, and leaves nothing") {
  kit::deribit_simulator venue{quick_venue()};
  node_process alpha{"alpha", 0, {}, login_env(venue)};
  node_process beta{"beta", 0, {}, login_env(venue)};
  // Our middleman drops a link after connection_timeout without traffic; the nodes send their
  // heartbeats every second (zenws node's default).
  zenws::distribution_options quick;
  quick.heartbeat_interval = 200ms;
  quick.connection_timeout = 3s;
  strategy desk{quick};
  auto& self = desk.self;
  auto spec = placed_pool(venue, {alpha.port(), beta.port()}, 2);
  spec.placement.lease = 4s; // above the 3 s in which we give up on a silent link
  auto pool = desk.spawn_pool(spec);
  REQUIRE(eventually([&] { return ready_slots(health(self, pool)) == 2; }));
  subscribe_all(self, pool);

  alpha.freeze(); // its venue session and its link to us stay open; nothing moves on them
  REQUIRE(
      eventually([&] { return all_ready_on(health(self, pool), 2, endpoint(beta.port())); }, 20s));
  const auto moved = health(self, pool);
  CHECK(moves(moved) == 1);
  CHECK(subscriptions(moved) == channels.size());
  CHECK(moved.nodes[0].last_error.code == errc::node_unreachable);
  CHECK(all_channels_flow(*desk.events));
  CHECK(venue.counters().open_sessions == 3); // the frozen one still holds its session

  // Thawed, alpha ends the connection it held for the pool: at once if it sees the old link
  // closed, else when its lease runs out (the pool stopped renewing it when it moved it). No
  // session is left at the venue to trade or to hold subscriptions nobody reads.
  alpha.thaw();
  CHECK(venue.wait_for([](const auto& c) { return c.open_sessions == 2; }, 15s));
  auto agent = zenws::remote_actor<zenws::node_agent>(desk.sys, "127.0.0.1", alpha.port());
  REQUIRE(agent);
  self->request(*agent, 5s, caf::get_atom::value, zenws::node_atom::value)
      .receive([](zenws::node_info& info) { CHECK(info.connections == 0); },
               [](caf::error& err) { FAIL(zenws::explain(err)); });
  REQUIRE(eventually([&] { return health(self, pool).nodes[0].up; }, 15s));
  const auto h = health(self, pool);
  CHECK(ready_slots(h) == 2);
  CHECK(slots_on(h, endpoint(beta.port())) == 2);
}

TEST_CASE("nodes linked over TLS with certificates from one CA") {
  kit::deribit_simulator venue{quick_venue()};
  auto ca = kit::certificate_authority::create();
  kit::pem_directory dir;
  const auto ca_file = dir.write("ca.pem", ca.certificate_pem());
  const auto node_cert = ca.issue_server({"127.0.0.1"});
  const auto desk_cert = ca.issue_client("desk");
  node_process alpha{"alpha",
                     0,
                     {"--tls", "--cert", dir.write("node.pem", node_cert.certificate_pem), "--key",
                      dir.write("node.key", node_cert.private_key_pem), "--ca", ca_file},
                     login_env(venue)};

  SUBCASE("a pool with a certificate of the same CA places its connections there") {
    zenws::distribution_options tls;
    tls.tls = true;
    tls.certificate_file = dir.write("desk.pem", desk_cert.certificate_pem);
    tls.key_file = dir.write("desk.key", desk_cert.private_key_pem);
    tls.ca_file = ca_file;
    strategy desk{tls};
    auto spec = placed_pool(venue, {alpha.port()}, 2);
    spec.placement.tls = true;
    auto pool = desk.spawn_pool(spec);
    REQUIRE(eventually([&] { return ready_slots(health(desk.self, pool)) == 2; }));
    subscribe_all(desk.self, pool);
    CHECK(all_channels_flow(*desk.events));
  }

  SUBCASE("a pool whose certificate another CA signed is not let in") {
    auto stranger = kit::certificate_authority::create("another CA");
    const auto cert = stranger.issue_client("intruder");
    zenws::distribution_options tls;
    tls.tls = true;
    tls.certificate_file = dir.write("intruder.pem", cert.certificate_pem);
    tls.key_file = dir.write("intruder.key", cert.private_key_pem);
    tls.ca_file = dir.write("stranger-ca.pem", stranger.certificate_pem());
    strategy desk{tls};
    auto spec = placed_pool(venue, {alpha.port()}, 1);
    spec.placement.tls = true;
    spec.placement.dial_timeout = 2s;
    auto pool = desk.spawn_pool(spec);
    CHECK(eventually([&] {
      const auto h = health(desk.self, pool);
      return h.nodes.size() == 1 && h.nodes[0].losses >= 1;
    }));
    const auto h = health(desk.self, pool);
    CHECK(ready_slots(h) == 0);
    CHECK(!h.nodes[0].up);
    CHECK(venue.counters().sessions_opened == 0);
  }
}
