"""Project configuration: settings, URLs, WSGI and the task queue."""
