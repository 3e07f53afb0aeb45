"""Queue names. One plain worker consumes them all; production may give each its own worker
(the ``index`` queue wants a single consumer per matter's writer lock to contend less)."""

PARSE = "parse"
EMBED = "embed"
INDEX = "index"

ALL = (PARSE, EMBED, INDEX)
