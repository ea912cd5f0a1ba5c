
from django.db import migrations, models


def states_of_existing_versions(apps, schema_editor):
    """Before the workflow every saved text of a published policy was in force when saved: the
    current one of a published (or since expired) policy is published, the older ones of a
    policy ever published are superseded, the rest stay drafts."""
    Policy = apps.get_model("policies", "Policy")
    PolicyVersion = apps.get_model("policies", "PolicyVersion")
    live = Policy.objects.filter(status__in=["published", "expired"], current__isnull=False)
    PolicyVersion.objects.filter(pk__in=live.values("current_id")).update(state="published")
    ever = Policy.objects.filter(published_at__isnull=False)
    PolicyVersion.objects.filter(policy__in=ever, state="draft").update(state="superseded")


class Migration(migrations.Migration):

    dependencies = [
        ('policies', '0015_payout_history_and_bound'),
    ]

    operations = [
        migrations.AddField(
            model_name='policyversion',
            name='state',
            field=models.CharField(choices=[('draft', '草稿'), ('submitted', '已提交，待审批'), ('approved', '已审批，待发布'), ('published', '已发布'), ('superseded', '已被新版本取代')], default='draft', max_length=12, verbose_name='审批状态'),
        ),
        migrations.RunPython(states_of_existing_versions, migrations.RunPython.noop),
    ]
