"""A personal-data provider that fails, as a bug in an app's exporter would."""


def export(user):
    raise RuntimeError("this exporter is broken")
