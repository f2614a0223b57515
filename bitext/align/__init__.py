"""Sentences side by side: the rows of a translation, and the alignment of a
text with an existing translation (`bitext align`).

`rows` builds translate's rows, whose alignment is known by construction;
`aligner` finds the links between a text and a human translation; `pipeline`
pairs files, runs the stages and the aligner, and writes the exports.
"""
