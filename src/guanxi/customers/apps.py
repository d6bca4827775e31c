from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "guanxi.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        # Personal data (guanxi.privacy): the profile and everything hanging
        # on it are deleted last, after the other apps have erased theirs.
        from guanxi.core.personal_data import CASCADE, register
        from guanxi.customers.erasure import customer_erase_rows
        from guanxi.customers.models import (
            Customer,
            CustomerChange,
            CustomerIdentity,
            CustomerTag,
            Interaction,
        )

        register(
            Customer,
            app="customers",
            path="id",
            erase=customer_erase_rows,
            exclude=("name_tokens", "search_tokens", "phone_index", "email_index"),
            phase=90,
        )
        for model in (CustomerTag, CustomerIdentity, Interaction, CustomerChange):
            register(model, app="customers", path="customer_id", erase=CASCADE)
