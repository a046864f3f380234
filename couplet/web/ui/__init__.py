"""The admin pages: server-rendered HTML with plain forms (POST, then redirect to a page that
shows the outcome), so they work without JavaScript."""
