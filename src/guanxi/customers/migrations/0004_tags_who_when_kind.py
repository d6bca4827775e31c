# Tags get a kind (manual, or automatic: set by every scoring run), an English
# name for automatic ones and a kept count of customers; the customer-tag link
# becomes a table of its own (customers_customertag) that says who set a tag,
# when and how. Existing links are copied into it as imported ones (demo data,
# imports and API writes made them; nobody is recorded as their author) and the
# old table is dropped. Customers get birth_month in the clear beside
# birth_year (filled here from the encrypted birthday, once).

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

BATCH = 2000


def copy_links(apps, schema_editor):
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    stamp = connection.ops.adapt_datetimefield_value(django.utils.timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote('customers_customertag')} "
            "(customer_id, tag_id, source, added_by_id, added_at) "
            f"SELECT customer_id, tag_id, 'import', NULL, %s "
            f"FROM {quote('customers_customer_tags')}",
            [stamp],
        )
        cursor.execute(
            f"UPDATE {quote('customers_tag')} SET customer_count = ("
            f"SELECT COUNT(*) FROM {quote('customers_customertag')} l "
            f"WHERE l.tag_id = {quote('customers_tag')}.id)"
        )


def fill_birth_month(apps, schema_editor):
    Customer = apps.get_model("customers", "Customer")
    born = Customer.objects.filter(birth_year__isnull=False).order_by("pk")
    last = 0
    while True:
        chunk = list(born.filter(pk__gt=last).only("pk", "birthday")[:BATCH])
        if not chunk:
            return
        by_month: dict[int, list[int]] = {}
        for customer in chunk:
            if customer.birthday is not None:
                by_month.setdefault(customer.birthday.month, []).append(customer.pk)
        for month, pks in by_month.items():
            Customer.objects.filter(pk__in=pks).update(birth_month=month)
        last = chunk[-1].pk


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0003_one_customer_per_phone_and_email"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="tag",
            name="name_en",
            field=models.CharField(
                blank=True, default="", max_length=64, verbose_name="English name"
            ),
        ),
        migrations.AddField(
            model_name="tag",
            name="kind",
            field=models.CharField(
                choices=[("manual", "Manual"), ("automatic", "Automatic")],
                default="manual",
                max_length=12,
                verbose_name="kind",
            ),
        ),
        migrations.AddField(
            model_name="tag",
            name="key",
            field=models.CharField(
                blank=True,
                max_length=100,
                null=True,
                unique=True,
                verbose_name="rule key",
            ),
        ),
        migrations.AddField(
            model_name="tag",
            name="customer_count",
            field=models.PositiveIntegerField(default=0, verbose_name="customers"),
        ),
        migrations.AddField(
            model_name="tag",
            name="created_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now, verbose_name="created"
            ),
        ),
        migrations.AlterField(
            model_name="tag",
            name="color",
            field=models.CharField(
                blank=True,
                choices=[
                    ("", "Default"),
                    ("red", "Red"),
                    ("orange", "Orange"),
                    ("amber", "Amber"),
                    ("green", "Green"),
                    ("teal", "Teal"),
                    ("blue", "Blue"),
                    ("violet", "Violet"),
                    ("gray", "Grey"),
                ],
                default="",
                max_length=16,
                verbose_name="color",
            ),
        ),
        migrations.AddConstraint(
            model_name="tag",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("key__isnull", True), ("kind", "manual")),
                    models.Q(("key__isnull", False), ("kind", "automatic")),
                    _connector="OR",
                ),
                name="tag_key_iff_automatic",
                violation_error_message="only automatic tags have a rule key",
            ),
        ),
        migrations.CreateModel(
            name="CustomerTag",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "customer",
                        "tag",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                (
                    "customer",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="tag_links",
                        to="customers.customer",
                        verbose_name="customer",
                    ),
                ),
                (
                    "tag",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="customer_links",
                        to="customers.tag",
                        verbose_name="tag",
                    ),
                ),
                (
                    "source",
                    models.CharField(
                        choices=[
                            ("manual", "Set by hand"),
                            ("automatic", "Scoring run"),
                            ("import", "Import"),
                        ],
                        default="manual",
                        max_length=12,
                        verbose_name="source",
                    ),
                ),
                (
                    "added_by",
                    models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="added by",
                    ),
                ),
                (
                    "added_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="added"
                    ),
                ),
            ],
            options={
                "verbose_name": "customer tag",
                "verbose_name_plural": "customer tags",
                "indexes": [
                    models.Index(
                        fields=["tag", "customer"], name="customertag_tag_idx"
                    ),
                    models.Index(
                        condition=models.Q(("added_by__isnull", False)),
                        fields=["added_by"],
                        name="customertag_added_by_idx",
                    ),
                ],
            },
        ),
        migrations.RunPython(copy_links, migrations.RunPython.noop),
        migrations.RemoveField(model_name="customer", name="tags"),
        migrations.AddField(
            model_name="customer",
            name="tags",
            field=models.ManyToManyField(
                blank=True,
                related_name="customers",
                through="customers.CustomerTag",
                to="customers.tag",
                verbose_name="tags",
            ),
        ),
        migrations.AddField(
            model_name="customer",
            name="birth_month",
            field=models.PositiveSmallIntegerField(
                blank=True, editable=False, null=True, verbose_name="birth month"
            ),
        ),
        migrations.RunPython(fill_birth_month, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["birth_month"], name="customer_birth_month_idx"),
        ),
    ]
