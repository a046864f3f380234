"""The sales-document flows of lead-to-cash (integration-behaviour.md §5-§8)."""
