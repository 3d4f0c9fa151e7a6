"""Transfer: the whole site as one archive (export and import), and CSV imports."""

from portal.domains import Domain
from portal.transfer import routes, tables

domain = Domain(name="portal.transfer", routes=routes.routes, tables=[tables])
