"""Spreadsheets in and out as plain rows: CSV and XLSX, no Qt and no database.

- ``reader``: open a CSV (UTF-8 with or without BOM, comma or semicolon) or an
  XLSX workbook and stream each sheet's rows as plain values;
- ``cells``: turn one cell into a date, a date and time, a yes/no, a number or
  a choice from a list, or say in words why it cannot be;
- ``writer``: write rows as CSV or as typed XLSX (dates as dates, frozen
  header, autofilter, sensible widths), streaming;
- ``encrypted``: put what is written into an AES-encrypted ZIP;
- ``import_format``: the import template's sheets and columns, and each row
  read into typed values with a problem per column.
"""
