"""Ticket texts encrypted at rest: the ticket's text and close reason and the
text of every thread entry. Every value in clear is encrypted under the
current key (rolled back: decrypted into clear again)."""

import guanxi.core.fields
from django.db import migrations

from guanxi.core.keyring import plaintext_open, plaintext_seal


def seal(apps, schema_editor):
    plaintext_seal(schema_editor, apps.get_model("feedback", "Ticket"), "text")
    plaintext_seal(schema_editor, apps.get_model("feedback", "Ticket"), "close_reason")
    plaintext_seal(schema_editor, apps.get_model("feedback", "TicketEntry"), "text")


def unseal(apps, schema_editor):
    plaintext_open(schema_editor, apps.get_model("feedback", "Ticket"), "text")
    plaintext_open(schema_editor, apps.get_model("feedback", "Ticket"), "close_reason")
    plaintext_open(schema_editor, apps.get_model("feedback", "TicketEntry"), "text")
    _checks_now(schema_editor)


def _checks_now(schema_editor):
    # PostgreSQL refuses to alter a table with updates of this transaction
    # still waiting on deferred constraint checks: run them now.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):

    dependencies = [
        ('feedback', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='ticket',
            name='close_reason',
            field=guanxi.core.fields.EncryptedNoteField(blank=True, default='', null=True, verbose_name='reason'),
        ),
        migrations.AlterField(
            model_name='ticket',
            name='text',
            field=guanxi.core.fields.EncryptedNoteField(blank=True, default='', null=True, verbose_name='text'),
        ),
        migrations.AlterField(
            model_name='ticketentry',
            name='text',
            field=guanxi.core.fields.EncryptedNoteField(blank=True, default='', null=True, verbose_name='text'),
        ),
        migrations.RunPython(seal, unseal, elidable=False),
    ]
