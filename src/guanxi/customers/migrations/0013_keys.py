"""Free text encrypted at rest: interaction notes, and the list queries kept by
saved views and bulk actions (a query may search for a phone number or a
name). Every value in clear is encrypted under the current key (rolled back:
decrypted into clear again)."""
import guanxi.core.fields
from django.db import migrations

from guanxi.core.keyring import plaintext_open, plaintext_seal


def seal(apps, schema_editor):
    plaintext_seal(schema_editor, apps.get_model("customers", "Interaction"), "note")
    plaintext_seal(schema_editor, apps.get_model("customers", "SavedView"), "query")
    plaintext_seal(schema_editor, apps.get_model("customers", "BulkAction"), "query")


def unseal(apps, schema_editor):
    plaintext_open(schema_editor, apps.get_model("customers", "Interaction"), "note")
    plaintext_open(schema_editor, apps.get_model("customers", "SavedView"), "query")
    plaintext_open(schema_editor, apps.get_model("customers", "BulkAction"), "query")


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0012_lang'),
    ]

    operations = [
        migrations.AlterField(
            model_name='bulkaction',
            name='query',
            field=guanxi.core.fields.EncryptedNoteField(blank=True, default='', null=True, verbose_name='query'),
        ),
        migrations.AlterField(
            model_name='interaction',
            name='note',
            field=guanxi.core.fields.EncryptedNoteField(blank=True, default='', null=True, verbose_name='note'),
        ),
        migrations.AlterField(
            model_name='savedview',
            name='query',
            field=guanxi.core.fields.EncryptedNoteField(blank=True, default='', null=True, verbose_name='query'),
        ),
        migrations.RunPython(seal, unseal, elidable=False),
    ]
