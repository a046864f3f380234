"""The reference CRM: Dynamics 365 Sales' tables and rules behind a Dataverse Web API subset."""
