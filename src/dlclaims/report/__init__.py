"""The report: the store -> a static HTML site (works from file://) and the same content as Markdown.

``write_report(store_path, out_dir)`` is what ``dlclaims report`` calls;
``write_sheet_pages(results, out_dir)`` writes the feedback pages of graded
answer sheets (``dlclaims check --out``).
"""

from .build import ReportPaths, write_report
from .sheets import write_sheet_pages

__all__ = ["ReportPaths", "write_report", "write_sheet_pages"]
