"""A mail backend that notes, at each message, how long the rows still to be sent are held."""

from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

from outbox.models import OutgoingEmail

LEASES_SEEN: list[dict] = []


class LeaseWatchingBackend(LocmemBackend):
    def send_messages(self, messages):
        LEASES_SEEN.append(
            dict(
                OutgoingEmail.objects.filter(status=OutgoingEmail.Status.SENDING).values_list(
                    "to", "claimed_until"
                )
            )
        )
        return super().send_messages(messages)
