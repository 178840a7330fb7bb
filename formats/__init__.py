"""What sourcetag reads and writes that is not a model: sentence rows and prediction rows in JSONL, the articles of
input files, prediction runs written chunk by chunk, and files and directories written whole.

- :mod:`~sourcetag.formats.jsonl`: JSON Lines text and streams, errors naming the file and line;
- :mod:`~sourcetag.formats.rows`: labelled sentence rows (:class:`~sourcetag.formats.rows.Row`);
- :mod:`~sourcetag.formats.predictions`: prediction rows (:class:`~sourcetag.formats.predictions.PredictedRow`);
- :mod:`~sourcetag.formats.articles` and :mod:`~sourcetag.formats.readers`: the articles of text, HTML and JSONL
  inputs;
- :mod:`~sourcetag.formats.stream`, :mod:`~sourcetag.formats.partial` and :mod:`~sourcetag.formats.profiles`: a
  prediction run written chunk by chunk, resumable, and its per-article profiles;
- :mod:`~sourcetag.formats.files`: atomic files, staged directories, writability checks;
- :mod:`~sourcetag.formats.outputs`: sourcetag's home, the default-model link, the marker of what it wrote.
"""
