"""What a person can do to their own account: download their data, and delete the account."""

from __future__ import annotations

import datetime
import json
import logging
import shutil
import tempfile
import zipfile
from importlib import import_module

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

import sitecache
from resilience.broker import safe_delay

from . import mail, personal_data
from .models import DataExport, User

logger = logging.getLogger(__name__)

# How long a download link works, and how long a download may take before we give up on it.
EXPORT_LIFETIME = datetime.timedelta(days=7)
EXPORT_GIVE_UP_AFTER = datetime.timedelta(hours=1)
SITE_NAME = "Anchors Learning Network"


class AccountError(Exception):
    """A refused operation; the message is safe to show to the person who tried."""


class NotAllowed(AccountError):
    """Only the person themselves may do this."""


class ExportInProgress(AccountError):
    """A copy of the person's data is already being prepared."""


class DeletionRefused(AccountError):
    """Something must happen before this account can be deleted; `reasons` says what."""

    def __init__(self, reasons: list[str]):
        self.reasons = reasons
        super().__init__(" ".join(reasons))


def _check_self(user: User, by: User) -> None:
    if by is None or by.pk != user.pk:
        raise NotAllowed(_("Only the account holder can do this."))


def user_set_language(*, user: User, language: str, by: User) -> bool:
    """Remember the language a person reads the site and their emails in. Returns whether it
    changed (nothing is written when it did not)."""
    _check_self(user, by)
    if user.language == language:
        return False
    user.language = language
    user.save(update_fields=["language"])
    return True


# --- Download my data --------------------------------------------------------------------------


def data_export_request(*, user: User, by: User) -> DataExport:
    """Start preparing a copy of everything the site holds about the person. A worker builds
    it (in-process when there is no broker) and emails them a link."""
    _check_self(user, by)
    with transaction.atomic():
        # One request at a time per person, even from two tabs at once.
        User.objects.select_for_update().get(pk=user.pk)
        _give_up_on_stale_exports(user=user)
        if user.data_exports.in_progress().exists():
            raise ExportInProgress(
                _("We are already preparing a copy of your data. We will email you when it is ready.")
            )
        export = DataExport.objects.create(user=user)

        from .tasks import build_data_export

        # With the broker down the export stays 'preparing' and the requeue task queues it again.
        transaction.on_commit(lambda: safe_delay(build_data_export, export.pk))
    return export


def personal_data_document(user: User) -> dict:
    """Every provider's part of the person's data, in one JSON-ready dictionary."""
    document: dict = {
        "about_this_file": (
            f"Everything the {SITE_NAME} stored about you on {timezone.localtime():%d %B %Y at %H:%M} "
            "(UK time). Times below are in UTC. People other than you are shown as 'another person'."
        ),
    }
    for provider in personal_data.providers():
        if hasattr(provider, "export"):
            document.update(provider.export(user))
    return document


def _uploaded_files(user: User) -> list[tuple[str, object]]:
    found = []
    for provider in personal_data.providers():
        if hasattr(provider, "files"):
            found.extend(provider.files(user))
    return found


def _write_export_file(export: DataExport, document: dict, files: list[tuple[str, object]]) -> None:
    """JSON alone, or a ZIP of the JSON and the person's uploaded files when there are any."""
    if not files:
        content = json.dumps(document, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
        export.file.save("data.json", ContentFile(content.encode("utf-8")), save=False)
        export.size = export.file.size
        return
    missing = []
    # Attachments can be large: stream them through a temporary file, never all in memory.
    with tempfile.TemporaryFile() as spool:
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, field_file in files:
                try:
                    with field_file.open("rb") as source, archive.open(f"files/{name}", "w") as target:
                        shutil.copyfileobj(source, target)
                except FileNotFoundError:
                    missing.append(name)
            if missing:
                document = {**document, "files_we_could_not_find": missing}
            archive.writestr(
                "data.json", json.dumps(document, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
            )
        spool.seek(0)
        export.file.save("data.zip", File(spool), save=False)
    export.size = export.file.size


def data_export_build(*, export_id: int) -> DataExport | None:
    """Build the file for a requested export and email the person. Safe to run twice."""
    export = DataExport.objects.select_related("user").filter(pk=export_id).first()
    if export is None or export.status != DataExport.Status.PREPARING:
        return export
    user = export.user
    document = personal_data_document(user)
    files = _uploaded_files(user)
    with transaction.atomic():
        export = DataExport.objects.select_for_update().get(pk=export_id)
        if export.status != DataExport.Status.PREPARING:
            return export
        _write_export_file(export, document, files)
        now = timezone.now()
        export.status = DataExport.Status.READY
        export.finished_at = now
        export.expires_at = now + EXPORT_LIFETIME
        export.save()
        # Only the newest copy is kept: an older one is out of date and one more thing to lose.
        for older in user.data_exports.exclude(pk=export.pk):
            _delete_export(older)
        mail.queue_email(
            to=user.email,
            template_prefix="accounts/emails/data_export_ready",
            context={
                "person": user,
                "export": export,
                "url": mail.absolute_url(reverse("accounts:data_export_download", args=[export.pk])),
            },
        )
    return export


def data_export_fail(*, export_id: int) -> None:
    DataExport.objects.filter(pk=export_id, status=DataExport.Status.PREPARING).update(
        status=DataExport.Status.FAILED, finished_at=timezone.now()
    )


def _delete_export(export: DataExport) -> None:
    name = export.file.name if export.file else ""
    storage = export.file.storage
    export.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))


def _expire(export: DataExport) -> None:
    name = export.file.name if export.file else ""
    storage = export.file.storage
    DataExport.objects.filter(pk=export.pk).update(status=DataExport.Status.EXPIRED, file="", size=0)
    if name:
        transaction.on_commit(lambda: storage.delete(name))


def _give_up_on_stale_exports(*, user: User | None = None) -> int:
    stale = DataExport.objects.in_progress().filter(created_at__lt=timezone.now() - EXPORT_GIVE_UP_AFTER)
    if user is not None:
        stale = stale.filter(user=user)
    return stale.update(status=DataExport.Status.FAILED, finished_at=timezone.now())


def data_exports_expire(*, now: datetime.datetime | None = None) -> int:
    """Delete the files of downloads past their expiry (a periodic task runs this)."""
    expired = 0
    with transaction.atomic():
        for export in DataExport.objects.expired(now).select_for_update():
            _expire(export)
            expired += 1
        _give_up_on_stale_exports()
    return expired


def data_export_expire_if_due(*, export: DataExport) -> None:
    """A download asked for after its expiry: delete the file now rather than at the next sweep."""
    if export.status == DataExport.Status.READY and export.expires_at and export.expires_at <= timezone.now():
        with transaction.atomic():
            _expire(export)
        export.refresh_from_db()


# --- Delete my account -------------------------------------------------------------------------


def deletion_blockers(user: User) -> list[str]:
    reasons: list[str] = []
    for provider in personal_data.providers():
        if hasattr(provider, "deletion_blockers"):
            reasons.extend(provider.deletion_blockers(user))
    return reasons


def deletion_summary() -> tuple[list[str], list[str]]:
    """What goes and what stays when an account is deleted, from every provider."""
    goes: list[str] = []
    stays: list[str] = []
    for provider in personal_data.providers():
        goes.extend(getattr(provider, "GOES", []))
        stays.extend(getattr(provider, "STAYS", []))
    return goes, stays


def _end_sessions(user: User) -> None:
    """Delete every stored session signed in as this person (database-backed sessions)."""
    engine = import_module(settings.SESSION_ENGINE)
    store_class = engine.SessionStore
    if not hasattr(store_class, "get_model_class"):
        # Cache or cookie sessions: with the user row gone they are anonymous at once.
        return
    model = store_class.get_model_class()
    store = store_class()
    theirs = [
        session.session_key
        for session in model.objects.only("session_key", "session_data").iterator()
        if store.decode(session.session_data).get("_auth_user_id") == str(user.pk)
    ]
    model.objects.filter(session_key__in=theirs).delete()
    if hasattr(store_class, "cache_key_prefix"):  # cached_db sessions: their cached copies too
        store._cache.delete_many([store_class.cache_key_prefix + key for key in theirs])


def _forget_in_admin_history(user: User) -> None:
    """The admin's history of changes to this account names it; keep the history, not the name."""
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk)
    ).update(object_repr="Deleted account")


def _distinctive(full_name: str) -> list[str]:
    """The name, when it is specific enough to search stored email for: "Al" alone would
    match every "All the best"."""
    name = " ".join(full_name.split())
    return [name] if len(name.split()) >= 2 and len(name) >= 6 else []


def _forget_mentions_in_outbox(needles: list[str]) -> None:
    """Stored emails to other people that name this person ("Philippa asked to join") are
    records of the past, not anyone's work: they go with the account. Any still queued are
    about things being deleted now (a join request, say), so they are cancelled too."""
    from outbox.models import OutgoingEmail

    mentions = Q()
    for needle in filter(None, (n.strip() for n in needles)):
        for form in {needle, escape(needle)}:
            mentions |= Q(subject__icontains=form) | Q(text__icontains=form) | Q(html__icontains=form)
    if mentions:
        OutgoingEmail.objects.filter(mentions).delete()


def account_delete(*, user: User, by: User) -> None:
    """Delete the person's account and their personal data, keeping the organisation's work.

    Each app's provider erases its part first (pending requests cancelled, queued digests
    dropped, their name taken off case studies); then their exports, sessions and stored email
    go, and finally the user row, whose foreign keys unlink whatever is left."""
    _check_self(user, by)
    user_id = user.pk
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user_id)
        reasons = deletion_blockers(user)
        if reasons:
            raise DeletionRefused(reasons)
        addresses = personal_data.addresses_of(user)
        for provider in personal_data.providers():
            if provider is not personal_data and hasattr(provider, "erase"):
                provider.erase(user)
        for export in user.data_exports.all():
            _delete_export(export)
        for address in addresses:
            mail.forget_address(address)
        _forget_mentions_in_outbox(addresses + _distinctive(user.full_name))
        _end_sessions(user)
        _forget_in_admin_history(user)
        user.delete()
        # Visitors' cached pages may show their name (a case study's contact): retire them all.
        sitecache.content_changed()
    logger.info("Account %s deleted at the account holder's request", user_id)
