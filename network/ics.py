"""Calendar files for group events."""

from django.utils.translation import gettext as _
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from accounts.mail import absolute_url

from .models import Event


def event_calendar(event: Event) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Anchors Learning Network//Group events//EN")
    calendar.add("version", "2.0")
    entry = CalendarEvent()
    entry.add("uid", f"event-{event.pk}@anchors-learning-network")
    entry.add("summary", event.title)
    entry.add("dtstart", event.starts_at)
    entry.add("dtend", event.ends_at)
    entry.add("dtstamp", event.created_at)
    if event.location:
        entry.add("location", event.location)
    description = event.description
    if event.online_url:
        join_online = _("Join online:")
        description = f"{description}\n\n{join_online} {event.online_url}".strip()
        entry.add("url", event.online_url)
    else:
        entry.add("url", absolute_url(event.group.get_absolute_url()))
    if description:
        entry.add("description", description)
    calendar.add_component(entry)
    return calendar.to_ical()
