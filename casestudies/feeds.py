from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from anchors.models import Pillar, Region
from sitecache import cached_for_visitors

from .models import CaseStudy

FEED_SIZE = 30


class LatestCaseStudiesFeed(Feed):
    feed_type = Atom1Feed
    title = "New case studies – Anchors Learning Network"
    subtitle = "Case studies newly published by NHS anchor organisations."

    def __call__(self, request, *args, **kwargs):
        # Feed readers poll: every poll between two changes is served from the page cache.
        return cached_for_visitors(super().__call__)(request, *args, **kwargs)

    def link(self, obj=None):
        return reverse("casestudies:list")

    def filtered(self, obj):
        return CaseStudy.objects.published()

    def items(self, obj=None):
        return (
            self.filtered(obj)
            .defer("search_vector", "context", "approach", "outcomes", "lessons", "next_steps")
            .select_related("organisation")
            .order_by("-published_at", "-pk")[:FEED_SIZE]
        )

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.summary

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_author_name(self, item):
        return item.organisation.name


class PillarFeed(LatestCaseStudiesFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Pillar, slug=slug)

    def title(self, obj):
        return f"New case studies: {obj.name} – Anchors Learning Network"

    def link(self, obj):
        return reverse("casestudies:list") + f"?pillar={obj.slug}"

    def filtered(self, obj):
        return CaseStudy.objects.published().filter(pillars=obj)


class RegionFeed(LatestCaseStudiesFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Region, slug=slug)

    def title(self, obj):
        return f"New case studies: {obj.name} – Anchors Learning Network"

    def link(self, obj):
        return reverse("casestudies:list") + f"?region={obj.code}"

    def filtered(self, obj):
        return CaseStudy.objects.published().filter(organisation__region=obj)
