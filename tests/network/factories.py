import factory

from network.models import Group, GroupMembership, Thread


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group

    name = factory.Sequence(lambda n: f"Thematic group {n}")
    slug = factory.Sequence(lambda n: f"thematic-group-{n}")
    description = "People working on the same theme."
    kind = Group.Kind.THEMATIC
    join_policy = Group.JoinPolicy.OPEN


def join(group: Group, user, role=GroupMembership.Role.MEMBER) -> GroupMembership:
    return GroupMembership.objects.create(
        group=group, user=user, role=role, status=GroupMembership.Status.ACTIVE
    )


def thread_in(group: Group, author, title="A question") -> Thread:
    from network import services

    return services.thread_start(group=group, by=author, title=title, body="What do you think?")
