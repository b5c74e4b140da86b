import pytest


@pytest.fixture
def mailbox(settings):
    """Run the email task in-process (CI sets a broker) and return Django's outbox."""
    from django.core import mail

    from accounts.mail import send_email

    conf = send_email.app.conf
    previous = conf.task_always_eager
    conf.task_always_eager = True
    settings.CELERY_TASK_ALWAYS_EAGER = True
    yield mail.outbox
    conf.task_always_eager = previous
