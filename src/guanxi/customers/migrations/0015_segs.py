"""An index on (gender, city): segments' profile rules on gender, alone or
with a city, are counted from it alone (docs/benchmarks/segments.md)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0014_journeys"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                fields=["gender", "city"], name="customer_gender_city_idx"
            ),
        ),
    ]
