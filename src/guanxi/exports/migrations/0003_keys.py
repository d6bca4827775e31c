"""The list query an export was asked for with is encrypted at rest (it may
search for a phone number or a name). Every value in clear is encrypted under
the current key (rolled back: decrypted into clear again)."""
import guanxi.core.fields
from django.db import migrations

from guanxi.core.keyring import plaintext_open, plaintext_seal


def seal(apps, schema_editor):
    plaintext_seal(schema_editor, apps.get_model("exports", "ExportRecord"), "query")


def unseal(apps, schema_editor):
    plaintext_open(schema_editor, apps.get_model("exports", "ExportRecord"), "query")


class Migration(migrations.Migration):

    dependencies = [
        ('exports', '0002_export_in_background'),
    ]

    operations = [
        migrations.AlterField(
            model_name='exportrecord',
            name='query',
            field=guanxi.core.fields.EncryptedNoteField(blank=True, default='', help_text="The list's query string the export was asked for with.", null=True, verbose_name='filter'),
        ),
        migrations.RunPython(seal, unseal, elidable=False),
    ]
