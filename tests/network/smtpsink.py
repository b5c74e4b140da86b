"""A real SMTP server (aiosmtpd, in a thread) that records the Message-ID of each message."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from email.parser import BytesHeaderParser

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    """Records each message as it arrives, then waits `delay` seconds before accepting it, so
    a worker killed during that wait has handed over a message it never saw accepted."""

    def __init__(self, delay: float = 0.0):
        self.delay = delay
        self.message_ids: list[str] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        headers = BytesHeaderParser().parsebytes(envelope.content)
        with self.lock:
            self.message_ids.append(headers.get("Message-ID", ""))
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
