"""A real SMTP server (aiosmtpd) that records the Message-ID of each message it is handed.

`start()` runs it in a thread of the caller; `SinkProcess` runs it in a process of its own
(`python -m tests.network.smtpsink --port N --log FILE`), so the server's work never shares a
process, or its interpreter lock, with what is being measured or killed. The process writes one
Message-ID a line to FILE as each message arrives.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from email.parser import BytesHeaderParser
from pathlib import Path

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _message_id(content: bytes) -> str:
    # Only the headers: the body of a digest is most of its bytes.
    head = content.split(b"\r\n\r\n", 1)[0]
    return BytesHeaderParser().parsebytes(head + b"\r\n\r\n").get("Message-ID", "")


class Recorder:
    """Records each message as it arrives, then waits `delay` seconds before accepting it, so
    a worker killed during that wait has handed over a message it never saw accepted."""

    def __init__(self, delay: float = 0.0, log=None):
        self.delay = delay
        self.log = log
        self.message_ids: list[str] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message_id = _message_id(envelope.content)
        with self.lock:
            self.message_ids.append(message_id)
            if self.log is not None:
                self.log.write(message_id + "\n")
                self.log.flush()
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 Message accepted for delivery"

    @property
    def count(self) -> int:
        with self.lock:
            return len(self.message_ids)


def start(delay: float = 0.0) -> tuple[Controller, Recorder]:
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # one line per SMTP command otherwise
    recorder = Recorder(delay)
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller, recorder


class SinkProcess:
    """The sink in a process of its own; `message_ids()` reads what it has received so far."""

    def __init__(self, log: Path, delay: float = 0.0):
        self.log = log
        self.port = free_port()
        log.write_text("")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.network.smtpsink", "--port", str(self.port), "--log", str(log),
             "--delay", str(delay)],
            cwd=ROOT, start_new_session=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError("the SMTP sink did not start") from None
                time.sleep(0.05)

    def message_ids(self) -> list[str]:
        return self.log.read_text().splitlines()

    def count(self) -> int:
        with open(self.log, "rb") as handle:
            return handle.read().count(b"\n")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    with open(args.log, "a") as log:
        controller = Controller(Recorder(args.delay, log), hostname="127.0.0.1", port=args.port)
        controller.start()
        try:
            threading.Event().wait()
        finally:
            controller.stop()


if __name__ == "__main__":
    main()
