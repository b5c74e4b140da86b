import datetime
from decimal import Decimal

import factory

from evidence.models import AnnualFigure, Commitment, CommitmentSignature, StandardMeasure
from tests.anchors.factories import OrganisationFactory


def measure(slug: str = "local-spend-share") -> StandardMeasure:
    """A standard measure from the reference data the migrations load."""
    return StandardMeasure.objects.get(slug=slug)


class AnnualFigureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AnnualFigure

    organisation = factory.SubFactory(OrganisationFactory)
    measure = factory.LazyFunction(measure)
    year = 2023
    value = Decimal("25")
    status = AnnualFigure.Status.PUBLISHED


class CommitmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commitment

    title = factory.Sequence(lambda n: f"At least {n + 10}% of new hires from the most deprived areas")
    slug = factory.Sequence(lambda n: f"commitment-{n}")
    measure = factory.LazyFunction(lambda: measure("hires-most-deprived-areas-share"))
    target_value = Decimal("10")
    target_date = datetime.date(2028, 3, 31)


class SignatureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommitmentSignature

    commitment = factory.SubFactory(CommitmentFactory)
    organisation = factory.SubFactory(OrganisationFactory)
