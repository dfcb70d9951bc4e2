"""GH Archive events -> rows of the DevStats gha_* tables.

Three shapes of input are accepted: the Events API format (2015-01-01 on), the pre-2015 Timeline
format (no event id, ``actor`` is a login, ``repository{owner,name}``, thin payloads), and the
trimmed payloads GH Archive has published since 2025-10-07 (PushEvent without ``commits``/``size``,
slimmer pull requests). Missing fields become NULL, or a neutral value where the DevStats column is
NOT NULL, so a slimmer payload never loses the event.

One module per family of payload objects (commits, issues, pull requests, comments, repositories),
one for the event itself (:mod:`.events`) and one for the Timeline format (:mod:`.pre2015`). Rows
are built by column name (:mod:`.row_factories`) as tuples in the schema's column order; timestamps stay
ISO strings in UTC.
"""

from devstats_sync.normalize.events import KNOWN_TYPES, normalize
from devstats_sync.normalize.fields import event_id_of, hash_id, is_pre2015, repo_name_of, utc
from devstats_sync.normalize.row_factories import row
from devstats_sync.normalize.rows import Rows

__all__ = [
    "KNOWN_TYPES",
    "Rows",
    "event_id_of",
    "hash_id",
    "is_pre2015",
    "normalize",
    "repo_name_of",
    "row",
    "utc",
]
