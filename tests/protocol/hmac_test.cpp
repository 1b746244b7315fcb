#include "zenws/protocol/hmac.hpp"

#include <doctest/doctest.h>

using namespace zenws;

// The vectors of ../shared/reference/exchanges.md section 6, recomputed there with openssl.
TEST_CASE("HMAC-SHA256 matches the venues' published vectors") {
  CHECK(hmac_sha256_hex("AMANDASECRECT", "1576074319000\n1iqt2wls\n") ==
        "56590594f97921b09b18f166befe0d1319b198bbcdad7ca73382de2f88fe9aa1");
  CHECK(hmac_sha256_hex(
            "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j",
            "apiKey=vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A&price=52000."
            "00&quantity=0.01000000&recvWindow=100&side=SELL&symbol=BTCUSDT&timeInForce=GTC&"
            "timestamp=1645423376532&type=LIMIT") ==
        "aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24");
}

TEST_CASE("the base64 form encodes the same 32 bytes") {
  CHECK(hmac_sha256("k", "m").size() == 32);
  // printf 'm' | openssl dgst -sha256 -hmac k -binary | base64
  CHECK(hmac_sha256_base64("k", "m") == "tgCQ4wUil661oICInOL8S8qVfnVvrrTffTGADKHncew=");
}
