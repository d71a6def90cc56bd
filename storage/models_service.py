"""Tables of the background service: scheduler state.

Imported by ``storage.models``, so its tables join ``Base.metadata``.
"""

from __future__ import annotations
