import datetime

from django import forms
from django.utils import dateformat, timezone
from django.utils.translation import gettext, gettext_lazy, pgettext

from anchors.forms import LabelChoiceField, LabelMultipleChoiceField
from anchors.models import Pillar
from casestudies.markdown import validate_markdown

from .models import POST_MAX_LENGTH, Group

MARKDOWN_HELP = gettext_lazy("You can use Markdown: *emphasis*, **bold**, lists and links.")


def _post_body(value: str) -> None:
    validate_markdown(value, max_length=POST_MAX_LENGTH)


class GroupForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=150)
    description = forms.CharField(
        label=gettext_lazy("Description"), widget=forms.Textarea(attrs={"rows": 4})
    )
    pillar = LabelChoiceField(
        queryset=Pillar.objects.all(),
        required=False,
        label=gettext_lazy("Pillar"),
        empty_label=gettext_lazy("No particular pillar"),
        help_text=gettext_lazy("Published case studies on this pillar appear on the group's page."),
    )
    join_policy = forms.ChoiceField(
        label=gettext_lazy("Who can join"), choices=Group.JoinPolicy.choices, widget=forms.RadioSelect
    )


class JoinRequestForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why would you like to join?"),
        help_text=gettext_lazy("The group's leads read this when they decide."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class ThreadForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    body = forms.CharField(
        label=gettext_lazy("Your message"),
        help_text=MARKDOWN_HELP,
        widget=forms.Textarea(attrs={"rows": 8}),
        validators=[_post_body],
    )
    email_author_on_reply = forms.BooleanField(
        label=gettext_lazy("Email me when someone replies"), required=False, initial=True
    )


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Your reply"),
        help_text=MARKDOWN_HELP,
        widget=forms.Textarea(attrs={"rows": 5}),
        validators=[_post_body],
    )


class ReportPostForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("What is wrong with this post?"),
        help_text=gettext_lazy("Only the group's leads see this. They decide whether to hide the post."),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class HidePostForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why are you hiding this post?"),
        help_text=gettext_lazy("Members see this in place of the post."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class UKDateTimeField(forms.DateTimeField):
    """A date and time typed as people in the UK write it. The site's TIME_ZONE is
    Europe/London, so Django reads it as UK time, summer or winter."""

    input_formats = ["%d/%m/%Y %H:%M", "%d/%m/%Y %H.%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"]

    def to_python(self, value):
        try:
            return super().to_python(value)
        except forms.ValidationError as error:
            if getattr(error, "code", None) != "ambiguous_timezone":
                raise
            raise forms.ValidationError(
                clock_change_message(error.params["datetime"]), code="clock_change"
            ) from error


def _spoken_time(value: datetime.datetime) -> str:
    """1:30am, 12 noon, 2pm: times as people say them."""
    if value.hour == 12 and value.minute == 0:
        return gettext("12 noon")
    hour = value.hour % 12 or 12
    suffix = pgettext("before noon", "am") if value.hour < 12 else pgettext("after noon", "pm")
    return f"{hour}:{value.minute:02d}{suffix}" if value.minute else f"{hour}{suffix}"


def clock_change_message(naive: datetime.datetime) -> str:
    """Why a UK time that falls in a clock change cannot be used, in plain words."""
    london = timezone.get_current_timezone()
    when = gettext("%(time)s on %(date)s") % {
        "time": _spoken_time(naive),
        "date": dateformat.format(naive, "j F Y"),
    }
    # In the spring gap a wall time has two different offsets and neither round-trips.
    before = naive.replace(tzinfo=london, fold=0)
    gap = before.astimezone(datetime.UTC).astimezone(london).replace(tzinfo=None) != naive
    if gap:
        return gettext(
            "%(when)s does not exist in UK time because the clocks go forward an hour at 1am; "
            "choose another time"
        ) % {"when": when}
    return gettext(
        "%(when)s happens twice in UK time because the clocks go back an hour at 2am; "
        "choose a time before 1am or from 2am"
    ) % {"when": when}


class EventForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    starts_at = UKDateTimeField(
        label=gettext_lazy("Starts"), help_text=gettext_lazy("UK time, for example 14/01/2027 10:00")
    )
    ends_at = UKDateTimeField(
        label=gettext_lazy("Ends"), help_text=gettext_lazy("UK time, for example 14/01/2027 12:00")
    )
    location = forms.CharField(label=gettext_lazy("Place"), max_length=255, required=False)
    online_url = forms.URLField(
        label=gettext_lazy("Online link"),
        required=False,
        assume_scheme="https",
        help_text=gettext_lazy("For example, a Teams or Zoom link"),
    )
    description = forms.CharField(
        label=gettext_lazy("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts and ends and ends < starts:
            self.add_error("ends_at", gettext("The event must end after it starts."))
        if not cleaned.get("location") and not cleaned.get("online_url") and not self.errors.get(
            "online_url"
        ):
            self.add_error("location", gettext("Give a place or an online link."))
        return cleaned


class DigestForm(forms.Form):
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=200)
    introduction = forms.CharField(
        label=gettext_lazy("Introduction"), widget=forms.Textarea(attrs={"rows": 6})
    )
    case_studies = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Case studies"),
        help_text=gettext_lazy("Those published since the last digest are ticked for you."),
    )
    resources = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Resources"),
        help_text=gettext_lazy("Those published since the last digest are ticked for you."),
    )
    audience = forms.ChoiceField(label=gettext_lazy("Audience"), widget=forms.RadioSelect)
    regions = LabelMultipleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Regions"),
        help_text=gettext_lazy("Only when sending to people in some regions."),
    )
    groups = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Groups"),
        help_text=gettext_lazy("Only when sending to members of some groups."),
    )

    def __init__(self, *args, **kwargs):
        from anchors.models import Region
        from casestudies.models import CaseStudy, Resource

        from .models import Digest

        super().__init__(*args, **kwargs)
        self.fields["case_studies"].queryset = CaseStudy.objects.published().order_by("-published_at")
        self.fields["resources"].queryset = Resource.objects.published().order_by("-published_at", "-pk")
        self.fields["audience"].choices = Digest.Audience.choices
        self.fields["regions"].queryset = Region.objects.order_by("name")
        self.fields["groups"].queryset = Group.objects.order_by("name")

    def clean(self):
        cleaned = super().clean()
        audience = cleaned.get("audience")
        if audience == "regions" and not cleaned.get("regions"):
            self.add_error("regions", gettext("Choose at least one region."))
        if audience == "groups" and not cleaned.get("groups"):
            self.add_error("groups", gettext("Choose at least one group."))
        return cleaned


class ScheduleForm(forms.Form):
    send_at = UKDateTimeField(
        label=gettext_lazy("Send at"), help_text=gettext_lazy("UK time, for example 14/01/2027 08:00")
    )

    def clean_send_at(self):
        from django.utils import timezone

        value = self.cleaned_data["send_at"]
        if value <= timezone.now():
            raise forms.ValidationError(gettext("The time to send must be in the future."))
        return value


class PreferenceForm(forms.Form):
    frequency = forms.ChoiceField(
        widget=forms.RadioSelect, label=gettext_lazy("How often do you want a personal digest?")
    )
    pillars = LabelMultipleChoiceField(
        queryset=Pillar.objects.order_by("name"), required=False, widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Pillars you are interested in"),
    )
    regions = LabelMultipleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Regions you are interested in"),
    )
    coordinator_digests = forms.BooleanField(
        required=False, label=gettext_lazy("Send me the network coordinators' digests")
    )

    def __init__(self, *args, **kwargs):
        from anchors.models import Region

        from .models import DigestPreference

        super().__init__(*args, **kwargs)
        self.fields["frequency"].choices = DigestPreference.Frequency.choices
        self.fields["regions"].queryset = Region.objects.order_by("name")


class FollowTopicsForm(forms.Form):
    """The pillars and regions a person follows, as ticked boxes."""

    pillars = LabelMultipleChoiceField(
        queryset=Pillar.objects.order_by("position", "name"), required=False,
        widget=forms.CheckboxSelectMultiple, label=gettext_lazy("Pillars you follow"),
    )
    regions = LabelMultipleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Regions you follow"),
    )

    def __init__(self, *args, **kwargs):
        from anchors.models import Region

        super().__init__(*args, **kwargs)
        self.fields["regions"].queryset = Region.objects.order_by("name")


class FollowTagForm(forms.Form):
    """Follow a tag by name: one that case studies or resources already carry."""

    tag = forms.CharField(
        label=gettext_lazy("Follow a tag"), max_length=100,
        help_text=gettext_lazy("For example, local procurement. Tags are shown on case studies and resources."),
        error_messages={
            "required": gettext_lazy("Enter a tag to follow"),
            "max_length": gettext_lazy("A tag must be 100 characters or fewer"),
        },
    )

    def clean_tag(self):
        from taggit.models import Tag

        name = " ".join(self.cleaned_data["tag"].split())
        found = Tag.objects.filter(name__iexact=name).first()
        if found is None:
            raise forms.ValidationError(
                gettext_lazy("No case study or resource has the tag “%(name)s” yet. Check the spelling."),
                params={"name": name},
            )
        return found
