#include "metrics_endpoint.hpp"

#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace zenws::cli {

namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

namespace {

http::response<http::string_body> answer(const http::request<http::string_body>& req,
                                         const std::function<std::string()>& render) {
  http::response<http::string_body> res{http::status::ok, req.version()};
  res.keep_alive(false);
  if (req.method() != http::verb::get) {
    res.result(http::status::method_not_allowed);
    res.set(http::field::allow, "GET");
  } else if (req.target() != "/metrics") {
    res.result(http::status::not_found);
    res.body() = "only /metrics is served here\n";
  } else {
    res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    res.body() = render();
  }
  res.prepare_payload();
  return res;
}

} // namespace

struct metrics_endpoint::impl {
  net::io_context io;
  tcp::acceptor acceptor{io};
  std::function<std::string()> render;
  std::uint16_t port = 0;
  std::thread thread;

  void accept() {
    acceptor.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
      if (ec)
        return; // closed: the endpoint is ending
      serve(std::move(socket));
      accept();
    });
  }

  // One request, answered synchronously: a scraper's request is small and it waits anyway.
  void serve(tcp::socket socket) {
    boost::system::error_code ec;
    boost::beast::flat_buffer buffer{8192};
    http::request_parser<http::string_body> parser;
    parser.header_limit(8192);
    parser.body_limit(8192);
    http::read(socket, buffer, parser, ec);
    if (ec)
      return;
    auto res = answer(parser.get(), render);
    http::write(socket, res, ec);
    socket.shutdown(tcp::socket::shutdown_both, ec);
  }
};

metrics_endpoint::metrics_endpoint(std::uint16_t port, std::function<std::string()> render)
    : impl_(std::make_unique<impl>()) {
  impl_->render = std::move(render);
  const tcp::endpoint local{net::ip::make_address("127.0.0.1"), port};
  impl_->acceptor.open(local.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(local);
  impl_->acceptor.listen();
  impl_->port = impl_->acceptor.local_endpoint().port();
  impl_->accept();
  impl_->thread = std::thread{[this] { impl_->io.run(); }};
}

metrics_endpoint::~metrics_endpoint() {
  net::post(impl_->io, [this] { impl_->acceptor.close(); });
  impl_->thread.join();
}

std::uint16_t metrics_endpoint::port() const {
  return impl_->port;
}

} // namespace zenws::cli
