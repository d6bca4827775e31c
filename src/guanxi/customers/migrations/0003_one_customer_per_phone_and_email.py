# One customer per phone number and per email address (blind index), enforced
# by unique indexes where the value is present. A database that already holds
# two customers with one phone number or email address is refused with the
# customer ids to correct (no personal data), and stays as it was.

from django.conf import settings
from django.core.management.base import CommandError
from django.db import migrations, models
from django.db.models import Count
from django.utils.translation import gettext as _


def refuse_shared_contacts(apps, schema_editor):
    Customer = apps.get_model("customers", "Customer")
    shared = {}
    for column in ("phone_index", "email_index"):
        values = (
            Customer.objects.filter(**{f"{column}__isnull": False})
            .values(column)
            .annotate(n=Count("id"))
            .filter(n__gt=1)
            .values_list(column, flat=True)
        )
        shared[column] = list(values)
    if not any(shared.values()):
        return
    ids = sorted(
        Customer.objects.filter(
            models.Q(phone_index__in=shared["phone_index"])
            | models.Q(email_index__in=shared["email_index"])
        ).values_list("id", flat=True)
    )
    shown = ", ".join(str(i) for i in ids[:20]) + (", …" if len(ids) > 20 else "")
    raise CommandError(
        _(
            "%(phones)d phone numbers and %(emails)d email addresses belong to more "
            "than one customer (customer ids %(ids)s). Guanxi now keeps one customer "
            "per phone number and per email address: correct or delete these "
            "customers, then run the migration again. Nothing was changed."
        )
        % {
            "phones": len(shared["phone_index"]),
            "emails": len(shared["email_index"]),
            "ids": shown,
        }
    )


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0002_alter_customer_assigned_manager'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(refuse_shared_contacts, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='customer',
            constraint=models.UniqueConstraint(condition=models.Q(('phone_index__isnull', False)), fields=('phone_index',), name='customer_phone_unique', violation_error_message='Another customer has this phone number.'),
        ),
        migrations.AddConstraint(
            model_name='customer',
            constraint=models.UniqueConstraint(condition=models.Q(('email_index__isnull', False)), fields=('email_index',), name='customer_email_unique', violation_error_message='Another customer has this email address.'),
        ),
        # The unique indexes serve the lookups by blind index now.
        migrations.RemoveIndex(
            model_name='customer',
            name='customer_phone_idx',
        ),
        migrations.RemoveIndex(
            model_name='customer',
            name='customer_email_idx',
        ),
    ]
