"""The whole schema: every table module imported, so ``metadata`` holds every table.

Alembic's environment (autogenerate, ``alembic check``) compares the database with this;
a new ``storage/models_<feature>.py`` is added to the imports here.
"""

from __future__ import annotations

from storage import models, models_reports, models_service, models_sources
from storage.base import Base

metadata = Base.metadata
"""Every table of the models, with the naming convention of ``storage.base``."""

MODULES = (models, models_reports, models_service, models_sources)
"""The table modules (imported for their tables)."""
