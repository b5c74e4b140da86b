from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import languages, services
from .forms import DeleteAccountForm, ProfileForm
from .models import DataExport


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """The person's own account page: their details, and what other apps add to it."""
    if request.method == "POST":
        form = ProfileForm(request.POST, instance=request.user)
        if form.is_valid():
            form.save()
            messages.success(request, _("Your details have been saved."))
            return redirect("accounts:profile")
    else:
        form = ProfileForm(instance=request.user)
    latest_export = request.user.data_exports.first()
    return render(request, "accounts/profile.html", {"form": form, "latest_export": latest_export})


@login_required
def data_export_request(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        # The button lives on the account page; a bookmarked or typed address lands there too.
        return redirect(reverse("accounts:profile") + "#your-data")
    try:
        services.data_export_request(user=request.user, by=request.user)
    except services.ExportInProgress as refusal:
        messages.info(request, str(refusal))
    else:
        messages.success(
            request,
            _("We are preparing a copy of your data. We will email you a link to download it when it is ready."),
        )
    return redirect("accounts:profile")


@login_required
def data_export_download(request: HttpRequest, pk: int) -> HttpResponse:
    """Only the person it belongs to, signed in, until it expires."""
    export = get_object_or_404(DataExport, pk=pk, user=request.user)
    services.data_export_expire_if_due(export=export)
    if export.status == DataExport.Status.PREPARING:
        return render(request, "accounts/data_export_unavailable.html", {"export": export})
    if not export.is_downloadable:
        return render(request, "accounts/data_export_unavailable.html", {"export": export}, status=410)
    try:
        handle = export.file.open("rb")
    except FileNotFoundError:
        return render(request, "accounts/data_export_unavailable.html", {"export": export}, status=410)
    response = FileResponse(handle, as_attachment=True, filename=export.filename)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def delete_account(request: HttpRequest) -> HttpResponse:
    user = request.user
    blockers = services.deletion_blockers(user)
    goes, stays = services.deletion_summary()
    form = DeleteAccountForm(request.POST if request.method == "POST" else None, request=request, user=user)
    if request.method == "POST" and not blockers and form.is_valid():
        try:
            services.account_delete(user=user, by=user)
        except services.DeletionRefused as refusal:
            # Something changed since the page was shown (another admin removed, say).
            blockers = refusal.reasons
        else:
            logout(request)
            return redirect("accounts:deleted")
    return render(
        request,
        "accounts/delete.html",
        {"form": form, "blockers": blockers, "goes": goes, "stays": stays},
    )


def account_deleted(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/deleted.html")


@require_POST
def language(request: HttpRequest) -> HttpResponse:
    """Switch the page to the other language; a signed-in person's choice is also saved, so
    the pages after their next sign-in and their emails come in it. (Visitors follow a plain
    link to the other language's address instead: nothing to remember for them.)"""
    chosen = languages.supported(request.POST.get("language"))
    if request.user.is_authenticated:
        services.user_set_language(user=request.user, language=chosen, by=request.user)
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}) or not next_url.startswith("/"):
        next_url = "/"
    return redirect(languages.url_in_language(next_url, chosen))
