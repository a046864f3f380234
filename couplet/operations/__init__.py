"""The application layer: one function per thing a person does through the CLI, the REST
API or the admin pages (set up, enable, edit mappings, queue runs, create orders, ...), so
the three interfaces cannot diverge. `Integration` is the façade they call; the modules
work against ports, and `wiring` hands them the concrete stores and connectors."""
