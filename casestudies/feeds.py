"""Atom feeds of newly published case studies and resources: everything, per pillar, per region.

A feed holds the FEED_SIZE newest of both together: the newest FEED_SIZE of each are read (one
query each) and merged by publication time. A resource belongs to a region's feed when an
organisation of that region made it (search.made_by_one_of); one made by a partner named only
appears in the feed of everything and its pillars' feeds."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anchors.models import Organisation, Pillar, Region
from sitecache import cached_for_visitors

from .models import CaseStudy, Resource
from .search import made_by_one_of

FEED_SIZE = 30


class LatestCaseStudiesFeed(Feed):
    feed_type = Atom1Feed
    title = gettext_lazy("New case studies and resources – Anchors Learning Network")
    subtitle = gettext_lazy(
        "Case studies, toolkits, guides, templates, reports and event recordings newly published by NHS "
        "anchor organisations."
    )

    def __call__(self, request, *args, **kwargs):
        # Feed readers poll: every poll between two changes is served from the page cache.
        return cached_for_visitors(super().__call__)(request, *args, **kwargs)

    def link(self, obj=None):
        return reverse("casestudies:list")

    def filtered(self, obj):
        return CaseStudy.objects.published()

    def filtered_resources(self, obj):
        return Resource.objects.published()

    def items(self, obj=None):
        case_studies = list(
            self.filtered(obj)
            .defer("search_vector", "context", "approach", "outcomes", "lessons", "next_steps")
            .select_related("organisation")
            .order_by("-published_at", "-pk")[:FEED_SIZE]
        )
        resources = list(
            self.filtered_resources(obj)
            .select_related("organisation", "partner_organisation")
            .order_by("-published_at", "-pk")[:FEED_SIZE]
        )
        newest = sorted(case_studies + resources, key=lambda item: item.published_at, reverse=True)
        return newest[:FEED_SIZE]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.summary

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_author_name(self, item):
        return item.made_by if isinstance(item, Resource) else item.organisation.name

    def item_categories(self, item):
        return [item.get_kind_display() if isinstance(item, Resource) else _("Case study")]


class PillarFeed(LatestCaseStudiesFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Pillar, slug=slug)

    def title(self, obj):
        return _("New case studies and resources: %(pillar)s – Anchors Learning Network") % {"pillar": obj.label}

    def link(self, obj):
        return reverse("casestudies:list") + f"?pillar={obj.slug}"

    def filtered(self, obj):
        return CaseStudy.objects.published().filter(pillars=obj)

    def filtered_resources(self, obj):
        return Resource.objects.published().filter(pillars=obj)


class RegionFeed(LatestCaseStudiesFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Region, slug=slug)

    def title(self, obj):
        return _("New case studies and resources: %(region)s – Anchors Learning Network") % {"region": obj.label}

    def link(self, obj):
        return reverse("casestudies:list") + f"?region={obj.code}"

    def filtered(self, obj):
        return CaseStudy.objects.published().filter(organisation__region=obj)

    def filtered_resources(self, obj):
        return Resource.objects.published().filter(made_by_one_of(Organisation.objects.filter(region=obj).values("pk")))
