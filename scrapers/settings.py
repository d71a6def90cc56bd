"""Scrapy settings shared by every wirewatch crawl.

`wirewatch crawl` starts from these and overrides what the user's config decides
(user agent, limits, per-source delays, database). `scrapy crawl wire` run from the
repository root gets the same through ``wirewatch.scrapy_project`` (``scrapy.cfg``),
which adds the add-on that loads wirewatch's config; these settings name no module
above them.
"""

BOT_NAME = "wirewatch"
SPIDER_MODULES = ["scrapers.spiders"]
NEWSPIDER_MODULE = "scrapers.spiders"

USER_AGENT = "wirewatch/0.1 (+https://github.com/wirewatch/wirewatch; news-wire monitor)"
ROBOTSTXT_OBEY = True
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
LOG_INSTALL_ROOT_HANDLER = False

# Scrapy's own downloader lets a slot without a delay exceed its concurrency (see the module)
DOWNLOADER = "scrapers.downloader.SlotDownloader"
CONCURRENT_REQUESTS = 16
# Scrapy starts CONCURRENT_ITEMS asyncio tasks for every response's output; an article
# response yields one item, so the default 100 cost ~100 task creations per page.
CONCURRENT_ITEMS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024

RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
REDIRECT_MAX_TIMES = 5
# the spider records every failed request as one warning line and a stored failure
RETRY_GIVE_UP_LOG_LEVEL = "INFO"

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "scrapers.middlewares.CrawlDelayRobotsTxtMiddleware": 100,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "scrapers.middlewares.BackoffRetryMiddleware": 550,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "scrapers.middlewares.HeadMetaRefreshMiddleware": 580,
}
# an exception in a spider callback is a stored failure of its URL, never a silent loss
SPIDER_MIDDLEWARES = {"scrapers.spidermw.CallbackFailureMiddleware": 900}
# disabled above, but Scrapy would still import them (the remote control imports aiohttp)
EXTENSIONS = {
    "scrapy.extensions.remote_control.RemoteControl": None,
    "scrapy.extensions.telnet.TelnetConsole": None,
}
WIREWATCH_RETRY_BACKOFF_BASE = 1.0
WIREWATCH_RETRY_BACKOFF_MAX = 60.0
WIREWATCH_RETRY_AFTER_MAX = 10.0
WIREWATCH_MAX_RETRY_AFTER = 86400.0
WIREWATCH_MAX_CRAWL_DELAY = 60.0

ITEM_PIPELINES = {
    "pipelines.extract.ExtractPipeline": 100,
    "pipelines.store.StorePipeline": 800,
}

LOG_LEVEL = "INFO"
LOGSTATS_INTERVAL = 30.0
