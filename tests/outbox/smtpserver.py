"""A real SMTP server (aiosmtpd, in a thread) that can refuse or put off chosen recipients."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from email import message_from_bytes

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """refused@… is refused for good (550); any address in `busy` is told to come back later
    (451) for as long as it stays there. Records every message as it arrives, then waits
    `delay` seconds before accepting it, so a sender killed meanwhile never saw it accepted."""

    def __init__(self, delay: float = 0.0):
        self.delay = delay
        self.busy: set[str] = set()
        self.messages: list = []
        self.sessions = 0
        self.lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self.lock:
            self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refused@"):
            return "550 5.1.1 No such person at this address"
        if address in self.busy:
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content))
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 Message accepted for delivery"

    def to(self) -> list[str]:
        with self.lock:
            return [message["To"] for message in self.messages]


def start(delay: float = 0.0) -> tuple[Controller, Server]:
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    server = Server(delay)
    controller = Controller(server, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller, server
