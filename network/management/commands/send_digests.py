from django.core.management.base import BaseCommand

from network import digests


class Command(BaseCommand):
    help = "Send whatever digests are due now: scheduled coordinators' digests and Monday's personal digests."

    def handle(self, *args, **options):
        started = digests.dispatch_due()
        personal = digests.personal_digests_run()
        self.stdout.write(f"Started {started} coordinator's digest(s).")
        if personal:
            self.stdout.write(f"Personal digests: {personal.deliveries.count()} queued.")
        else:
            self.stdout.write(
                "No personal digests are due now: they go from 08:00 UK time on Mondays "
                "(monthly ones on the first Monday)."
            )
