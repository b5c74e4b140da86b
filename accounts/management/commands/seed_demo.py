from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.module_loading import import_string


class Command(BaseCommand):
    help = "Load the demo data (safe to run again: existing demo data is kept, not doubled)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--case-studies",
            type=int,
            default=0,
            metavar="N",
            help="Also add N synthetic published case studies (for benchmarks).",
        )

    def handle(self, *args, **options):
        for dotted in settings.SEED_DEMO_STEPS:
            step = import_string(dotted)
            with transaction.atomic():
                step(stdout=self.stdout, options=options)
        self.stdout.write(self.style.SUCCESS("Demo data is loaded."))
