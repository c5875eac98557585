"""Discovery: recurring arguments that no argument of the guild explains yet.

- ``clustering``: groups similar messages and keeps the groups that recur (pure numpy);
- ``service``: runs that over a guild's unexplained messages and stores candidates;
- ``candidates``: the moderators' approve, dismiss and merge.

Part of the engine: imports the store and the core, and the tagging service only for its type.
"""

from bot.engine.discovery.candidates import approve_candidate, dismiss_candidate, merge_candidate
from bot.engine.discovery.clustering import Cluster, ClusterItem, find_recurring_clusters, text_key, trim, words
from bot.engine.discovery.service import CandidateResult, discover

__all__ = [
    "CandidateResult",
    "Cluster",
    "ClusterItem",
    "approve_candidate",
    "discover",
    "dismiss_candidate",
    "find_recurring_clusters",
    "merge_candidate",
    "text_key",
    "trim",
    "words",
]
