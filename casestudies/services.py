"""Every change to a case study or a library resource: authoring, the moderation workflow,
revisions and archiving.

Each function checks who may act and from which state, runs in one transaction, records a
Transition row (who, when, comment) and queues email for after the commit. The workflow itself
(allowed steps, who moderates, the record, who is emailed) is shared: casestudies.moderation.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from anchors.models import Organisation, is_member_of
from evidence.models import StandardMeasure

from . import emails, moderation
from .caching import published_changed
from .markdown import render_markdown
from .models import (
    CONTENT_FIELDS,
    SECTION_FIELDS,
    Attachment,
    CaseStudy,
    OutcomeMeasure,
    Partner,
    Resource,
    Revision,
)

Status = CaseStudy.Status


WorkflowError = moderation.WorkflowError


# --- Who may do what ---------------------------------------------------------------------------


def can_author(user, case_study: CaseStudy) -> bool:
    return is_member_of(user, case_study.organisation_id)


def can_moderate(user, case_study: CaseStudy) -> bool:
    """The organisation's regional lead or a coordinator, never a member of the organisation."""
    return moderation.can_moderate(user, case_study.organisation)


def open_revision(case_study: CaseStudy) -> Revision | None:
    return case_study.revisions.filter(status__in=Revision.OPEN_STATUSES).first()


def awaiting_decision(case_study: CaseStudy) -> Revision | None | bool:
    """What a moderator would decide on: the case study itself (True), its submitted revision,
    or nothing (False)."""
    if case_study.status == Status.SUBMITTED:
        return True
    if case_study.status == Status.PUBLISHED:
        revision = case_study.revisions.filter(status=Revision.Status.SUBMITTED).first()
        if revision:
            return revision
    return False


# --- Content -----------------------------------------------------------------------------------


def content_of(case_study: CaseStudy) -> dict:
    """A case study's editable content as plain data (what a revision stores and a diff compares)."""
    content = {name: getattr(case_study, name) for name in CONTENT_FIELDS}
    content["language"] = case_study.language
    content["pillars"] = sorted(p.pk for p in case_study.pillars.all())
    content["tags"] = sorted(t.name for t in case_study.tags.all())
    content["measures"] = [
        {
            "measure": m.measure,
            "value": str(m.value),
            "unit": m.unit,
            "period": m.period,
            "baseline": "" if m.baseline is None else str(m.baseline),
            # Only when set, so content saved before standard measures existed compares equal.
            **({"standard_measure": m.standard_measure_id} if m.standard_measure_id else {}),
        }
        for m in case_study.measures.all()
    ]
    content["partners"] = [
        {"organisation": p.organisation_id, "name": p.name} for p in case_study.partners.all()
    ]
    return content


def rendered_sections(content: dict) -> dict[str, str]:
    """{section: sanitised HTML} for the sections in `content`: rendered once, when saved,
    so pages show stored HTML and never run the Markdown renderer per view."""
    return {name: str(render_markdown(content.get(name) or "")) for name in SECTION_FIELDS if name in content}


def _apply_content(case_study: CaseStudy, content: dict) -> None:
    for name in CONTENT_FIELDS:
        if name in content:
            setattr(case_study, name, content[name] or "")
    if content.get("language"):
        case_study.language = content["language"]
    for name, html in rendered_sections(content).items():
        setattr(case_study, f"{name}_html", html)
    case_study.save()
    if "pillars" in content:
        case_study.pillars.set(content["pillars"])
    if "tags" in content:
        case_study.tags.set(content["tags"], clear=True)
    if "measures" in content:
        case_study.measures.all().delete()
        # A revision may name a standard measure removed since: the outcome keeps its own words.
        wanted = {m.get("standard_measure") for m in content["measures"]} - {None, ""}
        standard = set(StandardMeasure.objects.filter(pk__in=wanted).values_list("pk", flat=True)) if wanted else set()
        OutcomeMeasure.objects.bulk_create(
            OutcomeMeasure(
                case_study=case_study,
                position=i,
                measure=m["measure"],
                standard_measure_id=m.get("standard_measure") if m.get("standard_measure") in standard else None,
                value=Decimal(str(m["value"])),
                unit=m["unit"],
                period=m.get("period") or "",
                baseline=Decimal(str(m["baseline"])) if m.get("baseline") not in (None, "") else None,
            )
            for i, m in enumerate(content["measures"])
        )
    if "partners" in content:
        case_study.partners.all().delete()
        Partner.objects.bulk_create(
            Partner(case_study=case_study, organisation_id=p.get("organisation"), name=p.get("name") or "")
            for p in content["partners"]
        )


def _unique_slug(title: str) -> str:
    base = slugify(title)[:200] or "case-study"
    slug, n = base, 2
    while CaseStudy.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


_record = moderation.record


def _locked(case_study: CaseStudy) -> CaseStudy:
    """Re-read the row under a lock so two people deciding at once cannot both win."""
    return CaseStudy.objects.select_for_update().select_related("organisation").get(pk=case_study.pk)


# --- Authoring ---------------------------------------------------------------------------------


def case_study_create(*, organisation: Organisation, by, content: dict) -> CaseStudy:
    if not organisation.is_verified or not is_member_of(by, organisation.pk):
        raise PermissionDenied(_("Only members of a verified organisation can write its case studies."))
    with transaction.atomic():
        # Written in the author's language unless they say otherwise.
        case_study = CaseStudy(
            organisation=organisation, created_by=by, slug=_unique_slug(content["title"]), language=by.language
        )
        _apply_content(case_study, content)
        _record(case_study, action="created", from_status="", to_status=Status.DRAFT, by=by)
    return case_study


def case_study_edit(*, case_study: CaseStudy, by, content: dict) -> CaseStudy | Revision:
    """Change a draft in place; for a published case study, start or change its revision."""
    if not can_author(by, case_study):
        raise PermissionDenied(_("Only members of the organisation can edit its case studies."))
    with transaction.atomic():
        case_study = _locked(case_study)
        if case_study.status in CaseStudy.EDITABLE_STATUSES:
            _apply_content(case_study, content)
            return case_study
        if case_study.status != Status.PUBLISHED:
            raise WorkflowError(
                _("A case study that is %(status)s cannot be edited.")
                % {"status": case_study.get_status_display().lower()}
            )
        revision = open_revision(case_study)
        if revision is None:
            revision = Revision.objects.create(
                case_study=case_study, created_by=by, content=content, content_html=rendered_sections(content)
            )
            _record(case_study, revision=revision, action="revision_started", from_status=Status.PUBLISHED,
                    to_status=Revision.Status.DRAFT, by=by)
        elif revision.status == Revision.Status.SUBMITTED:
            raise WorkflowError(_("These changes are awaiting review and cannot be edited until decided."))
        else:
            revision.content = content
            revision.content_html = rendered_sections(content)
            revision.save(update_fields=["content", "content_html"])
        return revision


def case_study_submit(*, case_study: CaseStudy, by) -> CaseStudy:
    if not can_author(by, case_study):
        raise PermissionDenied(_("Only members of the organisation can submit its case studies."))
    with transaction.atomic():
        case_study = _locked(case_study)
        if case_study.status in CaseStudy.EDITABLE_STATUSES:
            from_status = moderation.move(case_study, action="submitted", by=by)
            emails.submitted(case_study=case_study, revision=None, by=by,
                             resubmitted=from_status == Status.CHANGES_REQUESTED)
            return case_study
        revision = open_revision(case_study) if case_study.status == Status.PUBLISHED else None
        if revision is None or revision.status == Revision.Status.SUBMITTED:
            raise WorkflowError(_("There is nothing to submit: it is already awaiting review or decided."))
        from_status = revision.status
        revision.status = moderation.next_status("submitted", from_status)
        revision.submitted_at = timezone.now()
        revision.save(update_fields=["status", "submitted_at"])
        _record(case_study, revision=revision, action="submitted", from_status=from_status,
                to_status=Revision.Status.SUBMITTED, by=by)
        emails.submitted(case_study=case_study, revision=revision, by=by,
                         resubmitted=from_status == Revision.Status.CHANGES_REQUESTED)
    return case_study


# --- Moderation --------------------------------------------------------------------------------


def _decide(case_study: CaseStudy, by, action: str) -> tuple[CaseStudy, Revision | None]:
    case_study = _locked(case_study)
    moderation.require_moderator(by, case_study.organisation)
    target = awaiting_decision(case_study)
    if target is False:
        raise WorkflowError(_("This case study has already been decided."))
    return case_study, (None if target is True else target)


def case_study_publish(*, case_study: CaseStudy, by, comment: str = "") -> CaseStudy:
    with transaction.atomic():
        case_study, revision = _decide(case_study, by, "published")
        if revision is None:
            moderation.move(case_study, action="published", by=by, comment=comment)
        else:
            _apply_content(case_study, revision.content)
            revision.status = moderation.next_status("published", revision.status)
            revision.save(update_fields=["status"])
            _record(case_study, revision=revision, action="published", from_status=Revision.Status.SUBMITTED,
                    to_status=Revision.Status.PUBLISHED, by=by, comment=comment)
        published_changed()  # after the commit: retire cached pages, recount facets
        emails.decided(case_study=case_study, revision=revision, action="published", comment=comment)
    return case_study


def case_study_request_changes(*, case_study: CaseStudy, by, comment: str) -> CaseStudy:
    moderation.require_comment("changes_requested", comment)
    return _send_back(case_study, by=by, outcome=Status.CHANGES_REQUESTED, comment=comment)


def case_study_reject(*, case_study: CaseStudy, by, reason: str) -> CaseStudy:
    moderation.require_comment("rejected", reason)
    return _send_back(case_study, by=by, outcome=Status.REJECTED, comment=reason)


def _send_back(case_study: CaseStudy, *, by, outcome: str, comment: str) -> CaseStudy:
    """A decision other than publishing: the case study, or its pending revision, leaves review
    with the moderator's comment. Case studies and revisions name these states alike."""
    with transaction.atomic():
        case_study, revision = _decide(case_study, by, outcome)
        if revision is None:
            moderation.move(case_study, action=outcome, by=by, comment=comment)
        else:
            revision.status = moderation.next_status(outcome, revision.status)
            revision.save(update_fields=["status"])
            _record(case_study, revision=revision, action=outcome, from_status=Status.SUBMITTED,
                    to_status=outcome, by=by, comment=comment)
        emails.decided(case_study=case_study, revision=revision, action=outcome, comment=comment)
    return case_study


def case_study_archive(*, case_study: CaseStudy, by, comment: str = "") -> CaseStudy:
    """Take a published case study off lists and search; its page stays with a notice."""
    if not (can_author(by, case_study) or can_moderate(by, case_study)):
        raise PermissionDenied(_("You cannot archive this case study."))
    with transaction.atomic():
        case_study = _locked(case_study)
        moderation.move(case_study, action="archived", by=by, comment=comment)
        case_study.revisions.filter(status__in=Revision.OPEN_STATUSES).update(status=Revision.Status.REJECTED)
        published_changed()  # after the commit: retire cached pages, recount facets
    return case_study


# --- Attachments -------------------------------------------------------------------------------


def attachment_add(*, case_study: CaseStudy, by, upload, title: str, alt_text: str = "") -> Attachment:
    """Attach a checked upload (see AttachmentForm) to a case study its authors can still edit."""
    if not can_author(by, case_study):
        raise PermissionDenied(_("Only members of the organisation can add attachments."))
    if case_study.status not in CaseStudy.EDITABLE_STATUSES:
        raise WorkflowError(_("Attachments can be changed only while the case study is a draft or needs changes."))
    with transaction.atomic():
        attachment = Attachment(
            case_study=case_study,
            title=title,
            alt_text=alt_text,
            original_name=(upload.name or "")[:255],
            content_type=upload.detected_mime,
            extension=upload.detected_extension,
            size=upload.size,
            uploaded_by=by,
        )
        attachment.file.save("upload", upload, save=False)
        attachment.save()
    return attachment


def attachment_remove(*, attachment: Attachment, by) -> None:
    case_study = attachment.case_study
    if not can_author(by, case_study):
        raise PermissionDenied(_("Only members of the organisation can remove attachments."))
    if case_study.status not in CaseStudy.EDITABLE_STATUSES:
        raise WorkflowError(_("Attachments can be changed only while the case study is a draft or needs changes."))
    with transaction.atomic():
        attachment.delete()
    transaction.on_commit(lambda: attachment.file.delete(save=False))


# --- Resources ---------------------------------------------------------------------------------
#
# A member suggests a toolkit, guide, template, report or recording for their organisation; a
# lead of its region or a coordinator publishes it through the same workflow as case studies.

# What a resource's `content` dict may carry (besides pillars and tags).
RESOURCE_FIELDS = ("kind", "title", "summary", "url", "date", "partner_organisation", "partner_name")


def can_suggest_resource(user, organisation: Organisation) -> bool:
    return organisation.is_verified and is_member_of(user, organisation.pk)


def can_author_resource(user, resource: Resource) -> bool:
    """The owning organisation's members (the person who suggested it is one)."""
    return is_member_of(user, resource.organisation_id)


def can_moderate_resource(user, resource: Resource) -> bool:
    return moderation.can_moderate(user, resource.organisation)


def can_edit_resource(user, resource: Resource) -> bool:
    """Its authors until it is decided; its moderators while it waits or once it is published
    (to put right a title or a broken link)."""
    if resource.status in Resource.EDITABLE_STATUSES and can_author_resource(user, resource):
        return True
    return resource.status in (Status.SUBMITTED, Status.PUBLISHED) and can_moderate_resource(user, resource)


def _unique_resource_slug(title: str) -> str:
    base = slugify(title)[:200] or "resource"
    slug, n = base, 2
    while Resource.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _apply_resource_content(resource: Resource, content: dict, upload=None) -> None:
    """Write the fields, and either the new upload (dropping any link) or the link (dropping any
    file: removed from storage after the commit)."""
    old_file = resource.file.name if resource.file else ""
    for name in RESOURCE_FIELDS:
        if name in content:
            value = content[name]
            if name == "partner_organisation":
                resource.partner_organisation = value
            else:
                setattr(resource, name, value if value is not None or name == "date" else "")
    if content.get("language"):
        resource.language = content["language"]
    if upload is not None:
        resource.url = ""
        resource.original_name = (upload.name or "")[:255]
        resource.content_type = upload.detected_mime
        resource.extension = upload.detected_extension
        resource.size = upload.size
        resource.file.save("upload", upload, save=False)
    elif resource.url:
        resource.file = ""
        resource.original_name = resource.content_type = resource.extension = ""
        resource.size = None
    resource.save()
    if "pillars" in content:
        resource.pillars.set(content["pillars"])
    if "tags" in content:
        resource.tags.set(content["tags"], clear=True)
    new_file = resource.file.name if resource.file else ""
    if old_file and old_file != new_file:
        storage = resource.file.storage
        transaction.on_commit(lambda: storage.delete(old_file))


def _locked_resource(resource: Resource) -> Resource:
    """Re-read the row under a lock so two people deciding at once cannot both win."""
    return Resource.objects.select_for_update().select_related("organisation").get(pk=resource.pk)


def resource_suggest(*, organisation: Organisation, by, content: dict, upload=None, submit: bool = True) -> Resource:
    """A member suggests a resource for their organisation; it goes to the region's lead for
    review at once (or stays a draft with submit=False)."""
    if not can_suggest_resource(by, organisation):
        raise PermissionDenied(_("Only members of a verified organisation can suggest resources for it."))
    if upload is None and not content.get("url"):
        raise ValueError(_("A resource needs a file or a link."))
    with transaction.atomic():
        # Written in the suggester's language unless they say otherwise.
        resource = Resource(organisation=organisation, suggested_by=by, slug=_unique_resource_slug(content["title"]),
                            language=by.language)
        _apply_resource_content(resource, content, upload)
        moderation.record(resource, action="suggested", from_status="", to_status=Status.DRAFT, by=by)
        if submit:
            moderation.move(resource, action="submitted", by=by)
            emails.resource_submitted(resource=resource, by=by)
    return resource


def resource_edit(*, resource: Resource, by, content: dict, upload=None) -> Resource:
    if not can_edit_resource(by, resource):
        raise PermissionDenied(_("You cannot edit this resource."))
    with transaction.atomic():
        resource = _locked_resource(resource)
        if not can_edit_resource(by, resource):
            raise WorkflowError(_("This resource has been decided and can no longer be edited."))
        _apply_resource_content(resource, content, upload)
        if resource.status == Status.PUBLISHED:
            published_changed()  # after the commit: retire cached pages, recount facets
    return resource


def resource_submit(*, resource: Resource, by) -> Resource:
    if not can_author_resource(by, resource):
        raise PermissionDenied(_("Only members of the organisation can submit its resources."))
    with transaction.atomic():
        resource = _locked_resource(resource)
        from_status = moderation.move(resource, action="submitted", by=by)
        emails.resource_submitted(resource=resource, by=by, resubmitted=from_status == Status.CHANGES_REQUESTED)
    return resource


def _resource_decide(resource: Resource, *, by, action: str, comment: str) -> Resource:
    moderation.require_comment(action, comment)
    with transaction.atomic():
        resource = _locked_resource(resource)
        moderation.require_moderator(by, resource.organisation)
        moderation.move(resource, action=action, by=by, comment=comment)
        if action == "published":
            published_changed()  # after the commit: retire cached pages, recount facets
        emails.resource_decided(resource=resource, action=action, comment=comment)
    return resource


def resource_publish(*, resource: Resource, by, comment: str = "") -> Resource:
    return _resource_decide(resource, by=by, action="published", comment=comment)


def resource_request_changes(*, resource: Resource, by, comment: str) -> Resource:
    return _resource_decide(resource, by=by, action="changes_requested", comment=comment)


def resource_reject(*, resource: Resource, by, reason: str) -> Resource:
    return _resource_decide(resource, by=by, action="rejected", comment=reason)


def resource_archive(*, resource: Resource, by, comment: str = "") -> Resource:
    """Take a published resource out of the library."""
    if not (can_author_resource(by, resource) or can_moderate_resource(by, resource)):
        raise PermissionDenied(_("You cannot archive this resource."))
    with transaction.atomic():
        resource = _locked_resource(resource)
        moderation.move(resource, action="archived", by=by, comment=comment)
        published_changed()  # after the commit: retire cached pages, recount facets
    return resource
