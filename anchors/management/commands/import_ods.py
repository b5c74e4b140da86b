from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from anchors.ods import NotAnOdsFile, import_ods


class Command(BaseCommand):
    help = "Load the ODS trusts file (etr.csv, no header row) as NHS organisations people can register."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}") from error
        try:
            result = import_ods(data)
        except NotAnOdsFile as error:
            raise CommandError(f"{file} is not an ODS trusts file: {error}") from error
        for _line, message in result.rejected:
            self.stderr.write(f"Skipped {message}")
        self.stdout.write(result.summary())
