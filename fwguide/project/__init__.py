"""What a project folder already says: its framework imports and dependencies (scan), one file at a time (files)."""

from fwguide.project.scan import MAX_FILES, MAX_SECONDS, ProjectScan, looks_like_project, scan, scan_cached

__all__ = ["MAX_FILES", "MAX_SECONDS", "ProjectScan", "looks_like_project", "scan", "scan_cached"]
