"""Network insight and the open data page in a real browser: the charts and tables pass axe-core
for a visitor and for a coordinator, who also sees moderation and digest detail."""

import datetime as dt

from django.utils import timezone

from casestudies.models import CaseStudy
from network.models import Delivery, Digest
from tests.anchors.factories import OrganisationFactory, coordinator, region
from tests.casestudies.factories import (
    CaseStudyFactory,
    PublishedCaseStudyFactory,
    TransitionFactory,
)
from tests.e2e.conftest import sign_in
from tests.factories import UserFactory


def _some_activity() -> None:
    now = timezone.now()
    for days, code in ((2, "Y63"), (5, "Y56"), (40, "Y63")):
        organisation = OrganisationFactory(region=region(code), decided_at=now - dt.timedelta(days=days))
        PublishedCaseStudyFactory(organisation=organisation)
        decided = CaseStudyFactory(organisation=organisation, status=CaseStudy.Status.PUBLISHED)
        TransitionFactory(case_study=decided, action="submitted", from_status="draft", to_status="submitted",
                          at=now - dt.timedelta(days=days + 3))
        TransitionFactory(case_study=decided, action="published", from_status="submitted",
                          to_status="published", at=now - dt.timedelta(days=days))
    digest = Digest.objects.create(subject="Autumn round-up", status=Digest.Status.SENT, started_at=now)
    Delivery.objects.create(digest=digest, recipient=UserFactory(), status=Delivery.Status.SENT)


def test_insight_and_use_this_data_pages_for_a_visitor_and_a_coordinator(pages):
    _some_activity()
    pages.goto("/insight/")
    main = pages.page.inner_text("main")
    assert "Published case studies by pillar" in main
    assert "Time to a moderation decision" not in main

    pages.follow("main >> text=Use this data")
    assert "Open Government Licence v3.0" in pages.page.inner_text("main")

    sign_in(pages, coordinator().email)
    pages.goto("/insight/")
    main = pages.page.inner_text("main")
    assert "Time to a moderation decision" in main
    assert "Autumn round-up" in main
