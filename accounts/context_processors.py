from django.conf import settings


def site(request) -> dict:
    return {"SITE_NAME": "Anchors Learning Network", "SITE_URL": settings.SITE_URL}
