"""Aggregate reports: the evaluation as tables, a PDF and a workbook. No Qt here.

``tables.evaluation_tables(result)`` lays an :class:`EvaluationResult` out as
tables of typed cells; the screen, ``evaluation_pdf`` and ``evaluation_xlsx``
all print those same tables, so they show the same figures in the same words.
"""
