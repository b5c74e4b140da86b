"""Emails about learning groups. Digest emails are built in network.digests."""

from django.urls import reverse

from accounts.mail import absolute_url, queue_email


def join_requested(*, membership, leads) -> None:
    group = membership.group
    queue_email(
        to=[lead.email for lead in leads],
        template_prefix="network/emails/join_requested",
        context={
            "membership": membership,
            "group": group,
            "requests_url": absolute_url(reverse("network:requests", kwargs={"slug": group.slug})),
        },
    )


def join_decided(*, membership) -> None:
    queue_email(
        to=membership.user.email,
        template_prefix="network/emails/join_decided",
        context={
            "membership": membership,
            "group": membership.group,
            "approved": membership.status == membership.Status.ACTIVE,
            "group_url": absolute_url(membership.group.get_absolute_url()),
        },
    )


def reply_posted(*, post, to) -> None:
    thread = post.thread
    queue_email(
        to=to.email,
        template_prefix="network/emails/reply_posted",
        context={
            "post": post,
            "thread": thread,
            "recipient": to,
            "thread_url": absolute_url(thread.get_absolute_url()),
            "settings_url": absolute_url(thread.get_absolute_url()),
        },
    )


def post_reported(*, report, to) -> None:
    thread = report.post.thread
    queue_email(
        to=[person.email for person in to],
        template_prefix="network/emails/post_reported",
        context={
            "report": report,
            "thread": thread,
            "group": thread.group,
            "reports_url": absolute_url(reverse("network:reports", kwargs={"slug": thread.group.slug})),
        },
    )
