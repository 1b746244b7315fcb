// blackhole_listener: a listening socket whose accept queue is full.
//
// Linux drops a SYN to a listener whose accept queue is full (tcp_conn_request: "if
// (sk_acceptq_is_full(sk)) goto drop"; no RST, and SYN cookies do not apply), so the client
// just retransmits its SYN: connect() neither succeeds nor fails until the client's own timeout.
// With backlog 0 the queue is full once one connection waits in it (full means "more than
// backlog"), and since nobody ever calls accept(), it stays full. TCP_INFO on a listener reports
// the queue length in tcpi_unacked and the backlog in tcpi_sacked, so we fill until it says full
// instead of guessing how many fillers a kernel needs.

#include <zenws/testing/test_server.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <stdexcept>
#include <system_error>
#include <thread>

namespace zenws::testing {

namespace {

constexpr int max_fillers = 4;
constexpr int connect_wait_ms = 500;

[[noreturn]] void fail(const char* what) {
  throw std::system_error{errno, std::generic_category(),
                          std::string{"blackhole_listener: "} + what};
}

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

bool queue_full(int listen_fd) {
  tcp_info info{};
  socklen_t len = sizeof info;
  if (::getsockopt(listen_fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0)
    fail("getsockopt(TCP_INFO)");
  return info.tcpi_unacked > info.tcpi_sacked;
}

// Starts a non-blocking connect and waits until it completes or `wait_ms` passes. A connect
// that does not complete is fine: its SYN was dropped, which is what we are after.
int start_filler(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    fail("socket");
  sockaddr_in addr = loopback(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS) {
    int e = errno;
    ::close(fd);
    errno = e;
    fail("connect (filler)");
  }
  pollfd p{fd, POLLOUT, 0};
  ::poll(&p, 1, connect_wait_ms);
  return fd;
}

} // namespace

blackhole_listener::blackhole_listener() {
  try {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0)
      fail("socket");
    sockaddr_in addr = loopback(0);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      fail("bind");
    if (::listen(listen_fd_, 0) != 0)
      fail("listen");
    socklen_t len = sizeof addr;
    if (::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      fail("getsockname");
    port_ = ntohs(addr.sin_port);

    for (int i = 0; i < max_fillers && !queue_full(listen_fd_); ++i) {
      filler_fds_.push_back(start_filler(port_));
      // The connection enters the accept queue when the listener processes the client's ACK,
      // which on loopback is a moment after the client's connect() returns: poll for it.
      auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(connect_wait_ms);
      while (!queue_full(listen_fd_) && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (!queue_full(listen_fd_))
      throw std::runtime_error{"blackhole_listener: the accept queue did not fill"};
  } catch (...) {
    for (int fd : filler_fds_)
      ::close(fd);
    if (listen_fd_ >= 0)
      ::close(listen_fd_);
    throw;
  }
}

blackhole_listener::~blackhole_listener() {
  for (int fd : filler_fds_)
    ::close(fd);
  ::close(listen_fd_);
}

} // namespace zenws::testing
