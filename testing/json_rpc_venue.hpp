#pragma once
/// @file
/// A minimal JSON-RPC 2.0 venue for test_server: enough of a Deribit-like exchange to exercise
/// requests, timeouts, server errors and subscriptions without a full simulator.
///
/// Requests (frames with a method and an integer id) are answered by method:
///
///     "silent"                                -> no answer (the request times out)
///     "fail"                                  -> error {"code":10000,"message":"refused"}
///     "public/subscribe", "public/unsubscribe" -> the channels asked for, except those whose
///                                                name starts with "bad" (partial acceptance)
///     anything else                           -> result "ok"
///
/// Everything else (notifications, responses, non-JSON) gets no reply.
///
/// @par Example
/// @code
/// zenws::testing::test_server server;
/// server.set_responder(zenws::testing::json_rpc_venue());
/// @endcode

#include <functional>
#include <string>

#include "zenws/testing/test_server.hpp"

namespace zenws::testing {

/// Called with each request's method before it is answered, on the server's thread.
using request_observer = std::function<void(const std::string& method)>;

/// The responder described above; `observer` may be empty.
responder json_rpc_venue(request_observer observer = {});

} // namespace zenws::testing
