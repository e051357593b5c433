"""A team's head is its `head` field alone (leads.querysets.headed_team_ids); a head of sales used to head their own
team by being in it as well. A team with no head set and exactly one active head of sales among its people gets that
person as its head, so nobody loses the team they worked; with two or more, the administrator picks one."""

from django.db import migrations


def heads_from_members(apps, schema_editor):  # type: ignore[no-untyped-def]
    Team = apps.get_model("accounts", "Team")
    User = apps.get_model("accounts", "User")
    for team in Team.objects.filter(head__isnull=True):
        heads = list(User.objects.filter(team=team, role="head", is_active=True).values_list("pk", flat=True)[:2])
        if len(heads) == 1:
            Team.objects.filter(pk=team.pk).update(head_id=heads[0])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0007_team_deadlines_within_reach")]

    operations = [migrations.RunPython(heads_from_members, migrations.RunPython.noop)]
