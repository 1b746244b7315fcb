#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets (corpus/NAME/SEED) from the examples below: real
venue frames (../shared/reference/exchanges.md), frames of RFC 6455 cases, URLs, configs and
recordings. Run it after changing the seeds; the fuzzers grow their own corpus from these."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def frame(opcode, payload, fin=True, rsv=0, mask=None):
    b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
    n = len(payload)
    m = 0x80 if mask else 0
    if n < 126:
        head = bytes([b0, m | n])
    elif n < 65536:
        head = bytes([b0, m | 126]) + struct.pack(">H", n)
    else:
        head = bytes([b0, m | 127]) + struct.pack(">Q", n)
    if mask:
        payload = bytes(c ^ mask[i % 4] for i, c in enumerate(payload))
        head += mask
    return head + payload


def close(code, reason=b""):
    return frame(8, struct.pack(">H", code) + reason)


FRAME_READER = {
    "text": b"\x03\x07" + frame(1, b"hello"),
    "binary_16bit": b"\x03\x11" + frame(2, bytes(range(256)) * 2),
    "binary_64bit": b"\x03\x05" + frame(2, b"x" * 70000),
    "fragments_with_ping": b"\x02\x09" + frame(1, b"he", fin=False) + frame(9, b"p1")
    + frame(0, b"l", fin=False) + frame(10, b"") + frame(0, b"lo"),
    "utf8_split": b"\x02\x0b" + frame(1, b"\xe2\x82", fin=False) + frame(0, b"\xac!"),
    "utf8_invalid": b"\x02\x01" + frame(1, b"\xc0\xaf"),
    "close_reason": b"\x02\x03" + close(1000, b"bye"),
    "close_invalid": b"\x02\x03" + close(1005),
    "masked": b"\x02\x03" + frame(1, b"hi", mask=b"\x01\x02\x03\x04"),
    "reserved_opcode": b"\x02\x03" + frame(3, b""),
    "rsv1": b"\x02\x03" + frame(1, b"a", rsv=4),
    "ping_126": b"\x02\x03" + frame(9, b"p" * 126),
    "too_big": b"\x01\x03" + frame(1, b"x" * 200),
    "msb_length": b"\x02\x03" + bytes([0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 1]) + b"x",
    "many_small": b"\x02\x0f" + b"".join(frame(1, b"m%d" % i) for i in range(20)),
}

JSON_RPC = {
    "response": b'{"jsonrpc":"2.0","id":7,"result":{"version":"1.2.26"},"usIn":1535043730126248,'
    b'"usOut":1535043730126250,"usDiff":2,"testnet":true}',
    "error": b'{"jsonrpc":"2.0","id":8,"error":{"code":10028,"message":"too_many_requests"}}',
    "test_request": b'{"jsonrpc": "2.0", "method": "heartbeat", "params": {"type": "test_request"}}',
    "subscription": b'{"jsonrpc":"2.0","method":"subscription","params":{"channel":'
    b'"book.BTC-PERPETUAL.100ms","data":{"change_id":10,"bids":[["new",100.5,10]]}}}',
    "subscribe_result": b'["book.BTC-PERPETUAL.100ms","trades.BTC-PERPETUAL.raw"]',
    "binance_null_result": b'{"result":null,"id":1}',
    "binance_error": b'{"id":3,"status":429,"error":{"code":-1003,"msg":"Too many requests."},'
    b'"rateLimits":[{"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","limit":6000}]}',
    "server_request": b'{"jsonrpc":"2.0","id":"x","method":"ping","params":[]}',
    "params_object": b'{"instrument_name":"BTC-PERPETUAL","amount":10,"type":"limit"}',
    "escapes": b'{"id":1,"result":"\\u00e9\\ud83d\\ude00\\"\\\\\\n"}',
    "numbers": b'[1,-0,1e300,-1.5e-300,9223372036854775807,18446744073709551615]',
}

DIALECTS = {
    "deribit": b"\x00" + b"\n".join([
        b'{"jsonrpc":"2.0","id":1,"result":["book.BTC-PERPETUAL.100ms"]}',
        b'{"jsonrpc":"2.0","id":2,"result":{"access_token":"abc","expires_in":900}}',
        b'{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"test_request"}}',
        b'{"jsonrpc":"2.0","id":3,"error":{"code":13009,"message":"unauthorized"}}']),
    "binance_streams": b"\x01" + b"\n".join([
        b'{"result":null,"id":1}',
        b'{"stream":"btcusdt@trade","data":{"e":"trade","p":"100.5"}}',
        b'{"e":"serverShutdown","E":1700000000000}',
        b'{"id":2,"error":{"code":2,"msg":"Invalid request"}}']),
    "binance_api": b"\x02" + b"\n".join([
        b'{"id":2,"status":200,"result":{"apiKey":"k","authorizedSince":1},"rateLimits":[]}',
        b'{"id":1,"status":400,"error":{"code":-1102,"msg":"Mandatory parameter"}}',
        b'{"event":{"e":"serverShutdown"}}']),
    "okx": b"\x03" + b"\n".join([
        b'{"id":"1","event":"subscribe","arg":{"channel":"tickers","instId":"BTC-USDT"},'
        b'"connId":"accb8e21"}',
        b'{"event":"subscribe","arg":{"channel":"books5","instId":"ETH-USDT"},"connId":"a"}',
        b'{"event":"login","code":"0","msg":"","connId":"a"}',
        b'{"event":"error","code":"60012","msg":"Invalid request","connId":"a"}',
        b'{"event":"notice","code":"64008","msg":"reconnect","connId":"a"}',
        b'{"id":"5","op":"order","code":"0","msg":"","data":[{"ordId":"1"}]}', b"pong"]),
    "bybit": b"\x04" + b"\n".join([
        b'{"success":true,"ret_msg":"","conn_id":"c","req_id":"1","op":"subscribe"}',
        b'{"success":true,"ret_msg":"","op":"auth","conn_id":"cejreaspqfh3sjdnldmg-p"}',
        b'{"success":true,"ret_msg":"pong","conn_id":"4657","req_id":"","op":"ping"}',
        b'{"success":false,"ret_msg":"error:already subscribed","req_id":"1","op":"subscribe"}',
        b'{"reqId":"7","retCode":0,"retMsg":"OK","op":"order.create","data":{"orderId":"1"}}']),
    "ethereum": b"\x05" + b"\n".join([
        b'{"jsonrpc":"2.0","id":1,"result":"0x9cef478923ff08bf67fde6c64013158d"}',
        b'{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":'
        b'"0x9cef478923ff08bf67fde6c64013158d","result":{"number":"0x1b4"}}}']),
    # The Deribit adapter's dialect, and the order book reading the same frames.
    "deribit_adapter": b"\x06" + b"\n".join([
        b'{"jsonrpc":"2.0","id":1,"result":["book.BTC-PERPETUAL.100ms"],"usIn":1,"usOut":2,'
        b'"usDiff":1,"testnet":true}',
        b'{"jsonrpc":"2.0","method":"subscription","params":{"channel":"book.BTC-PERPETUAL.100ms",'
        b'"data":{"type":"snapshot","instrument_name":"BTC-PERPETUAL","timestamp":1699999999000,'
        b'"change_id":123456789,"bids":[["new",50000.0,10.5],["new",49999.5,5.2]],'
        b'"asks":[["new",50001.0,8.3]]}}}',
        b'{"jsonrpc":"2.0","method":"subscription","params":{"channel":"book.BTC-PERPETUAL.100ms",'
        b'"data":{"type":"change","instrument_name":"BTC-PERPETUAL","timestamp":1699999999100,'
        b'"change_id":123456790,"prev_change_id":123456789,"bids":[["change",50000.0,9.8],'
        b'["delete",49999.5,0]],"asks":[["new",50002.0,3.5]]}}}',
        b'{"jsonrpc":"2.0","id":2,"error":{"code":10028,"message":"too_many_requests",'
        b'"data":null},"usIn":1,"usOut":2,"usDiff":1,"testnet":true}']),
}

URL = {
    "ws": b"ws://example.com/ws/api/v2",
    "wss_port_query": b"wss://stream.binance.com:9443/stream?streams=btcusdt@trade&token=abc",
    "ipv6": b"ws://[::1]:9000/",
    "ipv4": b"ws://127.0.0.1:8080",
    "userinfo": b"wss://user:secret@example.com/",
    "fragment": b"ws://example.com/#frag",
    "query_only": b"ws://example.com?x=1",
    "proxy": b"http://proxy.local:3128",
    "bad_port": b"ws://example.com:65536/",
    "upper": b"WSS://EXAMPLE.COM/Path",
}

CONFIG = {
    "valid": b"wss://test.deribit.com/ws/api/v2\nAuthorization\nBearer abc\njson\n"
    b"http://proxy:3128\nuser\npass\nzenws/0.1\n\x05\x19\x40\x01\x0f\n",
    "injection": b"ws://h/\nX-Key\nvalue\r\nInjected: 1\nj son\n\n\n\nagent\r\n\x00\x00\x00\x01\x05\n",
    "userinfo": b"wss://key:secret@host/?token=t#f\nX\nsecret-value\n\nhttp://u:p@proxy\nu\np\n",
    "empty": b"",
}

ACCEPT = b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
HANDSHAKE = {
    "plain": b"\x00\x00Upgrade: websocket\nConnection: Upgrade\nSec-WebSocket-Accept: " + ACCEPT,
    "deflate": b"\x00\x01Upgrade: websocket\nConnection: upgrade\nSec-WebSocket-Accept: " + ACCEPT
    + b"\nSec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10; "
    b"client_no_context_takeover",
    "subprotocol": b"\x00\x04Upgrade: WebSocket\nConnection: keep-alive, Upgrade\n"
    b"Sec-WebSocket-Accept: " + ACCEPT + b"\nSec-WebSocket-Protocol: v2.example",
    "rate_limited": b"\x8f\x00Retry-After: 5",
    "bad_extension": b"\x00\x01Upgrade: websocket\nConnection: upgrade\nSec-WebSocket-Accept: "
    + ACCEPT + b"\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=7",
}

RECORDING = {
    "text": b'{"ts":"2026-01-20T15:30:45.123456Z","dir":"in","type":"text",'
    b'"data":"{\\"jsonrpc\\":\\"2.0\\"}"}',
    "binary": b'{"ts":"2026-01-20T15:30:45.000001Z","dir":"out","type":"binary","data":"AAEC",'
    b'"binary":true}',
    "close": b'{"ts":"2026-01-20T15:30:45Z","dir":"in","type":"close",'
    b'"data":"{\\"code\\":1000,\\"reason\\":\\"bye\\"}"}',
    "nanoseconds": b"2026-01-20T15:30:45.123456789Z",
    "secrets": b'{"jsonrpc":"2.0","id":1,"method":"public/auth","params":{"grant_type":'
    b'"client_credentials","client_id":"id","client_secret":"s","nested":[{"Signature":"x"}]}}',
}

TARGETS = {
    "frame_reader": FRAME_READER, "json_rpc": JSON_RPC, "dialects": DIALECTS, "url": URL,
    "config": CONFIG, "handshake": HANDSHAKE, "recording": RECORDING,
}

for target, seeds in TARGETS.items():
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
    print(f"{target}: {len(seeds)} seeds")
