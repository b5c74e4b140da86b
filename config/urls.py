from allauth.account.decorators import secure_admin_login
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from accounts import pages
from accounts import views as accounts_views
from api import views as api_views
from network import home
from sitecache import cached_for_visitors

from . import health

# The admin signs in through the site's own sign-in page, so its rate limits and MFA apply.
admin.autodiscover()
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Anchors Learning Network administration"
admin.site.site_title = "Anchors Learning Network"



class FaviconRedirect(RedirectView):
    permanent = True

    def get_redirect_url(self, *args, **kwargs) -> str:
        return static("dist/assets/images/favicon.ico")


# Pages in both languages: English at /..., Welsh at /cy/... (prefix_default_language=False
# keeps every English address, and every link already sent, unchanged).
urlpatterns = i18n_patterns(
    path("", home.retire_when_a_listed_event_ends(cached_for_visitors(home.home)), name="home"),
    path("privacy/", pages.privacy, name="privacy"),
    path("accessibility/", pages.accessibility, name="accessibility"),
    path("cookies/", pages.cookies, name="cookies"),
    path("account/", include("accounts.urls")),
    path("account/", include("allauth.urls")),
    # Each app names its own top-level paths (members/, case-studies/, groups/, digests/...).
    path("", include("anchors.urls")),
    path("", include("evidence.urls")),
    path("", include("casestudies.urls")),
    path("", include("network.urls")),
    path("", include("insight.urls")),
    path("", include("questions.urls")),
    # The "Use this data" page is for people: in both languages (the API itself stays English,
    # at one address). Link to it with {% url 'api_docs' %} to keep the reader's language.
    path("api/", api_views.docs, name="api_docs"),
    prefix_default_language=False,
)

# One address whatever the language: probes, machines and the admin.
urlpatterns += [
    path("favicon.ico", FaviconRedirect.as_view()),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("language/", accounts_views.language, name="language"),
    path("", include("api.urls")),
    path("admin/", admin.site.urls),
]

handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
