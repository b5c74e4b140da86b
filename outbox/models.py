"""Transactional email as stored rows, one per recipient, so nothing queued is ever lost.

A row is written in the same transaction as the change it reports. A worker claims it
(queued -> sending, with a short lease), hands it to SMTP and marks it sent or failed. A row whose
worker died keeps its lease until it runs out; the sweep then puts it back in the queue.
"""

from datetime import datetime

from django.db import models
from django.db.models import Q


class OutgoingEmailQuerySet(models.QuerySet):
    def claimable(self, now: datetime):
        """Rows a sender may take now: queued and due, or held by a sender whose lease ran out."""
        due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
        return self.filter(
            (Q(status=OutgoingEmail.Status.QUEUED) & due)
            | Q(status=OutgoingEmail.Status.SENDING, claimed_until__lt=now)
        )

    def addressed_to(self, address: str):
        return self.filter(to__iexact=address.strip())


class OutgoingEmail(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    to = models.EmailField(max_length=254)
    subject = models.TextField()
    text = models.TextField(blank=True)
    html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Empty for a new row (send straight away); after a temporary failure, when to try again.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # While a sender holds the row; after this time another sender may take it over.
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = OutgoingEmailQuerySet.as_manager()

    class Meta:
        verbose_name = "outgoing email"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"], name="outbox_status_created")]

    def __str__(self) -> str:
        return f"{self.subject} to {self.to} ({self.get_status_display()})"
