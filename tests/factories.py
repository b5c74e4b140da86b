"""Factories shared by every app's tests. App-specific ones live beside their tests."""

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from accounts.models import User

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Faker("name", locale="en_GB")
    job_title = "Anchor programme manager"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        """Every factory person has a verified primary email unless verified=False."""
        if create:
            self.save()
            if extracted is not False:
                EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class ResourceFactory(factory.django.DjangoModelFactory):
    """A published resource that links to a web page; `status=...` for others, `pillars=[...]`."""

    class Meta:
        model = "casestudies.Resource"
        skip_postgeneration_save = True

    organisation = factory.SubFactory("tests.anchors.factories.OrganisationFactory")
    kind = "toolkit"
    title = factory.Sequence(lambda n: f"Social value procurement toolkit, edition {n}")
    slug = factory.Sequence(lambda n: f"resource-{n}")
    summary = "Questions and scoring to weigh local jobs and spending when buying."
    url = "https://www.health.org.uk/"
    suggested_by = factory.SubFactory(UserFactory)
    status = "published"
    submitted_at = factory.LazyFunction(timezone.now)
    published_at = factory.LazyAttribute(lambda o: o.submitted_at if o.status == "published" else None)

    @factory.post_generation
    def pillars(self, create, extracted, **kwargs):
        if create:
            from tests.anchors.factories import pillar

            self.pillars.set(extracted if extracted is not None else [pillar("purchasing")])

    @factory.post_generation
    def tags(self, create, extracted, **kwargs):
        if create and extracted:
            self.tags.set(extracted)
