"""couplet: connects a CRM and an ERP across the whole lead-to-cash process."""

__version__ = "0.1.0"
