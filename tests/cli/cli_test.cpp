// The zenws program as users run it: a child process with piped stdin, stdout and stderr,
// against the kit's server in this process.

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "zenws/testing/deribit_simulator.hpp"
#include "zenws/testing/test_server.hpp"

using namespace std::chrono_literals;
namespace kit = zenws::testing;

namespace {

struct run_result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

/// Runs `zenws args...` with `input` on stdin (then closed) and collects stdout and stderr.
run_result run_zenws(const std::vector<std::string>& args, const std::string& input) {
  int in[2], out[2], err[2];
  REQUIRE(pipe(in) == 0);
  REQUIRE(pipe(out) == 0);
  REQUIRE(pipe(err) == 0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    dup2(in[0], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    dup2(err[1], STDERR_FILENO);
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]})
      close(fd);
    std::vector<char*> argv{const_cast<char*>(ZENWS_CLI_PATH)};
    for (const auto& a : args)
      argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(ZENWS_CLI_PATH, argv.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (!input.empty())
    REQUIRE(write(in[1], input.data(), input.size()) == static_cast<ssize_t>(input.size()));
  close(in[1]);
  run_result result;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  while (open_fds > 0 && poll(fds, 2, 10000) > 0) {
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP)))
        continue;
      char buf[4096];
      const auto n = read(fds[i].fd, buf, sizeof(buf));
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        sinks[i]->append(buf, static_cast<std::size_t>(n));
      }
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

} // namespace

TEST_CASE("each stdin line goes out as a text frame and each reply comes back as a line") {
  kit::test_server server;
  const auto r = run_zenws({"connect", server.url("/")}, "a\nb\n");
  CHECK(r.exit_code == 0);
  CHECK(r.out == "a\nb\n");
  const auto end = server.wait_for_end(1, 5s);
  REQUIRE(end);
  CHECK(end->close_frame);
  CHECK(end->code == 1000);
}

TEST_CASE("replies the server sends after our close frame are still printed") {
  kit::test_server server;
  server.set_reply_delay(50ms); // every echo leaves after stdin has ended and we closed
  const auto r = run_zenws({"connect", server.url("/")}, "first\nsecond\nthird");
  CHECK(r.exit_code == 0);
  CHECK(r.out == "first\nsecond\nthird\n");
}

TEST_CASE("binary frames print as base64 with a marker") {
  kit::test_server server;
  server.set_responder([](const kit::frame&) {
    return std::vector<kit::frame>{{0, true, std::string("\x00\x01\xff", 3)}};
  });
  const auto r = run_zenws({"connect", server.url("/")}, "give me binary\n");
  CHECK(r.exit_code == 0);
  CHECK(r.out == "[binary] AAH/\n");
}

TEST_CASE("--header and --subprotocol reach the upgrade request") {
  kit::server_options options;
  options.subprotocols = {"v1"};
  kit::test_server server{options};
  const auto r = run_zenws(
      {"connect", server.url("/path?x=1"), "--header", "X-Api-Key: k1", "--subprotocol", "v1"},
      "hi\n");
  CHECK(r.exit_code == 0);
  const auto req = server.upgrade_requests().at(0);
  CHECK(req.target == "/path?x=1");
  CHECK(req.header("X-Api-Key") == "k1");
  CHECK(r.err.find("subprotocol v1") != std::string::npos);
}

TEST_CASE("an untrusted certificate fails with a message saying so, unless --ca or --insecure") {
  kit::test_server server{kit::server_options::secure()};
  const auto refused = run_zenws({"connect", server.url("/")}, "x\n");
  INFO("stderr: ", refused.err);
  CHECK(refused.exit_code == 1);
  CHECK(refused.err.find("certificate") != std::string::npos);
  CHECK(refused.out.empty());
  const auto with_ca = run_zenws({"connect", server.url("/"), "--ca", server.tls().ca_file}, "x\n");
  CHECK(with_ca.exit_code == 0);
  CHECK(with_ca.out == "x\n");
  const auto insecure = run_zenws({"connect", server.url("/"), "--insecure"}, "y\n");
  CHECK(insecure.exit_code == 0);
  CHECK(insecure.out == "y\n");
}

TEST_CASE("--echo sends every message back as it came and exits when the server closes") {
  kit::test_server server;
  server.silent();
  auto cli = std::async(std::launch::async, [&] {
    return run_zenws({"connect", server.url("/"), "--echo"}, "");
  });
  const auto session = server.wait_for_sessions(1, 5s);
  REQUIRE(session);
  server.send(*session, {0, false, "text back"});
  server.send(*session, {0, true, std::string("\x10\x00\x20", 3)});
  CHECK(server.wait_for_frame(
      [](const kit::frame& f) { return !f.binary && f.data == "text back"; }, 5s));
  CHECK(server.wait_for_frame(
      [](const kit::frame& f) { return f.binary && f.data == std::string("\x10\x00\x20", 3); },
      5s));
  server.close(*session, 1000, "enough");
  REQUIRE(cli.wait_for(10s) == std::future_status::ready);
  const auto r = cli.get();
  CHECK(r.exit_code == 0);
  CHECK(r.out == "text back\n[binary] EAAg\n");
}

TEST_CASE("connect --record writes a recording that replay prints with a summary") {
  kit::test_server server;
  const auto path = "/tmp/zenws-cli-record-" + std::to_string(::getpid()) + ".jsonl";
  std::remove(path.c_str());
  const auto r = run_zenws({"connect", server.url("/"), "--record", path}, "one\ntwo\n");
  CHECK(r.exit_code == 0);
  const auto replay = run_zenws({"replay", path}, "");
  CHECK(replay.exit_code == 0);
  CHECK(replay.out.find(" -> one\n") != std::string::npos);
  CHECK(replay.out.find(" <- one\n") != std::string::npos);
  CHECK(replay.out.find(" <- two\n") != std::string::npos);
  CHECK(replay.out.find("[close 1000]") != std::string::npos);
  CHECK(replay.out.find("5 entries (2 in, 3 out) over ") != std::string::npos);
  {
    std::ofstream append{path, std::ios::app};
    append << "not json\n";
  }
  const auto damaged = run_zenws({"replay", path}, "");
  CHECK(damaged.exit_code == 1);
  CHECK(damaged.out.find("1 bad lines skipped, the first: line 6: ") != std::string::npos);
  CHECK(run_zenws({"replay", "/nonexistent-zenws/x.jsonl"}, "").exit_code == 1);
  CHECK(run_zenws({"replay", path, "--pace", "slow"}, "").exit_code == 2);
  std::remove(path.c_str());
}

namespace {

/// A free TCP port on 127.0.0.1 (bound, read, released: another process could take it first,
/// which a test would notice as a failure to listen).
std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  socklen_t len = sizeof(addr);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

/// Sends `request` to 127.0.0.1:port and returns everything the server answers; "" when it
/// cannot connect.
std::string http_exchange(std::uint16_t port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return {};
  }
  REQUIRE(::write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size()));
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof(buf))) > 0;)
    out.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return out;
}

} // namespace

TEST_CASE("connect --metrics-port serves the connection's metrics over HTTP") {
  kit::test_server server;
  server.silent(); // the client echoes; an echoing server would make it a loop
  const auto port = free_port();
  auto child = std::async(std::launch::async, [&] {
    return run_zenws(
        {"connect", server.url("/?token=s3cret"), "--echo", "--metrics-port", std::to_string(port)},
        "");
  });
  const auto session = server.wait_for_sessions(1, 5s);
  REQUIRE(session);
  server.send(*session, {0, false, "hello"});
  REQUIRE(server.wait_for_frame([](const kit::frame& f) { return f.data == "hello"; }, 5s));
  std::string metrics;
  for (int i = 0; i < 100 && metrics.find("zenws_frames_in_total") == std::string::npos; ++i) {
    metrics = http_exchange(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    std::this_thread::sleep_for(20ms);
  }
  CHECK(metrics.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(metrics.find("Content-Type: text/plain; version=0.0.4") != std::string::npos);
  const auto name = "127.0.0.1:" + std::to_string(server.port());
  CHECK(metrics.find("zenws_connection_up{connection=\"" + name + "\"} 1\n") != std::string::npos);
  CHECK(metrics.find("zenws_frames_in_total{connection=\"" + name + "\"} 1\n") !=
        std::string::npos);
  CHECK(metrics.find("s3cret") == std::string::npos); // the query may carry tokens
  CHECK(http_exchange(port, "GET /other HTTP/1.1\r\nHost: x\r\n\r\n").rfind("HTTP/1.1 404", 0) ==
        0);
  CHECK(http_exchange(port, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
            .rfind("HTTP/1.1 405", 0) == 0);
  server.close(*session, 1000, "done");
  const auto r = child.get();
  CHECK(r.exit_code == 0);
  CHECK(r.err.find("s3cret") == std::string::npos);
  CHECK(r.err.find("metrics on http://127.0.0.1:" + std::to_string(port) + "/metrics") !=
        std::string::npos);
  CHECK(run_zenws({"connect", server.url("/"), "--metrics-port", "70000"}, "").exit_code == 2);
}

TEST_CASE("bad usage exits 2 with the usage text") {
  const auto no_url = run_zenws({"connect"}, "");
  CHECK(no_url.exit_code == 2);
  CHECK(no_url.err.find("usage: zenws connect URL") != std::string::npos);
  const auto bad_url = run_zenws({"connect", "http://example.com/"}, "");
  CHECK(bad_url.exit_code == 2);
  CHECK(bad_url.err.find("url") != std::string::npos);
}

TEST_CASE("the demo passes on its embedded Deribit simulator, every fault recovered") {
  const auto r = run_zenws({"demo"}, "");
  INFO(r.out);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("demo passed") != std::string::npos);
  CHECK(r.out.find("FAIL") == std::string::npos);
  for (const char* fault :
       {"fault: stall a session", "fault: kill a connection actor", "fault: reset a socket"})
    CHECK(r.out.find(fault) != std::string::npos);
  CHECK(r.out.find("order requests ended exactly once each") != std::string::npos);
  CHECK(r.out.find("no order left open") != std::string::npos);
  CHECK(r.out.find("the lost book update was noticed") != std::string::npos);
  CHECK(r.out.find("zenws-secret") == std::string::npos); // the secret never printed
  const auto basics = run_zenws({"demo", "--basics"}, "");
  CHECK(basics.exit_code == 0);
  CHECK(basics.out.find("demo passed") != std::string::npos);
  CHECK(run_zenws({"demo", "--seconds", "3"}, "").exit_code == 2);
  CHECK(run_zenws({"demo", "--seconds", "20"}, "").exit_code == 2); // too short for the stall
  CHECK(run_zenws({"demo", "--url", "http://x/"}, "").exit_code == 2);
}

TEST_CASE("demo --url runs the story against another Deribit endpoint, credentials from the "
          "environment") {
  kit::deribit_simulator_options options;
  options.clients = {{"env-client", "env-secret-123"}};
  kit::deribit_simulator venue{options};
  setenv("ZENWS_DERIBIT_CLIENT_ID", "env-client", 1);
  setenv("ZENWS_DERIBIT_CLIENT_SECRET", "env-secret-123", 1);
  const auto r = run_zenws({"demo", "--url", venue.url(), "--seconds", "10"}, "");
  unsetenv("ZENWS_DERIBIT_CLIENT_ID");
  unsetenv("ZENWS_DERIBIT_CLIENT_SECRET");
  INFO(r.out);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("fault: kill a connection actor") != std::string::npos);
  CHECK(r.out.find("fault: force a reconnect") != std::string::npos);
  CHECK(r.out.find("fault: reset") == std::string::npos); // needs our own server
  CHECK(r.out.find("env-secret-123") == std::string::npos);
  CHECK(r.err.find("env-secret-123") == std::string::npos);
  CHECK(venue.counters().auths >= 3);
  CHECK(venue.counters().orders_placed > 0);
  CHECK(venue.open_orders("env-client").empty());
}

TEST_CASE("zenws sim deribit serves the simulator until interrupted, then reports") {
  int out[2];
  REQUIRE(pipe(out) == 0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    close(out[1]);
    execl(ZENWS_CLI_PATH, ZENWS_CLI_PATH, "sim", "deribit", "--tls", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  // Reads stdout until `done(text)` holds or 10 s pass.
  std::string printed;
  const auto read_until = [&](auto done) {
    pollfd fd{out[0], POLLIN, 0};
    while (!done(printed) && poll(&fd, 1, 10000) > 0) {
      char buf[4096];
      const auto n = read(out[0], buf, sizeof(buf));
      if (n <= 0)
        break;
      printed.append(buf, static_cast<std::size_t>(n));
    }
  };
  read_until([](const std::string& s) { return s.find("client id: ") != std::string::npos; });
  const auto url = printed.substr(0, printed.find('\n'));
  const auto ca_at = printed.find("CA file: ");
  REQUIRE(ca_at != std::string::npos);
  const auto ca = printed.substr(ca_at + 9, printed.find('\n', ca_at) - ca_at - 9);
  CHECK(url.rfind("wss://127.0.0.1:", 0) == 0);
  CHECK(url.find("/ws/api/v2") != std::string::npos);
  CHECK(printed.find("client id: zenws-client") != std::string::npos);

  const auto r = run_zenws(
      {"connect", url, "--ca", ca},
      R"({"jsonrpc":"2.0","id":1,"method":"public/auth","params":{"grant_type":)"
      R"("client_credentials","client_id":"zenws-client","client_secret":"zenws-secret"}})"
      "\n"
      R"({"jsonrpc":"2.0","id":2,"method":"private/get_positions","params":{}})"
      "\n");
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("\"access_token\"") != std::string::npos);
  CHECK(r.out.find(R"("id":2,"result":[])") != std::string::npos);

  kill(pid, SIGINT);
  read_until([](const std::string&) { return false; }); // to the end of its output
  close(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(printed.find("requests 2 (0 errors), auths 1 (0 refused)") != std::string::npos);

  CHECK(run_zenws({"sim", "nasdaq"}, "").exit_code == 2);
  CHECK(run_zenws({"sim", "deribit", "--port", "x"}, "").exit_code == 2);
}
