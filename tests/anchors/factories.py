import factory
from django.utils import timezone
from django.utils.text import slugify

from anchors.models import Coordinator, Membership, Organisation, Pillar, Region, RegionalLead
from tests.factories import UserFactory


def region(code: str = "Y63") -> Region:
    """A region from the reference data the migrations load."""
    return Region.objects.get(code=code)


def pillar(slug: str = "purchasing") -> Pillar:
    return Pillar.objects.get(slug=slug)


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Example {n} NHS Foundation Trust")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    ods_code = factory.Sequence(lambda n: f"X{n:03d}")
    type = Organisation.Type.ACUTE_TRUST
    region = factory.LazyFunction(lambda: Region.objects.get(code="Y63"))
    status = Organisation.Status.VERIFIED
    description = "A large local employer and buyer."
    pledge = "We commit to buying and hiring locally."
    registered_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def pillars(self, create, extracted, **kwargs):
        if create and extracted:
            self.pillars.set(extracted)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Membership.Role.MEMBER
    status = Membership.Status.ACTIVE
    reason = "I lead our anchor programme."


class RegionalLeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RegionalLead

    user = factory.SubFactory(UserFactory)
    region = factory.LazyFunction(lambda: Region.objects.get(code="Y63"))


class CoordinatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Coordinator

    user = factory.SubFactory(UserFactory)


def member_of(organisation: Organisation, **kwargs):
    """A person with an active membership of the organisation."""
    return MembershipFactory(organisation=organisation, **kwargs).user


def admin_of(organisation: Organisation, **kwargs):
    return MembershipFactory(organisation=organisation, role=Membership.Role.ADMIN, **kwargs).user


def lead_of(region_code: str = "Y63"):
    return RegionalLeadFactory(region=region(region_code)).user


def coordinator():
    return CoordinatorFactory().user


def listed(**kwargs) -> Organisation:
    """An NHS organisation loaded from the ODS file that nobody has registered yet."""
    return OrganisationFactory(status=Organisation.Status.LISTED, registered_at=None, **kwargs)


def pending(registered_by=None, **kwargs) -> Organisation:
    """An organisation awaiting verification, registered by a person with a verified email."""
    return OrganisationFactory(
        status=Organisation.Status.PENDING, registered_by=registered_by or UserFactory(), **kwargs
    )


def join_request(organisation: Organisation, **kwargs) -> Membership:
    return MembershipFactory(organisation=organisation, status=Membership.Status.REQUESTED, **kwargs)
