"""Tables of the daily report: deliveries.

Imported by ``storage.models``, so its tables join ``Base.metadata``.
"""

from __future__ import annotations
