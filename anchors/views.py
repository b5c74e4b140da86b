from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sitecache import cached_for_visitors

from . import services
from .forms import (
    DirectoryFilterForm,
    LeadForm,
    ListedSearchForm,
    PartnerForm,
    PersonForm,
    ProfileForm,
    ReasonForm,
)
from .models import (
    Coordinator,
    Membership,
    MembershipEvent,
    Organisation,
    Pillar,
    RegionalLead,
    can_moderate_region,
    is_admin_of,
    is_coordinator,
    lead_region_ids,
)

PAGE_SIZE = 20
HISTORY_SIZE = 30


# --- Fetching only what the person may see -----------------------------------------------------


def _organisation_for(request, slug: str) -> Organisation:
    """The organisation if this person may see it; 404 otherwise, so nothing leaks."""
    organisation = get_object_or_404(
        Organisation.objects.select_related("region", "icb", "registered_by", "decided_by"), slug=slug
    )
    if organisation.is_verified:
        return organisation
    user = request.user
    if organisation.status == Organisation.Status.LISTED:
        if can_moderate_region(user, organisation.region_id):
            return organisation
        raise Http404
    if user.is_authenticated and (
        organisation.registered_by_id == user.pk or can_moderate_region(user, organisation.region_id)
    ):
        return organisation
    raise Http404


def _administered_by(request, slug: str) -> Organisation:
    organisation = _organisation_for(request, slug)
    if not is_admin_of(request.user, organisation.pk):
        raise PermissionDenied(_("Only the organisation's admins can do this."))
    return organisation


def _refuse(request, error: services.AnchorsError):
    if isinstance(error, services.NotAllowed):
        raise PermissionDenied(str(error))
    messages.error(request, str(error))


# --- Directory and profiles --------------------------------------------------------------------


@cached_for_visitors
def directory(request):
    form = DirectoryFilterForm(request.GET or None)
    organisations = Organisation.objects.verified().select_related("region", "icb")
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            term = data["q"].strip()
            organisations = organisations.filter(Q(name__icontains=term) | Q(ods_code__iexact=term))
        if data["region"]:
            organisations = organisations.filter(region__in=data["region"])
        if data["type"]:
            organisations = organisations.filter(type__in=data["type"])
        if data["pillar"]:
            organisations = organisations.filter(
                pk__in=Organisation.pillars.through.objects.filter(pillar__in=data["pillar"]).values("organisation_id")
            )
    organisations = organisations.prefetch_related(Prefetch("pillars", queryset=Pillar.objects.only("slug", "name", "name_cy", "position")))
    page = Paginator(organisations.order_by("name", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "anchors/directory.html",
        {"form": form, "page_obj": page, "organisations": page.object_list, "nav": "members"},
    )


@cached_for_visitors
def organisation_detail(request, slug):
    organisation = _organisation_for(request, slug)
    user = request.user
    membership = None
    if user.is_authenticated:
        membership = Membership.objects.filter(
            user=user, organisation=organisation, status__in=Membership.LIVE_STATUSES
        ).first()
    context = {
        "organisation": organisation,
        "pillars": organisation.pillars.all(),
        "membership": membership,
        "is_admin": membership is not None and membership.status == Membership.Status.ACTIVE and membership.role == Membership.Role.ADMIN,
        "can_verify": organisation.status == Organisation.Status.PENDING and can_moderate_region(user, organisation.region_id),
        "nav": "members",
    }
    return render(request, "anchors/organisation_detail.html", context)


# --- Registering -------------------------------------------------------------------------------


@login_required
def register(request):
    form = ListedSearchForm(request.GET or None)
    results = None
    if form.is_valid():
        term = form.cleaned_data["q"].strip()
        results = (
            Organisation.objects.exclude(ods_code="")
            .filter(closed_on__isnull=True)
            .filter(Q(name__icontains=term) | Q(ods_code__iexact=term))
            .select_related("region")
            .order_by("name")[:25]
        )
    return render(request, "anchors/register.html", {"form": form, "results": results, "nav": "members"})


@login_required
def register_listed(request, slug):
    organisation = get_object_or_404(Organisation.objects.exclude(ods_code=""), slug=slug)
    if request.method != "POST":
        # A followed or bookmarked link: show the search with this organisation and its button.
        return redirect(f"{reverse('anchors:register')}?{urlencode({'q': organisation.ods_code})}")
    try:
        organisation = services.organisation_register_listed(organisation=organisation, by=request.user)
    except services.AlreadyRegistered as error:
        return _already_registered(request, error.organisation)
    except services.AnchorsError as error:
        _refuse(request, error)
        return redirect("anchors:register")
    messages.success(request, _("You registered %(name)s. A regional lead will verify it.") % {"name": organisation.name})
    return redirect(organisation)


def _already_registered(request, organisation):
    return render(request, "anchors/already_registered.html", {"organisation": organisation, "nav": "members"}, status=409)


@login_required
def register_partner(request):
    form = PartnerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organisation = services.organisation_register_partner(by=request.user, **form.cleaned_data)
        except services.AlreadyRegistered as error:
            return _already_registered(request, error.organisation)
        except services.SharedDomain as error:
            form.add_error("email_domains", str(error))
        except services.InvalidState as error:
            form.add_error("name", str(error))
        except services.NotAllowed as error:
            raise PermissionDenied(str(error)) from error
        else:
            messages.success(request, _("You registered %(name)s. A regional lead will verify it.") % {"name": organisation.name})
            return redirect(organisation)
    return render(request, "anchors/register_partner.html", {"form": form, "nav": "members"})


# --- Joining and leaving -----------------------------------------------------------------------


@login_required
def join(request, slug):
    organisation = _organisation_for(request, slug)
    if not organisation.is_verified:
        raise Http404
    form = ReasonForm(
        request.POST or None,
        label=_("Why do you want to join?"),
        hint=_("Tell the organisation's admins your role and what you want to do in the network."),
        required_message=_("Say why you want to join"),
    )
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.membership_request(
                organisation=organisation, by=request.user, reason=form.cleaned_data["reason"]
            )
        except services.InvalidState as error:
            form.add_error(None, str(error))
        except services.NotAllowed as error:
            raise PermissionDenied(str(error)) from error
        else:
            if membership.status == Membership.Status.ACTIVE:
                messages.success(request, _("You are now a member of %(name)s.") % {"name": organisation.name})
            else:
                messages.success(
                    request, _("You asked to join %(name)s. Its admins will reply by email.") % {"name": organisation.name}
                )
            return redirect(organisation)
    return render(request, "anchors/join.html", {"organisation": organisation, "form": form, "nav": "members"})


@login_required
def leave(request, slug):
    organisation = _organisation_for(request, slug)
    membership = Membership.objects.active().filter(user=request.user, organisation=organisation).first()
    if membership is None:
        raise PermissionDenied(_("You are not a member of this organisation."))
    if request.method == "POST":
        try:
            services.membership_leave(membership=membership, by=request.user)
        except services.AnchorsError as error:
            _refuse(request, error)
            return redirect("anchors:leave", slug=slug)
        messages.success(request, _("You left %(name)s.") % {"name": organisation.name})
        return redirect(organisation)
    return render(request, "anchors/leave.html", {"organisation": organisation, "membership": membership, "nav": "members"})


# --- Organisation admin ------------------------------------------------------------------------


@login_required
def requests_list(request, slug):
    organisation = _administered_by(request, slug)
    pending = Membership.objects.requested().filter(organisation=organisation).select_related("user").order_by("requested_at")
    return render(request, "anchors/requests.html", {"organisation": organisation, "pending": pending, "nav": "members"})


def _membership_of(organisation, pk) -> Membership:
    return get_object_or_404(Membership.objects.select_related("user"), pk=pk, organisation=organisation)


@login_required
@require_POST
def request_approve(request, slug, pk):
    organisation = _administered_by(request, slug)
    membership = _membership_of(organisation, pk)
    try:
        services.membership_approve(membership=membership, by=request.user)
    except services.AnchorsError as error:
        _refuse(request, error)
    else:
        messages.success(
            request, _("%(name)s is now a member.") % {"name": membership.user.full_name or membership.user.email}
        )
    return redirect("anchors:requests", slug=slug)


@login_required
def request_decline(request, slug, pk):
    organisation = _administered_by(request, slug)
    membership = _membership_of(organisation, pk)
    form = ReasonForm(
        request.POST or None, label=_("Reason (optional)"), hint=_("We include it in the email to them."), required=False
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_decline(membership=membership, by=request.user, reason=form.cleaned_data["reason"])
        except services.AnchorsError as error:
            _refuse(request, error)
        else:
            messages.success(request, _("Request declined."))
        return redirect("anchors:requests", slug=slug)
    return render(request, "anchors/request_decline.html", {"organisation": organisation, "membership": membership, "form": form, "nav": "members"})


@login_required
def organisation_edit(request, slug):
    organisation = _administered_by(request, slug)
    initial = {
        "description": organisation.description,
        "pledge": organisation.pledge,
        "pillars": list(organisation.pillars.all()),
        "website": organisation.website,
        "email_domains": "\n".join(organisation.email_domains),
    }
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.organisation_update(organisation=organisation, by=request.user, **data)
        except services.SharedDomain as error:
            form.add_error("email_domains", str(error))
        except services.AnchorsError as error:
            _refuse(request, error)
        else:
            messages.success(request, _("Profile saved."))
            return redirect(organisation)
    return render(request, "anchors/organisation_edit.html", {"organisation": organisation, "form": form, "nav": "members"})


@login_required
def admins(request, slug):
    organisation = _administered_by(request, slug)
    members = Membership.objects.active().filter(organisation=organisation).select_related("user").order_by("-role", "user__full_name")
    history = (
        MembershipEvent.objects.filter(membership__organisation=organisation)
        .select_related("membership__user", "by")
        .order_by("-at", "-pk")[:HISTORY_SIZE]
    )
    context = {"organisation": organisation, "members": members, "history": history, "nav": "members"}
    return render(request, "anchors/admins.html", context)


@login_required
def member_remove(request, slug, pk):
    organisation = _administered_by(request, slug)
    membership = get_object_or_404(
        Membership.objects.active().select_related("user"), pk=pk, organisation=organisation
    )
    name = membership.user.full_name or membership.user.email
    form = ReasonForm(
        request.POST or None,
        label=_("Why are you removing them?"),
        hint=_("We include it in the email that tells them, with your name."),
        required=False,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_remove(membership=membership, by=request.user, reason=form.cleaned_data["reason"])
        except services.InvalidState as error:
            form.add_error(None, str(error))
        except services.NotAllowed as error:
            raise PermissionDenied(str(error)) from error
        else:
            messages.success(
                request,
                _("%(person)s is no longer a member of %(name)s. We emailed them.")
                % {"person": name, "name": organisation.name},
            )
            return redirect("anchors:admins", slug=slug)
    context = {"organisation": organisation, "membership": membership, "name": name, "form": form, "nav": "members"}
    return render(request, "anchors/member_remove.html", context)


@login_required
@require_POST
def admin_change(request, slug, pk, action):
    if action not in ("appoint", "remove"):
        raise Http404
    organisation = _administered_by(request, slug)
    membership = _membership_of(organisation, pk)
    service = services.admin_appoint if action == "appoint" else services.admin_remove
    try:
        service(membership=membership, by=request.user)
    except services.AnchorsError as error:
        _refuse(request, error)
    else:
        name = membership.user.full_name or membership.user.email
        if action == "appoint":
            messages.success(request, _("%(name)s is now an admin.") % {"name": name})
        else:
            messages.success(request, _("%(name)s is no longer an admin.") % {"name": name})
    return redirect("anchors:admins", slug=slug)


# --- Verification ------------------------------------------------------------------------------


def _require_moderator(request):
    if not (is_coordinator(request.user) or lead_region_ids(request.user)):
        raise PermissionDenied(_("Only regional leads and coordinators verify organisations."))


@login_required
def verification_queue(request):
    _require_moderator(request)
    pending = Organisation.objects.awaiting_verification_by(request.user)
    return render(request, "anchors/verification_queue.html", {"pending": pending, "nav": "members"})


@login_required
def verification_decide(request, slug):
    _require_moderator(request)
    organisation = get_object_or_404(Organisation.objects.awaiting_verification_by(request.user), slug=slug)
    form = ReasonForm(
        request.POST or None,
        label=_("Reason for declining"),
        hint=_("We send it to the person who registered it."),
        required_message=_("Give a reason for declining"),
    )
    if request.method == "POST":
        try:
            if request.POST.get("decision") == "verify":
                form = ReasonForm(label=_("Reason for declining"))
                services.organisation_verify(organisation=organisation, by=request.user)
                messages.success(request, _("%(name)s is verified.") % {"name": organisation.name})
                return redirect("anchors:verification")
            if form.is_valid():
                services.organisation_decline(organisation=organisation, by=request.user, reason=form.cleaned_data["reason"])
                messages.success(request, _("%(name)s was declined.") % {"name": organisation.name})
                return redirect("anchors:verification")
        except services.AnchorsError as error:
            _refuse(request, error)
            return redirect("anchors:verification")
    return render(request, "anchors/verification_decide.html", {"organisation": organisation, "form": form, "nav": "members"})


# --- Roles -------------------------------------------------------------------------------------


@login_required
def roles(request):
    if not is_coordinator(request.user):
        raise PermissionDenied(_("Only coordinators manage roles."))
    lead_form = LeadForm(request.POST if request.POST.get("form") == "lead" else None, prefix="lead")
    coordinator_form = PersonForm(request.POST if request.POST.get("form") == "coordinator" else None, prefix="coordinator")
    if request.method == "POST":
        try:
            if request.POST.get("form") == "lead" and lead_form.is_valid():
                services.regional_lead_appoint(user=lead_form.cleaned_data["user"], region=lead_form.cleaned_data["region"], by=request.user)
                messages.success(request, _("Regional lead appointed."))
                return redirect("anchors:roles")
            if request.POST.get("form") == "coordinator" and coordinator_form.is_valid():
                services.coordinator_appoint(user=coordinator_form.cleaned_data["user"], by=request.user)
                messages.success(request, _("Coordinator appointed."))
                return redirect("anchors:roles")
        except services.InvalidState as error:
            (lead_form if request.POST.get("form") == "lead" else coordinator_form).add_error("email", str(error))
    context = {
        "leads": RegionalLead.objects.select_related("user", "region"),
        "coordinators": Coordinator.objects.select_related("user"),
        "lead_form": lead_form,
        "coordinator_form": coordinator_form,
        "nav": "members",
    }
    return render(request, "anchors/roles.html", context)


@login_required
@require_POST
def lead_remove(request, pk):
    appointment = get_object_or_404(RegionalLead.objects.select_related("user", "region"), pk=pk)
    try:
        services.regional_lead_remove(appointment=appointment, by=request.user)
    except services.AnchorsError as error:
        _refuse(request, error)
    else:
        messages.success(
            request,
            _("%(person)s no longer leads %(region)s.") % {"person": appointment.user, "region": appointment.region.label},
        )
    return redirect(reverse("anchors:roles"))


@login_required
@require_POST
def coordinator_remove(request, pk):
    coordinator = get_object_or_404(Coordinator.objects.select_related("user"), pk=pk)
    try:
        services.coordinator_remove(coordinator=coordinator, by=request.user)
    except services.AnchorsError as error:
        _refuse(request, error)
    else:
        messages.success(request, _("%(person)s is no longer a coordinator.") % {"person": coordinator.user})
    return redirect(reverse("anchors:roles"))
