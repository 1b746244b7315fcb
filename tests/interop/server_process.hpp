#pragma once
// An independent WebSocket server in a child process, for the interop tests: started with its
// stdin and stdout on pipes, it prints "listening PORT" once it accepts connections, and it
// exits when its stdin closes (or is killed when this object goes).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace zenws::test {

class server_process {
public:
  /// Runs `argv` (argv[0] a path) and waits up to `timeout` for its "listening PORT" line.
  /// Throws when it cannot start or does not say where it listens.
  explicit server_process(std::vector<std::string> argv,
                          std::chrono::seconds timeout = std::chrono::seconds{20}) {
    start(std::move(argv));
    try {
      port_ = read_port(timeout);
    } catch (...) {
      stop();
      throw;
    }
  }

  /// Runs `argv`, a server told to listen on `port` that does not print it (its stdout is
  /// not read), and waits up to `timeout` until the port accepts connections.
  server_process(std::vector<std::string> argv, unsigned short port,
                 std::chrono::seconds timeout = std::chrono::seconds{20}) {
    start(std::move(argv));
    port_ = port;
    if (!wait_accepting(timeout)) {
      stop();
      throw std::runtime_error("the server does not accept connections on its port");
    }
  }

  ~server_process() { stop(); }

  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;

  unsigned short port() const noexcept { return port_; }

  /// ws://127.0.0.1:PORT + target
  std::string url(const std::string& target = "/") const {
    return "ws://127.0.0.1:" + std::to_string(port_) + target;
  }

  /// A port that was free a moment ago (the kernel's pick for a socket bound to port 0).
  static unsigned short free_port() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof addr;
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &size) != 0)
      throw std::runtime_error("no free port");
    close(fd);
    return ntohs(addr.sin_port);
  }

private:
  void start(std::vector<std::string> argv) {
    int to_child[2];
    int from_child[2];
    if (pipe(to_child) != 0 || pipe(from_child) != 0)
      throw std::runtime_error("pipe failed");
    pid_ = fork();
    if (pid_ < 0)
      throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      dup2(to_child[0], STDIN_FILENO);
      dup2(from_child[1], STDOUT_FILENO);
      close(to_child[1]);
      close(from_child[0]);
      std::vector<char*> args;
      for (auto& a : argv)
        args.push_back(a.data());
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    stdin_ = to_child[1];
    stdout_ = fdopen(from_child[0], "r");
  }

  bool wait_accepting(std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (exited_within(1))
        return false; // it died
      const int fd = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr.sin_port = htons(port_);
      const bool up = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
      close(fd);
      if (up)
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
    return false;
  }

  /// Closes the server's stdin (its cue to stop); a server still running 0.2 s later gets
  /// SIGTERM, and SIGKILL after another second.
  void stop() {
    close(stdin_);
    if (!reaped_ && !exited_within(10))
      kill(pid_, SIGTERM);
    if (!reaped_ && !exited_within(50))
      kill(pid_, SIGKILL);
    if (!reaped_)
      waitpid(pid_, nullptr, 0);
    reaped_ = true;
    fclose(stdout_);
  }

  /// Polls for the server's end every 20 ms, `polls` times.
  bool exited_within(int polls) {
    for (int i = 0; i < polls && !reaped_; ++i) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_)
        reaped_ = true;
      else
        std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
    return reaped_;
  }

  unsigned short read_port(std::chrono::seconds timeout) {
    // The line comes from a pipe; a thread reads it so that a server that never prints (or
    // dies) is reported after `timeout` instead of hanging the test.
    std::promise<std::string> first_line;
    auto line_future = first_line.get_future();
    std::thread reader([this, &first_line] {
      char buffer[128];
      first_line.set_value(fgets(buffer, sizeof buffer, stdout_) != nullptr ? buffer : "");
    });
    if (line_future.wait_for(timeout) != std::future_status::ready)
      kill(pid_, SIGKILL); // ends the reader's fgets: the pipe's writer is gone
    reader.join();
    const auto line = line_future.get();
    unsigned port = 0;
    if (std::sscanf(line.c_str(), "listening %u", &port) != 1 || port == 0 || port > 65535)
      throw std::runtime_error("the server did not say where it listens: '" + line + "'");
    return static_cast<unsigned short>(port);
  }

  pid_t pid_ = -1;
  bool reaped_ = false; ///< waitpid has collected it: pid_ may belong to another process now
  int stdin_ = -1;
  FILE* stdout_ = nullptr;
  unsigned short port_ = 0;
};

} // namespace zenws::test
