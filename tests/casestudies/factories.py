import factory
from django.utils import timezone

from casestudies.models import CaseStudy, OutcomeMeasure, Transition
from tests.anchors.factories import OrganisationFactory, pillar


class CaseStudyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseStudy
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    title = factory.Sequence(lambda n: f"Buying locally, round {n}")
    slug = factory.Sequence(lambda n: f"case-study-{n}")
    summary = "How a trust moved its spending to local suppliers."
    context = "Too little of our spending stayed in the area."
    approach = "We changed our tender scoring to include social value."
    outcomes = "More local firms won contracts."
    lessons = "Start with the biggest contracts."
    next_steps = "Extend the approach to estates."
    status = CaseStudy.Status.DRAFT

    @factory.post_generation
    def pillars(self, create, extracted, **kwargs):
        if create:
            self.pillars.set(extracted if extracted is not None else [pillar("purchasing")])

    @factory.post_generation
    def tags(self, create, extracted, **kwargs):
        if create and extracted:
            self.tags.set(extracted)


class PublishedCaseStudyFactory(CaseStudyFactory):
    status = CaseStudy.Status.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)
    submitted_at = factory.LazyFunction(timezone.now)


class SubmittedCaseStudyFactory(CaseStudyFactory):
    status = CaseStudy.Status.SUBMITTED
    submitted_at = factory.LazyFunction(timezone.now)


class OutcomeMeasureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutcomeMeasure

    case_study = factory.SubFactory(CaseStudyFactory)
    measure = "Spend with local suppliers"
    value = 42
    unit = "%"
    period = "2022 to 2023"


class TransitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Transition

    case_study = factory.SubFactory(CaseStudyFactory)
    action = "submitted"
    to_status = "submitted"
    at = factory.LazyFunction(timezone.now)
