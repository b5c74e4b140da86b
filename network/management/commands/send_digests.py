from django.core.management.base import BaseCommand

from network import digests, services


class Command(BaseCommand):
    help = "Send whatever digests are due now: scheduled coordinators' digests and Monday's personal digests."

    def handle(self, *args, **options):
        started = digests.dispatch_due()
        if started is None:
            self.stdout.write(
                "Another scheduler is starting due digests at this moment, so this run left them to it."
            )
        elif started:
            self.stdout.write(f"Started {started} coordinators' digest{'s' if started != 1 else ''}.")
        else:
            self.stdout.write("No coordinators' digests are due.")
        run, queued = services.digest_personal_run()
        if run is None:
            self.stdout.write(
                "No personal digests are due now: they go from 08:00 UK time on Mondays "
                "(monthly ones on the first Monday)."
            )
        elif queued:
            self.stdout.write(f"Personal digests: {queued} queued.")
        else:
            earlier = run.deliveries.count()
            if earlier:
                self.stdout.write(
                    f"Personal digests: none queued this time. {earlier} "
                    f"{'was' if earlier == 1 else 'were'} queued earlier today; "
                    "nobody else has anything new."
                )
            else:
                self.stdout.write(
                    "Personal digests: none queued, as nobody has anything new since their last digest."
                )
