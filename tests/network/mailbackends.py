"""A mail backend that behaves like an SMTP server which refuses some recipients."""

import smtplib

from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

BUSY_ONCE: set[str] = set()


class PickyBackend(LocmemBackend):
    """refused@... is refused for good (550); busy@... is told to come back later (451) once, alwaysbusy@... every time."""

    def send_messages(self, messages):
        for message in messages:
            to = message.to[0]
            if to.startswith("refused@"):
                raise smtplib.SMTPRecipientsRefused({to: (550, b"5.1.1 No such user")})
            if to.startswith("alwaysbusy@"):
                raise smtplib.SMTPResponseException(451, b"4.3.0 Try again later")
            if to.startswith("busy@") and to not in BUSY_ONCE:
                BUSY_ONCE.add(to)
                raise smtplib.SMTPResponseException(451, b"4.3.0 Try again later")
        return super().send_messages(messages)
