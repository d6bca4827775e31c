"""What the audit log records: one word per kind of event."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    CUSTOMER_VIEWED = "customer.viewed", _("Viewed a customer's personal fields")
    CUSTOMER_EDITED = "customer.edited", _("Changed a customer's fields")
    EXPORTED = "export", _("Exported data")
    MANAGER_ASSIGNED = "scope.assigned", _("Changed a customer's account manager")
    STAFF_ADDED = "staff.added", _("Added a colleague")
    ROLE_CHANGED = "staff.role", _("Changed a colleague's role")
    STAFF_DEACTIVATED = "staff.deactivated", _("Deactivated a colleague")
    STAFF_REACTIVATED = "staff.reactivated", _("Reactivated a colleague")
    SETTINGS_CHANGED = "settings.changed", _("Changed settings")
    CONSENT_RECORDED = "consent.recorded", _("Recorded consent")
    KEY_ROTATED = "key.rotated", _("Rotated a key")
    KEY_PRUNED = "key.pruned", _("Dropped retired keys")
    # Data-subject requests and retention (guanxi.privacy).
    PRIVACY_REQUEST = "privacy.request", _("Opened or completed a data-subject request")
    PRIVACY_EXPORTED = "privacy.exported", _("Exported a customer's personal data")
    PRIVACY_ERASED = "privacy.erased", _("Erased a customer")
    RETENTION_PURGED = "retention.purged", _("Purged data past its retention")
    TOKEN_ISSUED = "token.issued", _("Made an API token")
    TOKEN_REVOKED = "token.revoked", _("Revoked an API token")
    # Two-step login (guanxi.access.twofactor).
    TOTP_ENABLED = "twofactor.enabled", _("Turned two-step login on")
    TOTP_DISABLED = "twofactor.disabled", _("Turned two-step login off")
    TOTP_RESET = "twofactor.reset", _("Reset a colleague's two-step login")
    # Side doors (issue 13 item 7): refused values held outside one's scope,
    # searches by contact value, bulk API reads, unlocked logins, alerts.
    SCOPE_CONFLICT = "scope.conflict", _("Wrote a value held outside their scope")
    CONTACT_SEARCHED = "search.contact", _("Searched by phone or e-mail")
    BULK_READ = "api.bulk_read", _("Read many records through the API")
    LOGIN_UNLOCKED = "login.unlocked", _("Unlocked a colleague's login")
    SEARCH_ALERT = "alert.searches", _("Unusual number of contact searches")
    # Ticket attachments (guanxi.feedback): who downloaded one, of which
    # ticket; never the file's name.
    ATTACHMENT_DOWNLOADED = "attachment.downloaded", _("Downloaded a ticket attachment")
    # Files left without their row (a rolled-back upload): counts only.
    ATTACHMENT_SWEPT = "attachment.swept", _("Removed attachment files without a row")
