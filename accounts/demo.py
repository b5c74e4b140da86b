"""Demo accounts for `make run`. Every demo person signs in with DEMO_PASSWORD."""

from allauth.account.models import EmailAddress

from .models import User

DEMO_PASSWORD = "anchors-demo-2026"  # noqa: S105 - printed on purpose for local demos

DEMO_PEOPLE = [
    # (key, email, full name, job title, superuser)
    ("coordinator", "coordinator@example.org", "Priya Shah", "Network coordinator", True),
    ("lead", "lead@example.org", "Tom Fenwick", "Regional anchor lead, North East and Yorkshire", False),
    ("admin", "admin@example.org", "Joanne Reed", "Head of Social Value, Northumbria Healthcare", False),
    ("member", "member@example.org", "Sam Okafor", "Procurement manager, Northumbria Healthcare", False),
]


def demo_user(key: str) -> User:
    email = next(row[1] for row in DEMO_PEOPLE if row[0] == key)
    return User.objects.get(email=email)


def seed(stdout=None, options=None) -> None:
    """Create the demo people who are missing, with verified emails, and print their sign-ins.

    People who exist are left as they are (a changed name or password stays changed)."""
    for _key, email, full_name, job_title, superuser in DEMO_PEOPLE:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email=email,
                password=DEMO_PASSWORD,
                full_name=full_name,
                job_title=job_title,
                is_staff=superuser,
                is_superuser=superuser,
            )
            EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    if stdout is not None:
        stdout.write(f"Demo sign-ins (password for all: {DEMO_PASSWORD}):")
        for key, email, full_name, job_title, _ in DEMO_PEOPLE:
            stdout.write(f"  {key:<12} {email:<28} {full_name} ({job_title})")
