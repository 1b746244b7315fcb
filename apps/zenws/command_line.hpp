#pragma once
// Minimal argument handling shared by the zenws subcommands.

#include <csignal>
#include <optional>
#include <string>
#include <vector>

namespace zenws::cli {

/// Exit codes of the zenws program.
enum exit_code : int {
  exit_ok = 0,
  exit_failure = 1, ///< the connection failed or ended with an error
  exit_usage = 2,   ///< bad arguments or invalid configuration
};

/// The arguments after the subcommand, consumed front to back.
class arguments {
public:
  arguments(int argc, char** argv, int first);

  bool empty() const { return next_ >= args_.size(); }
  /// The next argument, consumed.
  std::string take();
  /// The next argument without consuming it.
  const std::string& peek() const;
  /// If the next argument is `flag`, consumes it and returns true.
  bool take_flag(const std::string& flag);
  /// If the next argument is `option`, consumes it and its value (or "--option=value").
  /// Throws usage_error when the value is missing.
  std::optional<std::string> take_option(const std::string& option);

private:
  std::vector<std::string> args_;
  std::size_t next_ = 0;
};

/// SIGINT and SIGTERM, blocked from construction on so that threads started afterwards
/// (servers, simulators) leave them to wait().
class termination_signals {
public:
  termination_signals();
  /// Waits for SIGINT or SIGTERM.
  void wait();

private:
  sigset_t signals_;
};

/// Thrown for bad command lines; main() prints it with the usage and exits with exit_usage.
struct usage_error {
  std::string message;
};

} // namespace zenws::cli
