"""Care task notes encrypted at rest: the column becomes encrypted
free text and every note in clear is encrypted under the current key (rolled
back: decrypted into clear again)."""

import guanxi.core.fields
from django.db import migrations

from guanxi.core.keyring import plaintext_open, plaintext_seal


def seal(apps, schema_editor):
    plaintext_seal(schema_editor, apps.get_model("care", "CareTask"), "note")


def unseal(apps, schema_editor):
    plaintext_open(schema_editor, apps.get_model("care", "CareTask"), "note")


class Migration(migrations.Migration):

    dependencies = [
        ('care', '0004_careinbox'),
    ]

    operations = [
        migrations.AlterField(
            model_name='caretask',
            name='note',
            field=guanxi.core.fields.EncryptedNoteField(blank=True, default='', null=True, verbose_name='note'),
        ),
        migrations.RunPython(seal, unseal, elidable=False),
    ]
