#pragma once
// An independent WebSocket server in a child process, for the interop tests: started with its
// stdin and stdout on pipes, it prints "listening PORT" once it accepts connections, and it
// exits when its stdin closes (or is killed when this object goes).

#include <signal.h>
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
    try {
      port_ = read_port(timeout);
    } catch (...) {
      stop();
      throw;
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

private:
  /// Closes the server's stdin (its cue to stop), waits up to 2 s, then kills it.
  void stop() {
    close(stdin_);
    for (int i = 0; i < 100; ++i) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        fclose(stdout_);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    fclose(stdout_);
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
  int stdin_ = -1;
  FILE* stdout_ = nullptr;
  unsigned short port_ = 0;
};

} // namespace zenws::test
