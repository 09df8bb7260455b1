"""The input loader: a CSV folder or an .xlsx workbook in, a validated Inspection out."""
from loader.build import load_inspection
from loader.summary import summary

__all__ = ["load_inspection", "summary"]
