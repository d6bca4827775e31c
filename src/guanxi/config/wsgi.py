"""WSGI entry point."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

from guanxi.core.files import private_umask

private_umask()  # data files 0600, folders 0700 (guanxi.core.files)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.config.settings")
application = get_wsgi_application()
