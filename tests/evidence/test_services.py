from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from anchors.models import Organisation
from anchors.services import InvalidState, NotAllowed
from evidence import services, years
from evidence.models import AnnualFigure, CommitmentSignature, MaturityLevel, SelfAssessment
from tests.anchors.factories import OrganisationFactory, admin_of, coordinator, member_of
from tests.factories import UserFactory

from .factories import AnnualFigureFactory, CommitmentFactory, SignatureFactory, measure

pytestmark = pytest.mark.django_db
LAST_YEAR = years.current() - 1


@pytest.fixture
def org():
    return OrganisationFactory()


@pytest.fixture
def admin(org):
    return admin_of(org)


def record(org, by, **kwargs):
    values = {"measure": measure("local-spend-share"), "year": LAST_YEAR, "value": Decimal("31"), **kwargs}
    return services.figure_record(organisation=org, by=by, **values)


# --- Annual figures ----------------------------------------------------------------------------


def test_an_admin_records_a_draft_figure(org, admin):
    figure = record(org, admin, note="Counted from the ledger.", source="Annual report")
    assert figure.status == AnnualFigure.Status.DRAFT and figure.value == Decimal("31")
    assert figure.recorded_by == admin and figure.note == "Counted from the ledger."


def test_recording_again_corrects_the_same_figure(org, admin):
    first = record(org, admin)
    second = record(org, admin, value=Decimal("33"))
    assert first.pk == second.pk and AnnualFigure.objects.get().value == Decimal("33")


@pytest.mark.parametrize("who", ["member", "outsider", "coordinator"])
def test_only_the_organisations_admins_record_figures(org, who):
    by = {"member": lambda: member_of(org), "outsider": UserFactory, "coordinator": coordinator}[who]()
    with pytest.raises(NotAllowed):
        record(org, by)
    assert not AnnualFigure.objects.exists()


def test_a_year_that_has_not_started_is_refused(org, admin):
    with pytest.raises(InvalidState, match="has not started"):
        record(org, admin, year=years.current() + 1)


@pytest.mark.parametrize(
    ("slug", "value"), [("local-spend-share", Decimal("140")), ("apprenticeship-starts", Decimal("2.5")),
                        ("apprenticeship-starts", Decimal("-1"))],
)
def test_values_that_do_not_fit_the_measure_are_refused(org, admin, slug, value):
    with pytest.raises(InvalidState):
        record(org, admin, measure=measure(slug), value=value)


def test_an_unverified_organisation_cannot_record(admin, org):
    org.status = Organisation.Status.PENDING
    org.save()
    with pytest.raises(InvalidState):
        record(org, admin)


def test_publishing_makes_a_years_drafts_public(org, admin):
    record(org, admin)
    record(org, admin, measure=measure("apprenticeship-starts"), value=Decimal("40"))
    record(org, admin, year=LAST_YEAR - 1)
    assert services.figures_publish(organisation=org, year=LAST_YEAR, by=admin) == 2
    assert AnnualFigure.objects.published().count() == 2
    with pytest.raises(InvalidState, match="no draft figures"):
        services.figures_publish(organisation=org, year=LAST_YEAR, by=admin)


def test_members_cannot_publish(org, admin):
    record(org, admin)
    with pytest.raises(NotAllowed):
        services.figures_publish(organisation=org, year=LAST_YEAR, by=member_of(org))
    assert not AnnualFigure.objects.published().exists()


def test_an_admin_takes_published_figures_back_to_draft(org, admin):
    AnnualFigureFactory(organisation=org, year=LAST_YEAR)
    with pytest.raises(NotAllowed):
        services.figures_unpublish(organisation=org, year=LAST_YEAR, by=member_of(org))
    assert services.figures_unpublish(organisation=org, year=LAST_YEAR, by=admin) == 1
    assert not AnnualFigure.objects.published().exists()


def test_an_admin_removes_a_figure_and_others_cannot(org, admin):
    figure = AnnualFigureFactory(organisation=org)
    with pytest.raises(NotAllowed):
        services.figure_delete(figure=figure, by=member_of(org))
    services.figure_delete(figure=figure, by=admin)
    assert not AnnualFigure.objects.exists()


def test_drafts_are_visible_to_the_organisations_members_only(org, admin):
    draft = record(org, admin)
    published = AnnualFigureFactory(year=LAST_YEAR)
    assert list(AnnualFigure.objects.visible_to(UserFactory())) == [published]
    assert list(AnnualFigure.objects.visible_to(coordinator())) == [published]
    assert set(AnnualFigure.objects.visible_to(member_of(org))) == {draft, published}


# --- Commitments -------------------------------------------------------------------------------


def test_an_admin_signs_a_commitment_once(org, admin):
    commitment = CommitmentFactory()
    signature = services.commitment_sign(commitment=commitment, organisation=org, by=admin)
    assert signature.signed_by == admin
    with pytest.raises(InvalidState, match="already signed"):
        services.commitment_sign(commitment=commitment, organisation=org, by=admin)


@pytest.mark.parametrize("who", ["member", "outsider", "admin of another"])
def test_only_the_organisations_admins_sign(org, who):
    by = {"member": lambda: member_of(org), "outsider": UserFactory,
          "admin of another": lambda: admin_of(OrganisationFactory())}[who]()
    with pytest.raises(NotAllowed):
        services.commitment_sign(commitment=CommitmentFactory(), organisation=org, by=by)
    assert not CommitmentSignature.objects.exists()


def test_a_closed_commitment_takes_no_new_signatories(org, admin):
    with pytest.raises(InvalidState, match="not taking new signatories"):
        services.commitment_sign(commitment=CommitmentFactory(is_open=False), organisation=org, by=admin)


def test_an_admin_withdraws_a_signature_and_members_cannot(org, admin):
    signature = SignatureFactory(organisation=org)
    with pytest.raises(NotAllowed):
        services.commitment_withdraw(signature=signature, by=member_of(org))
    services.commitment_withdraw(signature=signature, by=admin)
    assert not CommitmentSignature.objects.exists()


def test_progress_is_met_in_the_direction_the_measure_prefers():
    more = CommitmentFactory(measure=measure("hires-most-deprived-areas-share"), target_value=Decimal("10"))
    less = CommitmentFactory(measure=measure("carbon-footprint"), target_value=Decimal("40000"))
    assert more.is_met_by(Decimal("10")) and not more.is_met_by(Decimal("9.9"))
    assert less.is_met_by(Decimal("39000")) and not less.is_met_by(Decimal("41000"))
    assert not more.is_met_by(None)


# --- Self-assessment ---------------------------------------------------------------------------


def all_levels(level=3):
    return dict.fromkeys(MaturityLevel.objects.values_list("pillar_id", flat=True).distinct(), level)


def test_an_admin_completes_the_self_assessment_once_a_year(org, admin):
    first = services.self_assessment_complete(organisation=org, year=LAST_YEAR, levels=all_levels(2), by=admin)
    again = services.self_assessment_complete(organisation=org, year=LAST_YEAR, levels=all_levels(4), by=admin)
    assert first.pk == again.pk and SelfAssessment.objects.count() == 1
    assert set(again.answers.values_list("level", flat=True)) == {4} and again.answers.count() == 5


def test_members_and_outsiders_cannot_complete_it(org):
    for by in (member_of(org), UserFactory()):
        with pytest.raises(NotAllowed):
            services.self_assessment_complete(organisation=org, year=LAST_YEAR, levels=all_levels(), by=by)
    assert not SelfAssessment.objects.exists()


def test_every_pillar_needs_a_level_that_exists(org, admin):
    levels = all_levels()
    levels.popitem()
    with pytest.raises(InvalidState, match="every pillar"):
        services.self_assessment_complete(organisation=org, year=LAST_YEAR, levels=levels, by=admin)
    with pytest.raises(InvalidState):
        services.self_assessment_complete(organisation=org, year=LAST_YEAR, levels=all_levels(6), by=admin)
    with pytest.raises(InvalidState, match="has not started"):
        services.self_assessment_complete(organisation=org, year=years.current() + 1, levels=all_levels(), by=admin)


# --- Reference data ----------------------------------------------------------------------------


def test_coordinators_may_edit_the_reference_data_but_not_delete_it():
    group = services.coordinators_group()
    codenames = set(group.permissions.filter(content_type__app_label="evidence").values_list("codename", flat=True))
    assert {"change_standardmeasure", "add_commitment", "change_maturitylevel"} <= codenames
    assert "delete_standardmeasure" not in codenames and "change_annualfigure" not in codenames


def test_the_migration_grants_the_coordinators_group():
    group = Group.objects.get(name="Coordinators")
    assert group.permissions.filter(codename="change_commitment").exists()


def test_reference_data_is_seeded():
    assert measure("local-spend-share").unit_kind == "percentage"
    assert measure("carbon-footprint").better == "lower"
    assert MaturityLevel.objects.filter(level=5).count() == 5
