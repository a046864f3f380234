"""OData server pieces shared by the reference CRM and ERP.

Both services are tables behind an OData v4 surface. What differs between the two APIs
(error bodies, ETag format, lookup syntax, paging limits) is expressed by a `Dialect`;
everything else - query options, keyset paging, row versions, change tracking, auth and
throttling - lives here once.
"""
