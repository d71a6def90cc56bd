"""Tables of the wire-sources feature: polling state and story clusters.

Imported by ``storage.models``, so its tables join ``Base.metadata``.
"""

from __future__ import annotations
