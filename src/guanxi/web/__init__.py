"""The web UI: layout, login, dashboard, customer and order pages, static assets."""
