import pytest

from accounts import demo as accounts_demo
from anchors import demo as anchors_demo
from casestudies import demo as casestudies_demo
from network import demo
from network.models import Delivery, Digest, Group, Post
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_the_demo_has_groups_a_discussion_and_a_sent_digest_and_is_safe_to_run_twice(client):
    accounts_demo.seed()
    anchors_demo.seed()
    casestudies_demo.seed()
    demo.seed()
    counts = (Group.objects.count(), Post.objects.count(), Delivery.objects.count(), Digest.objects.count())
    demo.seed()
    assert (Group.objects.count(), Post.objects.count(), Delivery.objects.count(), Digest.objects.count()) == counts

    digest = Digest.objects.get(status=Digest.Status.SENT)
    assert digest.deliveries.filter(status=Delivery.Status.SENT).count() >= 2
    assert digest.deliveries.filter(status=Delivery.Status.FAILED).count() == 1
    coordinator = accounts_demo.demo_user("coordinator")
    coordinator.set_password(PASSWORD)
    coordinator.save()
    client.force_login(coordinator)
    report = client.get(digest.get_absolute_url()).content.decode()
    assert "Recipient address rejected" in report


def test_the_demo_discussion_shows_its_formatting(client):
    accounts_demo.seed()
    anchors_demo.seed()
    casestudies_demo.seed()
    demo.seed()
    post = Post.objects.get(body__contains="**15%**")
    client.force_login(accounts_demo.demo_user("member"))
    page = client.get(post.thread.get_absolute_url()).content.decode()
    assert "<strong>15%</strong>" in page
    assert "**15%**" not in page
