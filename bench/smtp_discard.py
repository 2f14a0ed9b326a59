"""A local SMTP server (aiosmtpd) that accepts every message and throws it away, for benchmarks.

aiosmtpd reads DATA line by line in Python, which for a 13 MB message is slower than any client;
a benchmark of the client would then measure the server. This server reads DATA in 1 MB chunks
up to the final ``CRLF.CRLF`` (the client waits for the answer, so it is always at the end),
counts the message and answers 250. Everything else is aiosmtpd's own SMTP.

    python -m bench.smtp_discard PORT      # prints "ready" once it listens; stop with SIGTERM
"""

from __future__ import annotations

import signal
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

END = b"\r\n.\r\n"


class DiscardingSMTP(SMTP):
    """aiosmtpd's SMTP with a DATA that discards the message as fast as it arrives."""

    received = 0
    received_bytes = 0

    async def smtp_DATA(self, arg: str) -> None:
        if await self.check_helo_needed():
            return
        assert self.envelope is not None
        if not self.envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        tail = b""
        while True:
            chunk = await self._reader.read(1 << 20)
            if not chunk:
                return
            DiscardingSMTP.received_bytes += len(chunk)
            window = tail + chunk[-8:]
            if window.endswith(END):
                break
            tail = window[-4:]
        DiscardingSMTP.received += 1
        self._set_post_data_state()
        await self.push("250 OK discarded")


class _Handler:
    pass


class DiscardController(Controller):
    def factory(self) -> SMTP:
        return DiscardingSMTP(self.handler, **self.SMTP_kwargs)


def main(port: int) -> None:
    controller = DiscardController(_Handler(), hostname="127.0.0.1", port=port,
                                   server_hostname="localhost", data_size_limit=0,
                                   ready_timeout=10)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print("ready", flush=True)
    stop.wait()
    controller.stop()
    print(f"received {DiscardingSMTP.received} messages, {DiscardingSMTP.received_bytes} bytes",
          flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]))
