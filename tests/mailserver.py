"""A real SMTP server on loopback for the mail tests (aiosmtpd ``Controller`` on 127.0.0.1, a
random free port), in the test process: it keeps every message it accepted, and can answer
with a temporary (4xx) or permanent (5xx) error, or call a hook as a message arrives."""
from __future__ import annotations

import socket
import threading
from email import message_from_bytes, policy
from time import monotonic

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Handler:
    def __init__(self):
        self.messages = []  # (envelope from, [to], parsed message, arrival time)
        self.lock = threading.Lock()
        self.temporary = 0  # the next N messages answered 451
        self.refuse = set()  # recipients answered 550
        self.on_message = None  # called with the parsed message before the answer

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.temporary > 0:
                self.temporary -= 1
                return "451 4.3.0 Try again later"
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        if self.on_message is not None:
            self.on_message(parsed)
        with self.lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed, monotonic()))
            number = len(self.messages)
        return f"250 2.0.0 Ok: queued as Q{number:05d}"

    def to(self, address):
        return [m for m in self.messages if address in m[1]]


class MailServer:
    def __init__(self):
        self.handler = Handler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()
        return False

    @property
    def messages(self):
        return self.handler.messages
