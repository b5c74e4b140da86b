"""Signed links in a question email: report misuse, and stop questions. Nothing is stored for a
link; a token only names the question (report) or the case study and address hash (stop), so
it still works after the question's text has been erased."""

from __future__ import annotations

from django.core import signing
from django.urls import reverse

from accounts.mail import absolute_url

REPORT_SALT = "questions.report"
STOP_SALT = "questions.stop"


def report_url(*, question_id: int) -> str:
    token = signing.dumps({"q": question_id}, salt=REPORT_SALT, compress=True)
    return absolute_url(reverse("questions:report", kwargs={"token": token}))


def read_report_token(token: str) -> int | None:
    try:
        data = signing.loads(token, salt=REPORT_SALT)
    except signing.BadSignature:
        return None
    question_id = data.get("q") if isinstance(data, dict) else None
    return question_id if isinstance(question_id, int) else None


def stop_url(*, case_study_id: int, address_hash: str) -> str:
    token = signing.dumps({"c": case_study_id, "h": address_hash}, salt=STOP_SALT, compress=True)
    return absolute_url(reverse("questions:stop", kwargs={"token": token}))


def read_stop_token(token: str) -> tuple[int, str] | None:
    """(case study id, address hash), or None when the token is not one of ours."""
    try:
        data = signing.loads(token, salt=STOP_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("c"), int) or not isinstance(data.get("h"), str):
        return None
    return data["c"], data["h"]
