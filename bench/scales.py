"""What the benchmark seeds, and the names and numbers the seed and the runner share.

Nothing here imports the project, so that run.py can stay apart from the code it measures.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    ideas: int
    votes: int
    comments: int
    members: int


SCALES = {
    "S": Scale(ideas=1_000, votes=10_000, comments=2_000, members=1_000),
    "M": Scale(ideas=100_000, votes=1_000_000, comments=200_000, members=20_000),
}
# Member 1 signs in for the benchmark and starts with no votes, so that its vote toggles
# really insert and delete rows. Every member has this password.
BENCH_MEMBER_ID = 1
BENCH_USERNAME = "bench"
BENCH_PASSWORD = "roundtable-bench"
# The idea whose page the benchmark reads: it gets exactly this many comments.
FIFTY_COMMENTS_IDEA_ID = 1
FIFTY_COMMENTS = 50
# A word in about one title in fifteen, and a title that shares words with many ideas.
SEARCH_WORD = "dashboard"
SIMILAR_TITLE = "Export weekly reports from the dashboard"
