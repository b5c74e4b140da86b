"""Digest pages: compose, preview, send, report, preferences and unsubscribe."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from anchors.models import is_coordinator

from . import digests, forms, services
from .models import Delivery, Digest, DigestPreference


def _coordinator(request: HttpRequest) -> None:
    if not is_coordinator(request.user):
        raise PermissionDenied(_("Only network coordinators can send digests."))


def _coordinator_digest(pk: int) -> Digest:
    return get_object_or_404(Digest, pk=pk, kind=Digest.Kind.COORDINATOR)


@login_required
def digest_list(request: HttpRequest) -> HttpResponse:
    _coordinator(request)
    rows = Digest.objects.filter(kind=Digest.Kind.COORDINATOR).annotate(
        sent=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.SENT)),
        failed=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.FAILED)),
    ).order_by("-created_at")  # an aggregate drops Meta.ordering
    return render(request, "network/digest_list.html", {"digests": rows, "nav": "groups"})


@login_required
def digest_new(request: HttpRequest) -> HttpResponse:
    _coordinator(request)
    if request.method == "POST":
        form = forms.DigestForm(request.POST)
        if form.is_valid():
            try:
                digest = services.digest_create(**form.cleaned_data, by=request.user)
            except services.NotAllowed as error:
                raise PermissionDenied(str(error)) from error
            return redirect(digest)
    else:
        form = forms.DigestForm(
            initial={
                "audience": Digest.Audience.EVERYONE,
                "case_studies": list(digests.suggested_case_studies().values_list("pk", flat=True)),
                "resources": list(digests.suggested_resources().values_list("pk", flat=True)),
            }
        )
    return render(
        request,
        "network/digest_form.html",
        {"form": form, "heading": _("Compose a digest"), "button": _("Save and preview"), "nav": "groups"},
    )


@login_required
def digest_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _coordinator(request)
    digest = _coordinator_digest(pk)
    if digest.status not in (Digest.Status.DRAFT, Digest.Status.SCHEDULED):
        messages.info(
            request, _("This digest has already been sent or is being sent, so it cannot be changed.")
        )
        return redirect(digest)
    if request.method == "POST":
        form = forms.DigestForm(request.POST)
        if form.is_valid():
            try:
                services.digest_edit(digest=digest, **form.cleaned_data, by=request.user)
            except services.NotAllowed as error:
                raise PermissionDenied(str(error)) from error
            except services.InvalidState as error:
                messages.error(request, str(error))
            else:
                messages.success(request, _("The digest has been changed."))
            return redirect(digest)
    else:
        form = forms.DigestForm(
            initial={
                "subject": digest.subject,
                "introduction": digest.introduction,
                "audience": digest.audience,
                "case_studies": list(digest.case_studies.values_list("pk", flat=True)),
                "resources": list(digest.resources.values_list("pk", flat=True)),
                "regions": list(digest.regions.values_list("pk", flat=True)),
                "groups": list(digest.groups.values_list("pk", flat=True)),
            }
        )
    return render(
        request,
        "network/digest_form.html",
        {"form": form, "heading": _("Change the digest"), "button": _("Save and preview"), "nav": "groups"},
    )


@login_required
def digest_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _coordinator(request)
    digest = get_object_or_404(
        Digest.objects.select_related("schedule_cancelled_by"), pk=pk, kind=Digest.Kind.COORDINATOR
    )
    counts = dict.fromkeys(Delivery.Status.values, 0)
    for row in digest.deliveries.values("status").annotate(n=Count("pk")):
        counts[row["status"]] = row["n"]
    failures = list(digests.delivery_failures(digest=digest)[:200])
    audience_size = None
    if digest.status in (Digest.Status.DRAFT, Digest.Status.SCHEDULED):
        audience_size = digests.coordinator_audience(digest).count()
    return render(
        request,
        "network/digest_detail.html",
        {
            "digest": digest,
            "counts": counts,
            "failures": failures,
            "retryable_count": digest.deliveries.filter(digests.worth_retrying()).count() if failures else 0,
            "audience_size": audience_size,
            "schedule_form": forms.ScheduleForm(),
            "nav": "groups",
        },
    )


@login_required
def digest_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """A page that frames the email, so the email keeps its own look and the page its own."""
    _coordinator(request)
    digest = _coordinator_digest(pk)
    return render(request, "network/digest_preview.html", {"digest": digest, "nav": "groups"})


@login_required
@xframe_options_sameorigin
def digest_preview_email(request: HttpRequest, pk: int) -> HttpResponse:
    """The HTML part exactly as a recipient receives it (addressed to the coordinator)."""
    _coordinator(request)
    digest = _coordinator_digest(pk)
    context = digests.digest_context(
        digest=digest,
        recipient=request.user,
        case_studies=digests.coordinator_items(digest),
        resources=digests.coordinator_resources(digest),
        language=translation.get_language(),  # the page's: switch language to preview the other
    )
    _subject, _text, html = digests.render_digest(context)
    response = HttpResponse(html)
    # The email's own inline styles must show as they will in a mail client.
    response["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'self'"
    )
    return response


@login_required
@require_POST
def digest_test(request: HttpRequest, pk: int) -> HttpResponse:
    _coordinator(request)
    digest = _coordinator_digest(pk)
    try:
        services.digest_send_test(digest=digest, by=request.user)
    except services.NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    messages.success(
        request, _("A test copy has been sent to %(email)s.") % {"email": request.user.email}
    )
    return redirect(digest)


@login_required
def digest_send(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask the coordinator to confirm who it goes to (GET); send it once they do (POST)."""
    _coordinator(request)
    digest = _coordinator_digest(pk)
    if request.method == "POST":
        try:
            started = services.digest_send_now(digest=digest, by=request.user)
        except services.NotAllowed as error:
            raise PermissionDenied(str(error)) from error
        except services.InvalidState as error:
            messages.error(request, str(error))
            return redirect(digest)
        if started:
            messages.success(request, _("The digest is being sent."))
        else:
            messages.info(request, _("This digest has already been sent or is being sent."))
        return redirect(digest)
    if digest.status not in (Digest.Status.DRAFT, Digest.Status.SCHEDULED):
        messages.info(request, _("This digest has already been sent or is being sent."))
        return redirect(digest)
    return render(
        request,
        "network/digest_send_confirm.html",
        {
            "digest": digest,
            "audience_size": digests.coordinator_audience(digest).count(),
            "nav": "groups",
        },
    )


@login_required
@require_POST
def digest_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    _coordinator(request)
    digest = _coordinator_digest(pk)
    try:
        services.digest_schedule_cancel(digest=digest, by=request.user)
    except services.NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    except services.InvalidState as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The scheduled send is cancelled. The digest is a draft again."))
    return redirect(digest)


@login_required
def digest_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    _coordinator(request)
    digest = _coordinator_digest(pk)
    form = forms.ScheduleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.digest_schedule(digest=digest, send_at=form.cleaned_data["send_at"], by=request.user)
        except services.NotAllowed as error:
            raise PermissionDenied(str(error)) from error
        except services.InvalidState as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The digest is scheduled."))
        return redirect(digest)
    return render(
        request,
        "network/digest_form.html",
        {"form": form, "heading": _("Schedule the digest"), "button": pgettext("button", "Schedule"), "nav": "groups"},
    )


@login_required
@require_POST
def digest_retry(request: HttpRequest, pk: int) -> HttpResponse:
    _coordinator(request)
    digest = _coordinator_digest(pk)
    try:
        n = services.digest_retry(digest=digest, by=request.user)
    except services.NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    except services.InvalidState as error:
        messages.error(request, str(error))
    else:
        if n:
            messages.success(
                request,
                ngettext(
                    "%(count)s email will be tried again.", "%(count)s emails will be tried again.", n
                )
                % {"count": n},
            )
        else:
            messages.info(
                request, _("There is nothing worth trying again: any address left was refused for good.")
            )
    return redirect(digest)


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = forms.PreferenceForm(request.POST)
        if form.is_valid():
            services.digest_preferences_update(**form.cleaned_data, by=request.user)
            messages.success(request, _("Your digest preferences have been saved."))
            return redirect("accounts:profile")
    else:
        pref = DigestPreference.objects.filter(user=request.user).first() or DigestPreference(user=request.user)
        form = forms.PreferenceForm(
            initial={
                "frequency": pref.frequency,
                "coordinator_digests": pref.coordinator_digests,
                "pillars": list(pref.pillars.all()) if pref.pk else [],
                "regions": list(pref.regions.all()) if pref.pk else [],
            }
        )
    return render(
        request,
        "network/digest_form.html",
        {"form": form, "heading": _("Digest emails"), "button": _("Save preferences")},
    )


@csrf_exempt
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """One click from the email (or its List-Unsubscribe-Post), no sign-in needed."""
    found = digests.read_unsubscribe_token(token)
    if found is None:
        return render(request, "network/unsubscribe_invalid.html", status=400)
    _user_id, kind = found
    # The label follows "from" / "any more" on the page (Welsh: "o", which mutates the next word).
    if kind == Digest.Kind.PERSONAL:
        label = pgettext("unsubscribe from", "personal digests")
    else:
        label = pgettext("unsubscribe from", "coordinators' digests")
    if request.method == "POST":
        try:
            services.digest_unsubscribe(token=token)
        except services.AnchorsError:
            return render(request, "network/unsubscribe_invalid.html", status=400)
        return render(request, "network/unsubscribe.html", {"done": True, "label": label})
    return render(request, "network/unsubscribe.html", {"done": False, "label": label})


urlpatterns = [
    path("digests/", digest_list, name="digests"),
    path("digests/new/", digest_new, name="digest_new"),
    path("digests/<int:pk>/", digest_detail, name="digest"),
    path("digests/<int:pk>/edit/", digest_edit, name="digest_edit"),
    path("digests/<int:pk>/preview/", digest_preview, name="digest_preview"),
    path("digests/<int:pk>/preview/email/", digest_preview_email, name="digest_preview_email"),
    path("digests/<int:pk>/test/", digest_test, name="digest_test"),
    path("digests/<int:pk>/send/", digest_send, name="digest_send"),
    path("digests/<int:pk>/schedule/", digest_schedule, name="digest_schedule"),
    path("digests/<int:pk>/cancel/", digest_cancel, name="digest_cancel"),
    path("digests/<int:pk>/retry/", digest_retry, name="digest_retry"),
    path("account/digests/", preferences, name="preferences"),
    path("digests/unsubscribe/<str:token>/", unsubscribe, name="unsubscribe"),
]
