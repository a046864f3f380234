"""The Dataverse Web API connector (Dynamics 365 Sales), for the reference CRM and the real one."""
