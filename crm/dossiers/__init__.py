"""PDF documents (briefings, packs, dossiers) drawn with ReportLab, in Persian and English.

``text`` is the one place that turns text into drawn lines (wrapped in logical order, shaped,
reordered per line); ``flowables`` draws them; ``document`` lays pages out for a reader.
"""
