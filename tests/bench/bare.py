"""The reference of the benchmarks: a bare ASGI app that reads each POST body and answers `{}`.

It runs in granian's embedded server exactly as `appliance.server` runs Almanac (one worker in
this process, ASGI), so a ratio against it measures what Almanac does per request, not what
granian and the machine cost. `python -m tests.bench.bare --port 8001` serves it until SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from typing import Any

import uvloop

ANSWER = b"{}"
HEADERS = [
    (b"content-type", b"application/json"),
    (b"content-length", str(len(ANSWER)).encode()),
    (b"access-control-allow-origin", b"*"),
]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    more = True
    while more:  # the body is read, as Almanac reads it, then dropped
        message = await receive()
        more = message.get("more_body", False) and message["type"] == "http.request"
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": ANSWER})


async def _serve(host: str, port: int) -> None:
    from granian.constants import Interfaces
    from granian.log import LogLevels
    from granian.server.embed import Server

    server = Server(app, address=host, port=port, interface=Interfaces.ASGI, log_level=LogLevels.warning)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, server.signal_handler_interrupt)
    await server.serve()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:  # as appliance.server runs
        runner.run(_serve(args.host, args.port))


if __name__ == "__main__":
    main()
