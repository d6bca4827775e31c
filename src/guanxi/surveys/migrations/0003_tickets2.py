"""Survey answers' free texts encrypted at rest. Every value in clear is
encrypted under the current key (rolled back: decrypted into clear again)."""

import guanxi.core.fields
from django.db import migrations

from guanxi.core.keyring import plaintext_open, plaintext_seal


def seal(apps, schema_editor):
    plaintext_seal(schema_editor, apps.get_model("surveys", "Answer"), "text")
    plaintext_seal(schema_editor, apps.get_model("surveys", "Answer"), "scenario")
    plaintext_seal(schema_editor, apps.get_model("surveys", "Answer"), "pain_points")
    plaintext_seal(schema_editor, apps.get_model("surveys", "Answer"), "interests")


def unseal(apps, schema_editor):
    plaintext_open(schema_editor, apps.get_model("surveys", "Answer"), "text")
    plaintext_open(schema_editor, apps.get_model("surveys", "Answer"), "scenario")
    plaintext_open(schema_editor, apps.get_model("surveys", "Answer"), "pain_points")
    plaintext_open(schema_editor, apps.get_model("surveys", "Answer"), "interests")
    _checks_now(schema_editor)


def _checks_now(schema_editor):
    # PostgreSQL refuses to alter a table with updates of this transaction
    # still waiting on deferred constraint checks: run them now.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):

    dependencies = [
        ('surveys', '0002_defaults'),
    ]

    operations = [
        migrations.AlterField(
            model_name='answer',
            name='interests',
            field=guanxi.core.fields.EncryptedNoteField(blank=True, default='', null=True, verbose_name='interests'),
        ),
        migrations.AlterField(
            model_name='answer',
            name='pain_points',
            field=guanxi.core.fields.EncryptedNoteField(blank=True, default='', null=True, verbose_name='pain points'),
        ),
        migrations.AlterField(
            model_name='answer',
            name='scenario',
            field=guanxi.core.fields.EncryptedNoteField(blank=True, default='', null=True, verbose_name='usage scenario'),
        ),
        migrations.AlterField(
            model_name='answer',
            name='text',
            field=guanxi.core.fields.EncryptedNoteField(blank=True, default='', null=True, verbose_name='text'),
        ),
        migrations.RunPython(seal, unseal, elidable=False),
    ]
