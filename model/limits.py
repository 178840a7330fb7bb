"""Resource limits of prediction, each a generous default that a caller can change."""

MAX_ARTICLE_CHARS = 1_000_000
"""Longest article labelled, in characters (``Tagger(max_article_chars=...)``, ``sourcetag predict
--max-article-chars``). Long-form news features run to about 50,000 characters; a 20 MB text file is a dump or
a log, not an article, and would hold gigabytes of model inputs at once. Longer articles are refused, never cut."""

BYTES_PER_CHAR_READ = 12
"""A file holding one article, or one JSONL line, is read only up to this many bytes per allowed character
(12: a character written as a JSON surrogate-pair escape, ``\\ud83d\\ude00``), so a huge file is refused before
it is read into memory."""
