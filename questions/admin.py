from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import MisuseReport, Question


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["case_study", "asker", "asked_at"]
    list_select_related = ["case_study", "asker"]
    search_fields = ["case_study__title", "asker__email", "asker__full_name"]
    date_hierarchy = "asked_at"
    readonly_fields = ["asker", "case_study", "message", "asked_at"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(MisuseReport)
class MisuseReportAdmin(admin.ModelAdmin):
    """Coordinators review a reported question: who asked, about what, and what they wrote."""

    list_display = ["question", "asker", "reported_at", "reviewed"]
    list_filter = ["reviewed"]
    list_select_related = ["question__case_study", "question__asker"]
    readonly_fields = ["question", "asker", "message", "reported_at"]
    fields = ["question", "asker", "message", "reported_at", "reviewed", "notes"]

    @admin.display(description=_("asker"))
    def asker(self, report: MisuseReport):
        return report.question.asker or _("(account deleted)")

    @admin.display(description=_("message"))
    def message(self, report: MisuseReport) -> str:
        return report.question.message

    def has_add_permission(self, request) -> bool:
        return False
