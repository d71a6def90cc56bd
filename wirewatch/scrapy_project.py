"""The Scrapy project settings of the repository root (``scrapy.cfg``): `scrapy list` and
`scrapy crawl wire` get ``scrapers.settings`` plus the add-on that fills in sources,
topics and the database from wirewatch's own configuration.

`wirewatch crawl` and the service's workers start from ``scrapers.settings`` and fill the
``WIREWATCH_*`` settings themselves, so they do not use this module.
"""

from scrapers.settings import *  # noqa: F403  (Scrapy settings modules are flat)

ADDONS = {"wirewatch.scrapy_addon.WirewatchAddon": 0}
