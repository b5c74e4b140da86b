"""A person's data in the network app: groups, discussions, events and digests.

Read by accounts through settings.PERSONAL_DATA_PROVIDERS (see accounts/personal_data.py).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy

from accounts.personal_data import row, rows

from .models import (
    Delivery,
    Digest,
    DigestedItem,
    DigestPreference,
    Event,
    Follow,
    Group,
    GroupMembership,
    Post,
    PostReport,
    SavedItem,
    Thread,
)

GOES = [
    "your membership of learning groups, and any request to join one that is still waiting "
    "(it is cancelled)",
    "your choices about digest emails, the record of the digests we sent you, and any digest "
    "waiting to be sent to you",
    gettext_lazy(
        "the organisations, pillars, regions and tags you follow, and the case studies and resources "
        "you saved"
    ),
]
STAYS = [
    "your posts and the discussions you started stay in their groups, shown as written by "
    "“a former member”",
    "events you added to a group stay, without your name",
    "reports you made about posts, and posts you hid as a lead, stay without your name",
]


def export(user) -> dict[str, Any]:
    preference = DigestPreference.objects.filter(user=user).prefetch_related("pillars", "regions").first()
    digest_choices = None
    if preference is not None:
        digest_choices = {
            **row(user, preference, exclude=["id", "user"]),
            "pillars": [pillar.name for pillar in preference.pillars.all()],
            "regions": [region.name for region in preference.regions.all()],
        }
    return {
        "learning_groups": rows(
            user, GroupMembership.objects.filter(user=user).select_related("group"), exclude=["id", "user"]
        ),
        "discussions_you_started": rows(
            user, Thread.objects.filter(author=user).select_related("group").order_by("created_at")
        ),
        "posts_you_wrote": rows(
            user,
            Post.objects.filter(author=user).select_related("thread").order_by("created_at"),
        ),
        "posts_you_reported": rows(
            user, PostReport.objects.filter(reported_by=user).select_related("post__thread").order_by("created_at")
        ),
        "events_you_added": rows(user, Event.objects.filter(created_by=user).select_related("group")),
        "posts_you_hid": [
            {"thread": post.thread.title, "hidden_at": post.hidden_at, "reason": post.hidden_reason}
            for post in Post.objects.filter(hidden_by=user).select_related("thread")
        ],
        "groups_you_created": [
            {"group": group.name, "created_at": group.created_at} for group in Group.objects.filter(created_by=user)
        ],
        "digests_you_composed": [
            {"subject": digest.subject, "status": digest.get_status_display(), "created_at": digest.created_at}
            for digest in Digest.objects.filter(created_by=user)
        ],
        "digest_email_choices": digest_choices,
        "things_you_follow": [
            {"kind": follow.kind, "name": follow.thing.name, "since": follow.created_at}
            for follow in Follow.objects.filter(user=user).select_related("organisation", "pillar", "region", "tag")
        ],
        "items_you_saved": [
            {
                "kind": saved.kind,
                "title": saved.item.title,
                "url": saved.item.get_absolute_url(),
                "saved_at": saved.created_at,
            }
            for saved in SavedItem.objects.filter(user=user).select_related("case_study", "resource")
        ],
        "digests_sent_to_you": rows(
            user,
            Delivery.objects.filter(recipient=user).select_related("digest").order_by("pk"),
            exclude=["recipient", "claimed_by", "claimed_at", "last_error"],
        ),
    }


def erase(user) -> None:
    # Waiting requests are cancelled with the rest; queued digests to them are dropped.
    GroupMembership.objects.filter(user=user).delete()
    DigestedItem.objects.filter(user=user).delete()
    Delivery.objects.filter(recipient=user).delete()
    DigestPreference.objects.filter(user=user).delete()
    Follow.objects.filter(user=user).delete()
    SavedItem.objects.filter(user=user).delete()
    Thread.objects.filter(author=user).update(author=None)
    Post.objects.filter(author=user).update(author=None)
    PostReport.objects.filter(reported_by=user).update(reported_by=None)
    Event.objects.filter(created_by=user).update(created_by=None)
